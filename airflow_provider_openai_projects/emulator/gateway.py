"""The ASGI layer in front of the routes: request ids, Host check, auth, throttling, faults, the log.

Every HTTP response gets an ``x-request-id: req_<hex>`` header. Every request, to the API
and to the control API alike, must name an allowed host in its ``Host`` header (loopback
names, plus those the server was told to accept): a web page that rebinds its own DNS
name to 127.0.0.1 cannot reach the emulator (403 ``host_not_allowed``, not logged). The
``/_emulator`` control API further requires the control token in
``X-Emulator-Control-Token`` (401) and ``Content-Type: application/json`` on a POST, PUT
or PATCH (415), so a form posted by a web page in a browser on the same machine cannot
reset or drive it. Requests under ``/v1`` (the emulated API) then go through, in order:

1. authentication: ``Authorization: Bearer <key>``; a missing key is 401
   ``missing_api_key``, an unknown one 401 ``invalid_api_key`` (the message shows the
   key redacted), a project or service-account key on an Admin endpoint, or the admin
   key on ``GET /v1/models``, 403 ``insufficient_permissions``;
2. throttling (:meth:`~.faults.FaultInjector.admit`), per route template;
3. fault injection (:meth:`~.faults.FaultInjector.take`), before and/or after the route;
4. the route itself (FastAPI), whose response is passed through;

and are recorded in the :class:`~.requestlog.RequestLog`. A request refused by step 1, or a
write whose body is not ``Content-Type: application/json`` (415 ``unsupported_media_type``),
is answered before its body is read, with ``Connection: close``: a web page's 20 MB
``text/plain`` POST costs the emulator nothing and the log keeps no byte of it (the log keeps
at most a bounded prefix of any body: :func:`~.requestlog.logged_body`). Other paths (the ``/_emulator``
control API) only get the request id.

Resets do not leak between tests: a request held by an injected latency while the state
is reset is abandoned (its connection closed) instead of being applied to the new state,
and a request in flight while the log is cleared does not reappear in it.
"""

from __future__ import annotations

import asyncio
import ipaddress
import secrets
import time
from collections.abc import Sequence
from urllib.parse import parse_qs

from fastapi.routing import APIRoute
from starlette.responses import JSONResponse
from starlette.routing import BaseRoute, Match
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .connection_faults import ABORT_CONNECTION
from .errors import ApiError
from .faults import FaultInjector, FaultRule, InjectedResponse
from .ids import redact_key
from .organization_state import EmulatorState
from .requestlog import KeyKindLabel, RequestLog, logged_body

API_PREFIX = "/v1"
CONTROL_PREFIX = "/_emulator"
CONTROL_TOKEN_HEADER = "X-Emulator-Control-Token"  # noqa: S105 (a header name)
LOOPBACK_NAMES = frozenset({"localhost", "127.0.0.1", "::1"})
"""Host names always accepted (with any port); any 127.0.0.0/8 address is too."""
#: The one route that takes a project or service-account key instead of the admin key.
MODELS_ROUTE = "GET /models"

_MISSING_KEY = (
    "You didn't provide an API key. You need to provide your API key in an Authorization header "
    "using Bearer auth (i.e. Authorization: Bearer YOUR_KEY)."
)


def _with_request_id(send: Send, request_id: str) -> Send:
    async def wrapped(message: Message) -> None:
        if message["type"] == "http.response.start":
            headers = [*message.get("headers", []), (b"x-request-id", request_id.encode())]
            message = {**message, "headers": headers}
        await send(message)

    return wrapped


async def _read_body(receive: Receive) -> bytes:
    chunks = []
    while True:
        message = await receive()
        if message["type"] != "http.request":
            break
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            break
    return b"".join(chunks)


def _replay(body: bytes, receive: Receive) -> Receive:
    """A ``receive`` that yields the already-read body once, then defers to the original."""
    pending = [{"type": "http.request", "body": body, "more_body": False}]

    async def replayed() -> Message:
        return pending.pop() if pending else await receive()

    return replayed


def _has_body(scope: Scope) -> bool:
    """Whether the request announces a body (a non-zero ``Content-Length``, or chunks)."""
    length = (_header(scope, b"content-length") or "").strip()
    if length:
        return length != "0"
    return "chunked" in (_header(scope, b"transfer-encoding") or "").lower()


def _is_json(scope: Scope) -> bool:
    content_type = (_header(scope, b"content-type") or "").partition(";")[0].strip().lower()
    return content_type == "application/json"


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope["headers"]:
        if key == name:
            return str(value.decode("latin-1"))
    return None


def host_name(host_header: str | None) -> str | None:
    """The host of a ``Host`` header (``127.0.0.1:8089`` -> ``127.0.0.1``, ``[::1]:80`` ->
    ``::1``), lowercased; ``None`` when missing or malformed."""
    if not host_header:
        return None
    host = host_header.strip().lower()
    if host.startswith("["):
        name, bracket, rest = host[1:].partition("]")
        return name if bracket and (not rest or (rest.startswith(":") and rest[1:].isdigit())) else None
    name, colon, port = host.partition(":")
    if colon and not port.isdigit():
        return None
    return name or None


def is_allowed_host(name: str | None, allowed: frozenset[str]) -> bool:
    """Whether a ``Host`` header's host is a loopback name or one of ``allowed``."""
    if name is None:
        return False
    if name in LOOPBACK_NAMES or name in allowed:
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


def _bearer_key(scope: Scope) -> str | None:
    scheme, _, key = (_header(scope, b"authorization") or "").partition(" ")
    return (key.strip() or None) if scheme.lower() == "bearer" else None


async def _send_json(scope: Scope, receive: Receive, send: Send, response: InjectedResponse) -> None:
    await JSONResponse(response.body, response.status, headers=response.headers)(scope, receive, send)


class Gateway:
    """ASGI middleware wrapping the FastAPI routes (see the module docstring).

    ``routes`` is the app's live route list: the gateway asks it which route template a
    request matches, so throttling and the log work per endpoint.
    """

    def __init__(
        self,
        app: ASGIApp,
        routes: Sequence[BaseRoute],
        state: EmulatorState,
        faults: FaultInjector,
        log: RequestLog,
        control_token: str,
        allowed_hosts: frozenset[str] = frozenset(),
    ) -> None:
        self.app = app
        self.routes = routes
        self.state = state
        self.faults = faults
        self.log = log
        self.control_token = control_token
        self.allowed_hosts = frozenset(h.lower() for h in allowed_hosts)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = f"req_{secrets.token_hex(16)}"
        send = _with_request_id(send, request_id)
        path: str = scope["path"]
        refusal = self._guard(scope, path)
        if refusal is not None:
            closing = {"connection": "close"} if _has_body(scope) else {}
            await _send_json(scope, receive, send, InjectedResponse(refusal.status, refusal.body(), closing))
            return
        if path != API_PREFIX and not path.startswith(API_PREFIX + "/"):
            await self.app(scope, receive, send)
            return
        api_path = path[len(API_PREFIX) :]
        route = self._route(scope)
        key_kind, refusal = self._authenticate(scope, route)
        if refusal is None and _has_body(scope) and not _is_json(scope):
            refusal = ApiError(
                415, "The API takes a JSON body (Content-Type: application/json).", code="unsupported_media_type"
            )
        # A refused request's body is never read: the refusal closes the connection instead.
        body = b"" if refusal is not None else await _read_body(receive)
        seq = self.log.begin(
            time=time.monotonic(),
            request_id=request_id,
            method=scope["method"],
            path=api_path,
            query=parse_qs(scope["query_string"].decode("latin-1"), keep_blank_values=True),
            route=route,
            key_kind=key_kind,
            body=logged_body(body),
            user_agent=_header(scope, b"user-agent"),
        )
        status, applied, fault = await self._serve(scope, _replay(body, receive), send, api_path, route, refusal)
        self.log.finish(seq, status, applied, fault)

    def _guard(self, scope: Scope, path: str) -> ApiError | None:
        """The refusal of a request from a wrong host, or to the control API without its
        token or (for a write) without a JSON content type; ``None`` to go on."""
        host = host_name(_header(scope, b"host"))
        if not is_allowed_host(host, self.allowed_hosts):
            message = (
                f"Host {host or '(none)'!r} is not served by this emulator (loopback names only; start it "
                "with --allowed-host to accept another name)."
            )
            return ApiError(403, message, code="host_not_allowed")
        if path != CONTROL_PREFIX and not path.startswith(CONTROL_PREFIX + "/"):
            return None
        given = _header(scope, CONTROL_TOKEN_HEADER.lower().encode()) or ""
        if not secrets.compare_digest(given.encode(), self.control_token.encode()):
            message = (
                f"The control API needs the control token (printed at start) in the {CONTROL_TOKEN_HEADER} header."
            )
            return ApiError(401, message, code="invalid_control_token")
        if scope["method"] in ("POST", "PUT", "PATCH"):
            content_type = (_header(scope, b"content-type") or "").partition(";")[0].strip().lower()
            if content_type != "application/json":
                return ApiError(
                    415, "The control API takes Content-Type: application/json.", code="unsupported_media_type"
                )
        return None

    def _route(self, scope: Scope) -> str | None:
        """``"METHOD /template"`` of the API route the request matches, if any."""
        for route in self.routes:
            if isinstance(route, APIRoute) and route.matches(scope)[0] is Match.FULL:
                return f"{scope['method']} {route.path[len(API_PREFIX) :]}"
        return None

    def _authenticate(self, scope: Scope, route: str | None) -> tuple[KeyKindLabel, ApiError | None]:
        key = _bearer_key(scope)
        if key is None:
            return "missing", ApiError(401, _MISSING_KEY, code="missing_api_key")
        kind = self.state.classify_key(key)
        if kind is None:
            message = (
                f"Incorrect API key provided: {redact_key(key)}. "
                "You can find your API key at https://platform.openai.com/account/api-keys."
            )
            return "invalid", ApiError(401, message, code="invalid_api_key")
        if route is None:
            return kind, None
        if route == MODELS_ROUTE and kind == "admin":
            message = "Admin API keys cannot call /v1/models; use a project or service-account API key."
            return kind, ApiError(403, message, code="insufficient_permissions")
        if route != MODELS_ROUTE and kind != "admin":
            message = (
                "You have insufficient permissions for this operation: the Admin API needs an admin API key "
                f"(sk-admin-...), not a {kind.replace('_', ' ')} API key."
            )
            return kind, ApiError(403, message, code="insufficient_permissions")
        return kind, None

    async def _serve(
        self,
        scope: Scope,
        receive: Receive,
        send: Send,
        api_path: str,
        route: str | None,
        refusal: ApiError | None,
    ) -> tuple[int | None, bool, str | None]:
        """Answer the request; return (status sent or ``None``, applied, fault label)."""
        if refusal is not None:
            closing = {"connection": "close"} if _has_body(scope) else {}
            await _send_json(scope, receive, send, InjectedResponse(refusal.status, refusal.body(), closing))
            return refusal.status, False, None
        throttled = self.faults.admit(route) if route is not None else None
        if throttled is not None:
            await _send_json(scope, receive, send, throttled)
            return throttled.status, False, "throttled"
        rule = self.faults.take(scope["method"], api_path)
        if rule is None:
            status = await self._run_route(scope, receive, send)
            return status, self._applied(scope, status), None
        if rule.when == "before":
            generation = self.state.generation
            await asyncio.sleep(rule.latency)
            if self.state.generation != generation:  # reset while delayed: must not touch the new state
                await self._abort(scope)
                return None, False, rule.describe()
            if rule.drop or rule.status is not None:
                return await self._inject(scope, receive, send, rule), False, rule.describe()
            status = await self._run_route(scope, receive, send)
            return status, self._applied(scope, status), rule.describe()
        buffered: list[Message] = []

        async def hold(message: Message) -> None:
            buffered.append(message)

        status = await self._run_route(scope, receive, hold)
        await asyncio.sleep(rule.latency)
        if rule.drop or rule.status is not None:
            status_sent = await self._inject(scope, receive, send, rule)
        else:
            for message in buffered:
                await send(message)
            status_sent = status
        return status_sent, self._applied(scope, status), rule.describe()

    async def _run_route(self, scope: Scope, receive: Receive, send: Send) -> int | None:
        """Run the FastAPI app, passing its messages to ``send``; the status it answered."""
        status: int | None = None

        async def capture(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        await self.app(scope, receive, capture)
        return status

    @staticmethod
    def _applied(scope: Scope, status: int | None) -> bool:
        return scope["method"] != "GET" and status is not None and status < 400

    async def _inject(self, scope: Scope, receive: Receive, send: Send, rule: FaultRule) -> int | None:
        """Send the rule's error response, or abort the connection; the status sent, if any."""
        response = rule.response()
        if response is not None:
            await _send_json(scope, receive, send, response)
            return response.status
        await self._abort(scope)
        return None

    @staticmethod
    async def _abort(scope: Scope) -> None:
        """Close the request's connection without a response."""
        abort = scope.get(ABORT_CONNECTION)
        if abort is None:
            raise RuntimeError("drop faults need the EmulatorServer's ConnectionAborter around the app")
        abort()
        await asyncio.sleep(0)  # let the server notice the lost connection before we return
