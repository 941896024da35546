"""``EmulatorServer``: the emulator on a real loopback port, in a background thread.

    with EmulatorServer() as emulator:
        requests.get(f"{emulator.base_url}/organization/projects",
                     headers={"Authorization": f"Bearer {emulator.admin_key}"})

uvicorn serves the app from a daemon thread on a socket bound here (port 0 picks a free
port); no signal handlers are installed in that thread. The server binds to loopback only
unless ``allow_remote=True`` (the CLI's ``--allow-remote``) and a non-default admin key are
given. It answers only requests whose ``Host`` is a loopback name, ``host`` itself or one
of ``allowed_hosts``. The control API needs :attr:`EmulatorServer.control_token` (random
per server unless given) in the ``X-Emulator-Control-Token`` header;
:meth:`EmulatorServer.control_headers` gives the headers a control request needs.
"""

from __future__ import annotations

import http.client
import ipaddress
import secrets
import socket
import threading
import time
from collections.abc import Callable, Sequence
from types import TracebackType
from typing import Any, Self

import uvicorn
from starlette.types import ASGIApp

from .app import create_app
from .connection_faults import ConnectionAborter
from .faults import FaultInjector
from .gateway import CONTROL_TOKEN_HEADER
from .model_catalog import ModelSpec
from .organization_state import DEFAULT_ADMIN_KEY, EmulatorState
from .requestlog import RequestLog

_START_TIMEOUT = 10.0


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class EmulatorServer:
    """The emulated Admin API served over HTTP; a context manager (or :meth:`start`/:meth:`stop`).

    ``state``, ``faults`` and ``log`` are live: change them from the test thread at any
    time. ``app_wrapper`` wraps the ASGI app (for example in a validating middleware);
    drop faults still work because the connection-aborting layer stays outermost.
    """

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        admin_key: str = DEFAULT_ADMIN_KEY,
        models: Sequence[ModelSpec] | None = None,
        app_wrapper: Callable[[ASGIApp], ASGIApp] | None = None,
        allow_remote: bool = False,
        control_token: str | None = None,
        allowed_hosts: Sequence[str] = (),
    ) -> None:
        if not is_loopback(host):
            if not allow_remote:
                raise ValueError(
                    f"refusing to serve the emulator on non-loopback host {host!r} (allow_remote / --allow-remote)"
                )
            if admin_key == DEFAULT_ADMIN_KEY:
                raise ValueError(
                    "serving the emulator beyond loopback needs an admin key of your own (--admin-key), "
                    "not the published default"
                )
        self.host = host
        self.port = port
        self.admin_key = admin_key
        self.control_token = control_token or secrets.token_urlsafe(24)
        """What the control API requires in the ``X-Emulator-Control-Token`` header."""
        hosts = {h.lower() for h in allowed_hosts}
        if host not in ("0.0.0.0", "::", ""):  # noqa: S104 (a wildcard names no host)
            hosts.add(host.lower())
        self.allowed_hosts = frozenset(hosts)
        self.state = EmulatorState(admin_key=admin_key, models=models)
        self.faults = FaultInjector()
        self.log = RequestLog()
        app: ASGIApp = create_app(
            self.state, self.faults, self.log, control_token=self.control_token, allowed_hosts=self.allowed_hosts
        )
        self._app = ConnectionAborter(app_wrapper(app) if app_wrapper else app)
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None

    # -- lifecycle -------------------------------------------------------------------------

    def start(self) -> Self:
        """Bind, start serving in a background thread and wait until requests are accepted."""
        if self._server is not None:
            raise RuntimeError("the emulator server is already running")
        family = socket.AF_INET6 if ":" in self.host else socket.AF_INET
        sock = socket.socket(family, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((self.host, self.port))
        self.port = sock.getsockname()[1]
        config = uvicorn.Config(
            self._app, log_level="warning", access_log=False, lifespan="off", timeout_graceful_shutdown=2
        )
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(
            target=self._server.run, kwargs={"sockets": [sock]}, name="openai-admin-emulator", daemon=True
        )
        self._thread.start()
        deadline = time.monotonic() + _START_TIMEOUT
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError("the emulator server did not start")
            time.sleep(0.01)
        return self

    def stop(self) -> None:
        """Stop serving and wait for the thread to end (idempotent)."""
        if self._server is not None and self._thread is not None:
            self._server.should_exit = True
            self._thread.join(timeout=_START_TIMEOUT)
        self._server = None
        self._thread = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    # -- addresses -------------------------------------------------------------------------

    @property
    def url(self) -> str:
        """``http://127.0.0.1:PORT`` (the port is known once started)."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    @property
    def base_url(self) -> str:
        """The API base URL, ``url + "/v1"``: what a client's ``base_url`` should be."""
        return self.url + "/v1"

    # -- conveniences for tests and the demo -----------------------------------------------

    def reset(self) -> None:
        """State back to seed, faults and throttle cleared, request log emptied."""
        self.state.reset()
        self.faults.clear()
        self.log.clear()

    def control_headers(self) -> dict[str, str]:
        """The headers a request to the control API (``/_emulator``) needs: the token and JSON."""
        return {CONTROL_TOKEN_HEADER: self.control_token, "Content-Type": "application/json"}

    def accept_invite(self, invite_id: str) -> dict[str, Any]:
        """The invitee accepts: see :meth:`EmulatorState.accept_invite`. Returns the ``User``."""
        return self.state.accept_invite(invite_id)

    def add_org_user(self, email: str, name: str | None = None, role: str = "reader") -> dict[str, Any]:
        """Add an organization member directly. Returns the ``User``."""
        return self.state.add_user(email, name, role)

    def create_user_api_key(self, project_id: str, user_id: str, name: str | None = None) -> dict[str, Any]:
        """A project member mints a user-owned key; the ``ProjectApiKey`` plus its ``value``."""
        return self.state.create_user_api_key(project_id, user_id, name)

    def use_key(self, value: str) -> int:
        """Call ``GET /v1/models`` over HTTP with the key ``value``; the HTTP status."""
        connection = http.client.HTTPConnection(self.host, self.port, timeout=10)
        try:
            connection.request("GET", "/v1/models", headers={"Authorization": f"Bearer {value}"})
            response = connection.getresponse()
            response.read()
            return response.status
        finally:
            connection.close()
