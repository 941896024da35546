"""The request log: what the emulated API was asked and what it did.

One :class:`LoggedRequest` per API request (paths under ``/v1``; the control API under
``/_emulator`` is never logged), entered when the request arrives (so a slow request is
visible while in flight) and completed when it has been answered. Nothing secret is
recorded: no headers but the ``User-Agent``, no key values (only the ``key_kind``), no
response bodies. Request
bodies of the Admin API hold names, emails and limits, never keys. Thread-safe.
"""

from __future__ import annotations

import dataclasses
import json
import threading
from dataclasses import dataclass
from typing import Any, Literal

KeyKindLabel = Literal["admin", "project", "service_account", "missing", "invalid"]

#: A body up to this size is kept parsed as JSON.
LOGGED_BODY_LIMIT = 64 * 1024
#: Of a longer body (or one that is not JSON), only this many bytes are kept.
LOGGED_BODY_PREFIX = 1024


@dataclass(frozen=True)
class BodyPrefix:
    """What the log keeps of a body too long to keep, or not JSON: its size in bytes and its
    first bytes as text (undecodable bytes replaced), JSON-able like every entry."""

    size: int
    prefix: str


def logged_body(raw: bytes) -> Any:
    """What the log keeps of a request body ``raw`` (see the module docstring): ``None`` for
    none, the parsed JSON when short enough, else a bounded :class:`BodyPrefix` (also for
    JSON nested too deeply to parse: never an exception, whatever the body)."""
    if not raw:
        return None
    if len(raw) <= LOGGED_BODY_LIMIT:
        try:
            return json.loads(raw)
        except (ValueError, RecursionError):
            pass
    return BodyPrefix(len(raw), bytes(raw[:LOGGED_BODY_PREFIX]).decode("utf-8", "replace"))


@dataclass(frozen=True)
class LoggedRequest:
    """One API request.

    ``seq`` is the arrival order and ``time`` the arrival :func:`time.monotonic`; ``path``
    is after ``/v1`` without the query string; ``route`` is the method and route template
    (``POST /organization/projects/{project_id}/service_accounts``, ``None`` for an unknown
    path). Until ``complete``, ``status`` is ``None``, ``applied`` ``False`` and ``fault``
    ``None``. Then ``status`` is what the client received (``None`` when the connection
    was dropped); ``applied`` tells whether a change was made (a write that ran and
    succeeded, even if its response was then replaced by an injected fault; always
    ``False`` for reads); ``fault`` describes what was injected (or ``"throttled"``).
    """

    seq: int
    time: float
    request_id: str
    method: str
    path: str
    query: dict[str, list[str]]
    route: str | None
    key_kind: KeyKindLabel
    body: Any
    user_agent: str | None = None
    complete: bool = False
    status: int | None = None
    applied: bool = False
    fault: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


class RequestLog:
    """A thread-safe list of :class:`LoggedRequest`, in arrival order."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._entries: list[LoggedRequest] = []
        self._position: dict[int, int] = {}  # seq -> index in _entries
        self._next_seq = 1

    def begin(
        self,
        time: float,
        request_id: str,
        method: str,
        path: str,
        query: dict[str, list[str]],
        route: str | None,
        key_kind: KeyKindLabel,
        body: Any,
        user_agent: str | None = None,
    ) -> int:
        """Enter an arriving request; its ``seq``, to pass to :meth:`finish`."""
        with self._lock:
            seq = self._next_seq
            self._next_seq += 1
            self._position[seq] = len(self._entries)
            self._entries.append(
                LoggedRequest(seq, time, request_id, method, path, query, route, key_kind, body, user_agent)
            )
        return seq

    def finish(self, seq: int, status: int | None, applied: bool, fault: str | None) -> None:
        """Complete the entry ``seq``; ignored if the log was cleared since it began (a slow
        request from a previous test does not reappear)."""
        with self._lock:
            index = self._position.get(seq)
            if index is not None:
                self._entries[index] = dataclasses.replace(
                    self._entries[index], complete=True, status=status, applied=applied, fault=fault
                )

    def entries(self) -> list[LoggedRequest]:
        """A copy of all entries, oldest first."""
        with self._lock:
            return list(self._entries)

    def clear(self) -> None:
        """Forget every entry, including those still in flight (``seq`` keeps counting up)."""
        with self._lock:
            self._entries.clear()
            self._position.clear()

    def writes(self) -> list[LoggedRequest]:
        """The entries that are not ``GET`` requests (whatever their outcome)."""
        return [e for e in self.entries() if e.method != "GET"]

    def count(self, method: str | None = None, route: str | None = None) -> int:
        """How many entries have this method and/or route (``"POST /organization/projects"``)."""
        return sum(
            1
            for e in self.entries()
            if (method is None or e.method == method.upper()) and (route is None or e.route == route)
        )
