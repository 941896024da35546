"""Client-side pacing: stay under the Admin API's per-endpoint throttle instead of hitting it.

The admin endpoints are throttled at a few requests per minute each, often without a
``Retry-After`` header (docs/design.md, fact 4), so every 429 costs a backoff. A
:class:`Pacer` spaces requests out before they are sent (a token bucket, in its GCRA
form) and, after any 429, makes every thread using the same client wait out a shared
cooldown rather than pile more requests onto a throttled endpoint.

:func:`~.shared_pacers.shared_pacer` is the one factory the hook and the triggers use: without a
``rate_limit_backend`` it gives the process's in-process :class:`Pacer` of a connection;
with one, a :class:`~.budget.SharedPacer` whose budget and cooldown every process shares.
Both pace :data:`PACING_MARGIN` slower than configured, so requests spaced exactly at the
limit do not land early at the server.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal

PacingScope = Literal["endpoint", "global"]

#: The connection's pacing runs this fraction slower than its ``requests_per_minute``.
PACING_MARGIN = 0.03
#: A process that wakes up later than its reserved slot by more than this fraction of the
#: interval (a loaded host did not run it) takes a new slot instead of sending late.
MISSED_SLOT_FRACTION = 0.5
_MAX_MISSED_SLOTS = 3


@dataclass
class _Bucket:
    theoretical_arrival: float = 0.0
    cooldown_until: float = 0.0
    lock: threading.Lock = field(default_factory=threading.Lock)


class Pacer:
    """Spaces requests to at most ``requests_per_minute`` per endpoint (or overall).

    :param requests_per_minute: the pace; ``None`` or 0 paces nothing (the 429 cooldown
        still applies).
    :param burst: how many requests may go back to back before the pace applies.
    :param margin: space requests this fraction wider than ``60 / requests_per_minute``.
    :param scope: ``"endpoint"`` keeps one bucket per method and route template, the way
        the Admin API throttles; ``"global"`` shares one bucket between all endpoints.
    """

    def __init__(
        self,
        requests_per_minute: float | None = None,
        *,
        burst: int = 1,
        scope: PacingScope = "endpoint",
        margin: float = 0.0,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if requests_per_minute is not None and requests_per_minute < 0:
            raise ValueError("requests_per_minute must be positive or None")
        if burst < 1:
            raise ValueError("burst must be at least 1")
        if scope not in ("endpoint", "global"):
            raise ValueError("scope must be 'endpoint' or 'global'")
        self.requests_per_minute = requests_per_minute or None
        self.burst = burst
        self.scope = scope
        if margin < 0:
            raise ValueError("margin must not be negative")
        self._interval = 60.0 / requests_per_minute * (1.0 + margin) if requests_per_minute else 0.0
        self._clock = clock
        self._sleep = sleep
        self._buckets: dict[str, _Bucket] = {}
        self._buckets_lock = threading.Lock()

    @property
    def interval(self) -> float:
        """Seconds between two requests to one endpoint at this pace (margin included; 0: unpaced)."""
        return self._interval

    def _bucket(self, endpoint: str) -> _Bucket:
        key = endpoint if self.scope == "endpoint" else "*"
        with self._buckets_lock:
            return self._buckets.setdefault(key, _Bucket())

    def reserve(self, endpoint: str) -> float:
        """Reserve the next slot for ``endpoint``; return how long to wait before sending."""
        bucket = self._bucket(endpoint)
        with bucket.lock:
            now = self._clock()
            send_at = max(now, bucket.cooldown_until)
            if self._interval:
                tolerance = (self.burst - 1) * self._interval
                send_at = max(send_at, bucket.theoretical_arrival - tolerance)
                bucket.theoretical_arrival = max(bucket.theoretical_arrival, send_at) + self._interval
            return send_at - now

    def wait(self, endpoint: str) -> float:
        """Block until a request to ``endpoint`` may be sent; return the seconds waited.

        A slot missed by more than :data:`MISSED_SLOT_FRACTION` of the interval (the process
        woke up that late) is not used: sending then could land right on the next holder's
        slot and meet a 429, so the next free slot is reserved instead (at most 3 times).
        The missed slot stays spent: the budget only errs on the side of fewer requests.
        """
        waited = 0.0
        for _ in range(_MAX_MISSED_SLOTS + 1):
            delay = max(self.reserve(endpoint), 0.0)
            slot_at = self._clock() + delay
            if delay > 0:
                self._sleep(delay)
            waited += delay
            if not self._interval or self._clock() - slot_at <= self._interval * MISSED_SLOT_FRACTION:
                break
        return waited

    def cool_down(self, endpoint: str, seconds: float) -> None:
        """After a 429: hold every request to ``endpoint`` (scope-wide) for ``seconds``."""
        bucket = self._bucket(endpoint)
        with bucket.lock:
            bucket.cooldown_until = max(bucket.cooldown_until, self._clock() + seconds)
