"""Aborting a request's TCP connection: how a ``drop`` fault sends no HTTP response at all.

:class:`ConnectionAborter` is the outermost ASGI layer, directly under uvicorn (outside any
``app_wrapper``). It puts a callable under :data:`ABORT_CONNECTION` into every HTTP scope;
calling it aborts the connection the request came on (uvicorn's ``send`` is a bound method
of its per-request cycle, whose ``transport`` is the asyncio transport of the connection).
"""

from __future__ import annotations

import functools
from typing import Any

from starlette.types import ASGIApp, Receive, Scope, Send

#: Scope key of the zero-argument callable that aborts the request's connection.
ABORT_CONNECTION = "openai_emulator.abort_connection"


def _abort(send: Any) -> None:
    transport = getattr(getattr(send, "__self__", None), "transport", None)
    if transport is None:
        raise RuntimeError("cannot drop the connection: the ASGI server's send() exposes no transport")
    transport.abort()


class ConnectionAborter:
    """ASGI layer that makes :data:`ABORT_CONNECTION` available to inner layers."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            scope = {**scope, ABORT_CONNECTION: functools.partial(_abort, send)}
        await self.app(scope, receive, send)
