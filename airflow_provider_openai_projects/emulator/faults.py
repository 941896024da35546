"""Fault injection and throttling, driven from Python or from the control API.

A :class:`FaultRule` matches requests by ``method`` (``"*"`` or a verb) and ``path`` (an
:func:`fnmatch.fnmatchcase` glob on the path after ``/v1``, where ``*`` also matches
``/``) and applies to the next ``times`` matching requests (``None``: until cleared).
Its effect is one of:

- ``status``: answer with that error status (429, 500, 502, 503...). With
  ``when="before"`` the request is not executed; with ``when="after"`` it is executed
  (its change is applied) and the error replaces the response: a lost response.
- ``drop=True``: close the connection without any HTTP response, before or after
  executing the request as above (needs :class:`~.server.EmulatorServer`).
- ``latency`` seconds of delay (never blocking other requests), alone or combined with
  the above; it is spent at the ``when`` point, so ``when="after"`` delays the response
  of an applied change (a client timeout after a successful create).

Error responses may carry ``retry_after`` (``Retry-After`` in seconds),
``retry_after_date`` (``Retry-After`` as an HTTP-date instead) and ``retry_after_ms``
(``Retry-After-Ms``); with none of them there is no header, as often with the real API.

Throttling (:meth:`FaultInjector.throttle`) is a token bucket of ``rpm`` requests per
minute holding at most ``burst`` requests, one bucket per endpoint (method and route
template, like the real per-endpoint limits) or one for everything (``scope="global"``).
A request over the limit gets 429 ``rate_limit_exceeded`` and is not executed.
"""

from __future__ import annotations

import dataclasses
import email.utils
import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from fnmatch import fnmatchcase
from typing import Any, Literal

from .errors import error_body

When = Literal["before", "after"]
ThrottleScope = Literal["endpoint", "global"]

_STATUS_ERRORS: dict[int, tuple[str, str, str | None]] = {
    429: ("Rate limit reached for requests.", "requests", "rate_limit_exceeded"),
    500: ("The server had an error while processing your request. Sorry about that!", "server_error", None),
    502: ("Bad gateway.", "server_error", None),
    503: ("The engine is currently overloaded, please try again later.", "server_error", None),
    504: ("Gateway timeout.", "server_error", None),
}


@dataclass(frozen=True)
class InjectedResponse:
    """An error response the gateway sends instead of executing (or answering) a request."""

    status: int
    body: dict[str, Any]
    headers: dict[str, str]


def _seconds(value: float) -> str:
    return f"{value:g}"


@dataclass(frozen=True)
class FaultRule:
    """One fault: which requests it matches, how many, and what it does (module docstring)."""

    method: str = "*"
    path: str = "*"
    times: int | None = 1
    status: int | None = None
    drop: bool = False
    when: When = "before"
    latency: float = 0.0
    retry_after: float | None = None
    retry_after_ms: int | None = None
    retry_after_date: bool = False

    def __post_init__(self) -> None:
        problems = []
        if self.times is not None and self.times < 1:
            problems.append("times must be >= 1 (or None for unlimited)")
        if self.status is not None and not 400 <= self.status <= 599:
            problems.append("status must be an HTTP error status (400-599)")
        if self.drop and self.status is not None:
            problems.append("a rule either drops the connection or returns a status, not both")
        if self.latency < 0:
            problems.append("latency must be >= 0")
        if not (self.drop or self.status is not None or self.latency > 0):
            problems.append("a rule needs an effect: status, drop or latency")
        if self.when not in ("before", "after"):
            problems.append("when must be 'before' or 'after'")
        has_retry = self.retry_after is not None or self.retry_after_ms is not None
        if has_retry and self.status is None:
            problems.append("retry_after/retry_after_ms need a status")
        if self.retry_after_date and self.retry_after is None:
            problems.append("retry_after_date needs retry_after (seconds from now)")
        if problems:
            raise ValueError("invalid FaultRule: " + "; ".join(problems))

    def matches(self, method: str, path: str) -> bool:
        return self.method in ("*", method.upper()) and fnmatchcase(path, self.path)

    def describe(self) -> str:
        """A short label for the request log, such as ``status=500 when=after``."""
        parts = []
        if self.status is not None:
            parts.append(f"status={self.status}")
        if self.drop:
            parts.append("drop")
        if self.latency:
            parts.append(f"latency={_seconds(self.latency)}s")
        return " ".join([*parts, f"when={self.when}"])

    def response(self) -> InjectedResponse | None:
        """The error response this rule answers with (``None`` for drop or latency only)."""
        if self.status is None:
            return None
        default = ("Injected fault.", "server_error" if self.status >= 500 else "invalid_request_error", None)
        message, error_type, code = _STATUS_ERRORS.get(self.status, default)
        headers = {}
        if self.retry_after is not None:
            headers["retry-after"] = (
                email.utils.formatdate(time.time() + self.retry_after, usegmt=True)
                if self.retry_after_date
                else _seconds(self.retry_after)
            )
        if self.retry_after_ms is not None:
            headers["retry-after-ms"] = str(self.retry_after_ms)
        return InjectedResponse(self.status, error_body(message, error_type, None, code), headers)

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


@dataclass
class _ArmedRule:
    rule: FaultRule
    remaining: int | None


@dataclass
class _Bucket:
    tokens: float
    updated: float


@dataclass(frozen=True)
class ThrottleSettings:
    """Token-bucket throttle: ``rpm`` per minute, at most ``burst`` at once."""

    rpm: float
    burst: int
    scope: ThrottleScope
    retry_after: bool
    retry_after_ms: bool = False


class FaultInjector:
    """The active fault rules and throttle; thread-safe. ``clock`` is monotonic seconds."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self.clear()

    def add(self, rule: FaultRule) -> None:
        """Arm ``rule``; when several rules match a request the oldest armed one wins."""
        with self._lock:
            self._rules.append(_ArmedRule(rule, rule.times))

    def clear(self) -> None:
        """Remove every rule and the throttle, and zero the statistics."""
        with self._lock:
            self._rules: list[_ArmedRule] = []
            self._throttle: ThrottleSettings | None = None
            self._buckets: dict[str, _Bucket] = {}
            self._injected = 0
            self._throttled = 0

    def throttle(
        self,
        rpm: float | None,
        burst: int | None = None,
        scope: ThrottleScope = "endpoint",
        retry_after: bool = True,
        retry_after_ms: bool = False,
    ) -> None:
        """Throttle to ``rpm`` requests per minute (``None`` turns throttling off).

        ``burst`` (default: ``rpm`` rounded up) is the bucket size, full at the start.
        ``retry_after`` adds a ``Retry-After`` header (whole seconds until a slot frees);
        ``retry_after_ms`` a ``Retry-After-Ms`` header (milliseconds, as OpenAI sends on
        some endpoints).
        """
        if rpm is not None and rpm <= 0:
            raise ValueError("rpm must be > 0 (or None to turn throttling off)")
        if burst is not None and burst < 1:
            raise ValueError("burst must be >= 1")
        if scope not in ("endpoint", "global"):
            raise ValueError("scope must be 'endpoint' or 'global'")
        with self._lock:
            self._buckets = {}
            self._throttle = (
                None
                if rpm is None
                else ThrottleSettings(
                    rpm, burst if burst is not None else max(1, math.ceil(rpm)), scope, retry_after, retry_after_ms
                )
            )

    def stats(self) -> dict[str, int]:
        """``injected`` faults, ``throttled`` requests, ``pending_rules`` still armed."""
        with self._lock:
            return {"injected": self._injected, "throttled": self._throttled, "pending_rules": len(self._rules)}

    def describe(self) -> dict[str, Any]:
        """The armed rules (with ``remaining`` uses), the throttle and :meth:`stats`."""
        with self._lock:
            rules = [{**armed.rule.to_dict(), "remaining": armed.remaining} for armed in self._rules]
            throttle = dataclasses.asdict(self._throttle) if self._throttle else None
        return {"rules": rules, "throttle": throttle, "stats": self.stats()}

    def take(self, method: str, path: str) -> FaultRule | None:
        """The rule for this request, if any, using up one of its ``times``."""
        with self._lock:
            for armed in self._rules:
                if armed.rule.matches(method, path):
                    if armed.remaining is not None:
                        armed.remaining -= 1
                        if armed.remaining == 0:
                            self._rules.remove(armed)
                    self._injected += 1
                    return armed.rule
        return None

    def admit(self, route: str) -> InjectedResponse | None:
        """Take a throttle slot for ``route`` (``"METHOD /template"``); the 429 if none is free."""
        with self._lock:
            settings = self._throttle
            if settings is None:
                return None
            now = self._clock()
            key = route if settings.scope == "endpoint" else "*"
            bucket = self._buckets.setdefault(key, _Bucket(settings.burst, now))
            rate = settings.rpm / 60.0
            bucket.tokens = min(settings.burst, bucket.tokens + (now - bucket.updated) * rate)
            bucket.updated = now
            if bucket.tokens >= 1:
                bucket.tokens -= 1
                return None
            self._throttled += 1
            wait = (1 - bucket.tokens) / rate
        message = (
            f"Rate limit reached for requests to {route}: limit {_seconds(settings.rpm)} per minute. "
            f"Please try again in {wait:.1f}s."
        )
        headers = {"retry-after": str(max(1, math.ceil(wait)))} if settings.retry_after else {}
        if settings.retry_after_ms:
            headers["retry-after-ms"] = str(max(1, math.ceil(wait * 1000)))
        return InjectedResponse(429, error_body(message, "requests", None, "rate_limit_exceeded"), headers)
