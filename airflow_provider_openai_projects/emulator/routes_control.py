"""The control API under ``/_emulator``: not OpenAI's, never logged.

Every request needs the control token (printed at start; ``EmulatorServer.control_token``)
in the ``X-Emulator-Control-Token`` header, an allowed ``Host`` and, for a POST,
``Content-Type: application/json``: the :class:`~.gateway.Gateway` refuses anything else
before it reaches these routes.

- ``POST /_emulator/reset``: state back to seed, faults and throttle cleared, log emptied.
- ``GET /_emulator/state``: JSON dump of the organization (keys only redacted).
- ``POST /_emulator/invites/{invite_id}/accept``: the invitee accepts; returns the ``User``.
- ``POST /_emulator/users`` ``{email, name?, role?}``: add an organization member.
- ``POST /_emulator/projects/{project_id}/api_keys`` ``{user_id, name?}``: a project member
  mints a user-owned key; returns the ``ProjectApiKey`` plus its one-time ``value``.
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

from collections.abc import Callable
from typing import TypeVar

from fastapi import APIRouter
from starlette.responses import JSONResponse

from . import bodies
from .errors import ApiError
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


def _valid(make: Callable[[], _T]) -> _T:
    """Call ``make()``; its ``ValueError`` becomes a 400."""
    try:
        return make()
    except ValueError as exc:
        raise ApiError(400, str(exc)) from exc
