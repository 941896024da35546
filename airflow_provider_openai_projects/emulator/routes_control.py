"""The control API under ``/_emulator``: not OpenAI's, never logged.

Every request needs the control token (printed at start; ``EmulatorServer.control_token``)
in the ``X-Emulator-Control-Token`` header, an allowed ``Host`` and, for a POST,
``Content-Type: application/json``: the :class:`~.gateway.Gateway` refuses anything else
before it reaches these routes.

- ``POST /_emulator/reset``: state back to seed, faults and throttle cleared, log emptied.
- ``GET /_emulator/state``: JSON dump of the organization (keys only redacted).
- ``POST /_emulator/invites/{invite_id}/accept``: the invitee accepts; returns the ``User``
  and records ``invite.accepted`` (actor: the invitee's session).
- ``POST /_emulator/users`` ``{email, name?, role?}``: add an organization member (seeding:
  no event).
- ``POST /_emulator/projects/{project_id}/api_keys`` ``{user_id, name?}``: a project member
  mints a user-owned key in the dashboard; returns the ``ProjectApiKey`` plus its one-time
  ``value`` and records ``api_key.created`` (actor: the member's session, project: the key's).
- ``POST /_emulator/dashboard`` ``{user_id, method, path, body?}``: a person makes one write
  of the Admin API in the dashboard (``method`` ``POST``/``DELETE``, ``path`` the API's
  ``/v1/organization/...``): applied as the API applies it (same checks, same answer), not
  logged, throttled or faulted, and recorded as the API would record a person's change
  (actor ``session``, ``project`` the one the change is scoped to). The person must be an
  organization owner, or an owner of the route's project.
- ``GET /_emulator/requests``: ``{"data": [logged request, ...]}``;
  ``DELETE /_emulator/requests`` empties the log.
- ``GET /_emulator/faults``: armed rules, throttle and statistics;
  ``POST /_emulator/faults`` arms a rule (the fields of ``FaultRule``);
  ``DELETE /_emulator/faults`` removes every rule and the throttle.
- ``POST /_emulator/throttle`` ``{rpm, burst?, scope?, retry_after?, retry_after_ms?}``; ``rpm: null``
  turns throttling off.

Errors use the API's error shape.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any, TypeVar

from fastapi import APIRouter, Request
from starlette.middleware.exceptions import ExceptionMiddleware
from starlette.responses import JSONResponse, Response
from starlette.types import Message

from . import bodies
from .errors import ApiError
from .families.audit_logs import match_write
from .faults import FaultInjector, FaultRule
from .organization_state import EmulatorState
from .requestlog import RequestLog

_T = TypeVar("_T")


def control_routes(state: EmulatorState, faults: FaultInjector, log: RequestLog) -> APIRouter:
    """The ``/_emulator`` routes over this state, fault injector and log."""
    router = APIRouter(prefix="/_emulator")

    @router.post("/reset")
    async def reset() -> JSONResponse:
        state.reset()
        faults.clear()
        log.clear()
        return JSONResponse({"reset": True})

    @router.get("/state")
    async def dump_state() -> JSONResponse:
        return JSONResponse(state.snapshot())

    @router.post("/invites/{invite_id}/accept")
    async def accept_invite(invite_id: str) -> JSONResponse:
        return JSONResponse(state.accept_invite(invite_id))

    @router.post("/users")
    async def add_user(body: bodies.ControlUserRequest) -> JSONResponse:
        return JSONResponse(state.add_user(body.email, body.name, body.role))

    @router.post("/projects/{project_id}/api_keys")
    async def create_user_api_key(project_id: str, body: bodies.ControlUserKeyRequest) -> JSONResponse:
        return JSONResponse(state.create_user_api_key(project_id, body.user_id, body.name))

    @router.post("/dashboard")
    async def dashboard_change(request: Request, body: bodies.ControlDashboardRequest) -> Response:
        matched = match_write(body.method, body.path.split("?", 1)[0])
        if matched is None:
            raise ApiError(400, f"Not a write of the Admin API: {body.method} {body.path}.", param="path")
        operation_id, path_params = matched
        state.check_dashboard_person(body.user_id, path_params.get("project_id"))
        status, answer = await _apply_in_process(request, body.method, body.path, body.body)
        if 200 <= status < 300:
            state.record_session_write(operation_id, path_params, body.body, answer, body.user_id)
        return JSONResponse(answer, status)

    @router.get("/requests")
    async def list_requests() -> JSONResponse:
        return JSONResponse({"data": [entry.to_dict() for entry in log.entries()]})

    @router.delete("/requests")
    async def clear_requests() -> JSONResponse:
        log.clear()
        return JSONResponse({"cleared": True})

    @router.get("/faults")
    async def describe_faults() -> JSONResponse:
        return JSONResponse(faults.describe())

    @router.post("/faults")
    async def add_fault(body: bodies.ControlFaultRequest) -> JSONResponse:
        rule = _valid(lambda: FaultRule(**body.model_dump()))
        faults.add(rule)
        return JSONResponse(rule.to_dict())

    @router.delete("/faults")
    async def clear_faults() -> JSONResponse:
        faults.clear()
        return JSONResponse({"cleared": True})

    @router.post("/throttle")
    async def throttle(body: bodies.ControlThrottleRequest) -> JSONResponse:
        _valid(lambda: faults.throttle(body.rpm, body.burst, body.scope, body.retry_after, body.retry_after_ms))
        return JSONResponse(faults.describe())

    return router


async def _apply_in_process(
    request: Request, method: str, path: str, body: dict[str, Any] | None
) -> tuple[int, dict[str, Any]]:
    """Run ``method path`` with ``body`` through the app's routes (below the gateway and the
    write auditor: no log, fault, throttle or admin-key event); its status and JSON body,
    the app's error handlers rendering an error as the API does."""
    raw = json.dumps(body or {}).encode()
    route_path, _, query = path.partition("?")
    scope = {
        **request.scope,
        "method": method,
        "path": route_path,
        "raw_path": route_path.encode(),
        "query_string": query.encode(),
        "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(raw)).encode())],
    }
    scope.pop("route", None)
    scope.pop("path_params", None)
    scope.pop("endpoint", None)
    sent = False
    answer: list[Message] = []

    async def receive() -> Message:
        nonlocal sent
        if sent:
            return {"type": "http.disconnect"}
        sent = True
        return {"type": "http.request", "body": raw, "more_body": False}

    async def send(message: Message) -> None:
        answer.append(message)

    # The app's handlers render every error (its 500 handler included), as for an API call.
    await ExceptionMiddleware(request.app.router, handlers=request.app.exception_handlers)(scope, receive, send)
    status = next(int(m["status"]) for m in answer if m["type"] == "http.response.start")
    payload = b"".join(m.get("body", b"") for m in answer if m["type"] == "http.response.body")
    return status, json.loads(payload) if payload else {}


def _valid(make: Callable[[], _T]) -> _T:
    """Call ``make()``; its ``ValueError`` becomes a 400."""
    try:
        return make()
    except ValueError as exc:
        raise ApiError(400, str(exc)) from exc
