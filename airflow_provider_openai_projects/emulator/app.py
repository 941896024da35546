"""The emulator as an ASGI application: FastAPI routes behind the :class:`~.gateway.Gateway`.

``create_app`` wires one state, fault injector and request log into a FastAPI app. Every
error, including FastAPI's own (unknown URL, malformed body, bad query parameter), is
rendered in the API's error shape ``{"error": {"message", "type", "param", "code"}}``.
Dropped-connection faults additionally need :class:`~.connection_faults.ConnectionAborter`
around the app, which :class:`~.server.EmulatorServer` provides.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException
from starlette.responses import JSONResponse

from .errors import ApiError, error_body
from .families import admin_api_keys, certificates, data_retention, permissions, spend
from .families.audit_logs import WriteAuditor, audit_log_routes
from .families.groups import group_routes
from .families.project_groups import project_group_routes
from .families.roles import role_routes
from .families.usage import usage_routes
from .faults import FaultInjector
from .gateway import Gateway
from .organization_state import EmulatorState
from .requestlog import RequestLog
from .routes_control import control_routes
from .routes_org import org_routes
from .routes_projects import project_routes


def _param(location: Sequence[Any]) -> str | None:
    """``("body", "projects", 0, "role")`` -> ``"projects[0].role"``; ``None`` for the body itself."""
    name = ""
    for part in location[1:]:
        name += f"[{part}]" if isinstance(part, int) else (f".{part}" if name else str(part))
    return name or None


def _validation_error(exc: RequestValidationError) -> ApiError:
    error = exc.errors()[0]
    kind, param = error["type"], _param(error["loc"])
    if kind == "json_invalid":
        return ApiError(400, "We could not parse the JSON body of your request: it is not valid JSON.")
    if param is None:
        return ApiError(400, "The request body must be a JSON object.")
    if kind == "missing":
        return ApiError(400, f"Missing required parameter: '{param}'.", param=param)
    if kind == "extra_forbidden":
        return ApiError(400, f"Unrecognized request argument supplied: {param}", param=param)
    return ApiError(400, f"Invalid type for '{param}': {error['msg']}.", param=param)


def _error_response(error: ApiError) -> JSONResponse:
    return JSONResponse(error.body(), error.status)


def create_app(
    state: EmulatorState,
    faults: FaultInjector,
    log: RequestLog,
    *,
    control_token: str | None = None,
    allowed_hosts: frozenset[str] = frozenset(),
) -> FastAPI:
    """The emulated Admin API (``/v1``) and the control API (``/_emulator``) as one app.

    :param control_token: what the control API requires in ``X-Emulator-Control-Token``
        (default: a random one, in ``app.state.control_token``).
    :param allowed_hosts: ``Host`` names accepted besides the loopback ones.
    """
    app = FastAPI(
        title="OpenAI Admin API emulator", openapi_url=None, docs_url=None, redoc_url=None, redirect_slashes=False
    )
    app.include_router(project_routes(state))
    app.include_router(org_routes(state))
    app.include_router(audit_log_routes(state))
    app.include_router(usage_routes(state))
    for family in (admin_api_keys, certificates, data_retention, permissions, spend):
        app.include_router(family.routes(state))
    app.include_router(control_routes(state, faults, log))
    app.include_router(group_routes(state))
    app.include_router(role_routes(state))
    app.include_router(project_group_routes(state))

    @app.exception_handler(ApiError)
    async def api_error(request: Request, exc: ApiError) -> JSONResponse:
        return _error_response(exc)

    @app.exception_handler(RequestValidationError)
    async def invalid_request(request: Request, exc: RequestValidationError) -> JSONResponse:
        return _error_response(_validation_error(exc))

    @app.exception_handler(HTTPException)
    async def routing_error(request: Request, exc: HTTPException) -> JSONResponse:
        message = f"Invalid URL ({request.method} {request.url.path})"
        return JSONResponse(error_body(message), exc.status_code)

    @app.exception_handler(Exception)
    async def server_error(request: Request, exc: Exception) -> JSONResponse:
        message = f"The emulator failed to process the request ({type(exc).__name__}); this is an emulator bug."
        return JSONResponse(error_body(message, "server_error"), 500)

    token = control_token or secrets.token_urlsafe(24)
    app.state.control_token = token
    app.add_middleware(WriteAuditor, state=state)  # inside the gateway: authenticated writes only
    app.add_middleware(
        Gateway,
        routes=app.router.routes,
        state=state,
        faults=faults,
        log=log,
        control_token=token,
        allowed_hosts=allowed_hosts,
    )
    return app
