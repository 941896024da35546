"""A hostile or broken upstream on loopback: answers each request with a scripted response.

Used where the emulator, which follows the spec, cannot misbehave the way a proxy, a gateway
or a compromised endpoint can: echo the request's ``Authorization`` header into every error
field, answer ``Retry-After: 1e12``, a 204 or a 304 where an object is due, trickle a body
byte by byte, or send 256 MiB. It records what it received (method, path, whether the
request carried a body), so a test can prove a write was not repeated.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Scripted:
    """One response: status, headers and body (or a body generator, sent as it yields)."""

    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""
    chunks: Callable[[], Iterator[bytes]] | None = None
    length: int | None = None
    """The ``Content-Length`` to announce with ``chunks`` (``None``: the connection closes at the end)."""


@dataclass
class Received:
    method: str
    path: str
    authorization: str | None
    body: bytes


class HostileUpstream:
    """``respond(received) -> Scripted`` decides each answer; ``received`` lists the requests."""

    def __init__(self, respond: Callable[[Received], Scripted]) -> None:
        self.respond = respond
        self.received: list[Received] = []
        upstream = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: object) -> None:
                return

            def _serve(self) -> None:
                length = int(self.headers.get("content-length") or 0)
                body = self.rfile.read(length) if length else b""
                received = Received(self.command, self.path, self.headers.get("authorization"), body)
                upstream.received.append(received)
                scripted = upstream.respond(received)
                try:
                    self.send_response(scripted.status)
                    for name, value in scripted.headers.items():
                        self.send_header(name, value)
                    if scripted.chunks is None:
                        self.send_header("Content-Length", str(len(scripted.body)))
                        self.end_headers()
                        self.wfile.write(scripted.body)
                        return
                    if scripted.length is not None:
                        self.send_header("Content-Length", str(scripted.length))
                    self.send_header("Connection", "close")
                    self.end_headers()
                    for chunk in scripted.chunks():
                        self.wfile.write(chunk)
                        self.wfile.flush()
                except (TimeoutError, BrokenPipeError, ConnectionResetError):
                    pass
                self.close_connection = True

            do_GET = do_POST = do_DELETE = _serve

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self.base_url = f"http://127.0.0.1:{self._server.server_address[1]}/v1"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def __enter__(self) -> HostileUpstream:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()


@contextmanager
def hostile(respond: Callable[[Received], Scripted]) -> Iterator[HostileUpstream]:
    with HostileUpstream(respond) as upstream:
        yield upstream


def always(scripted: Scripted) -> Callable[[Received], Scripted]:
    return lambda _: scripted


def drip(total: int, every: float) -> Callable[[], Iterator[bytes]]:
    """One byte of a JSON object every ``every`` seconds, ``total`` bytes in all."""

    def chunks() -> Iterator[bytes]:
        body = b"{" + b" " * max(total - 2, 0) + b"}"
        for i in range(len(body)):
            time.sleep(every)
            yield body[i : i + 1]

    return chunks


def flood(megabytes: int) -> Callable[[], Iterator[bytes]]:
    """``megabytes`` MiB of JSON whitespace inside an object, as fast as the socket takes it."""

    def chunks() -> Iterator[bytes]:
        yield b'{"data": ['
        block = b" " * (1024 * 1024)
        for _ in range(megabytes):
            yield block
        yield b"]}"

    return chunks
