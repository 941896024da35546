"""When to retry a failed request, and how long to wait first.

Pure decisions, no I/O: the synchronous transport and the asynchronous trigger client
share them, so both honour the same rules.

Rules (docs/design.md, "Facts about the Admin API"):
- 429 means the request was not applied: every method may be retried.
- A request that provably never reached the server (connection refused, connect
  timeout) may be retried whatever its method.
- 5xx, read timeouts and dropped connections are ambiguous: only requests that are
  idempotent (GET, DELETE, and POSTs that set absolute values) are retried. A create is
  never retried blindly; the caller must look for what it meant to create first.
- The wait honours ``Retry-After-Ms``, then ``Retry-After`` (seconds or an HTTP date),
  else exponential backoff with jitter. Server-directed waits longer than
  ``max_retry_wait`` are not slept: the error is raised with its ``retry_after`` so the
  caller can wait elsewhere (an Airflow trigger) instead of holding a worker slot.
- A server-directed wait longer than ``max_server_wait`` (default an hour) is not waited
  anywhere: :class:`~.errors.ServerWaitTooLongError` ends the request at once. No header
  value (``1e12``, a date in year 9999, ``inf``, ``nan``, negative) can overflow.

:class:`RetryLoop` holds these decisions for one logical request; the synchronous
transport and the asynchronous client run the same loop around it (the shape of
openai-python's ``_base_client``: send, on failure ask for the wait, wait, send again).
"""

from __future__ import annotations

import email.utils
import math
import random
import time
from collections.abc import Mapping
from dataclasses import dataclass

from airflow_provider_openai_projects.client.errors import (
    APIConnectionError,
    ConfigurationError,
    OpenAIAdminError,
    RateLimitError,
    ServerError,
    ServerWaitTooLongError,
)

DEFAULT_MAX_SERVER_WAIT = 3600.0
"""The longest ``Retry-After`` obeyed at all (slept, awaited or deferred), in seconds."""


@dataclass(frozen=True)
class RetryPolicy:
    """How many times to retry and how long to wait.

    :param max_retries: retries after the first attempt (0 disables retrying).
    :param initial_delay: first backoff delay in seconds when the server gives no hint.
    :param max_delay: cap of the exponential backoff.
    :param max_retry_wait: longest wait after a 429 (the server's ``Retry-After`` or the
        backoff) that is slept; a longer one ends the retries with :class:`RateLimitError`.
    :param jitter: fraction of the backoff delay removed at random (0.25 = up to 25 %).
    """

    max_retries: int = 5
    initial_delay: float = 1.0
    max_delay: float = 30.0
    max_retry_wait: float = 120.0
    jitter: float = 0.25

    def __post_init__(self) -> None:
        """Raises :class:`~.errors.ConfigurationError` (a ``ValueError``) naming the field."""
        if isinstance(self.max_retries, bool) or not isinstance(self.max_retries, int) or self.max_retries < 0:
            raise ConfigurationError("max_retries must be a non-negative integer")
        if self.max_retries > 100:
            raise ConfigurationError("max_retries must be at most 100")
        for name in ("initial_delay", "max_delay", "max_retry_wait", "jitter"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int | float) or value < 0 or not math.isfinite(value):
                raise ConfigurationError(f"{name} must be a finite non-negative number")
        if self.jitter > 1:
            raise ConfigurationError("jitter must be between 0 and 1")

    def backoff(self, retry_number: int) -> float:
        """Delay before retry ``retry_number`` (0-based) when the server gave no hint."""
        delay = min(self.initial_delay * (2.0 ** min(retry_number, 32)), self.max_delay)
        return delay * (1.0 - self.jitter * random.random())

    def delay(self, retry_number: int, error: OpenAIAdminError) -> float | None:
        """Seconds to wait before retrying after ``error``; ``None`` if not to wait here.

        A throttled request (429) waits the server's hint, or the backoff when there is
        none, but never longer than ``max_retry_wait``: a longer wait is not taken here
        (the error is raised, and a deferrable operator waits it out in the triggerer).
        """
        if isinstance(error, RateLimitError):
            hint = error.retry_after
            wait = hint if hint is not None and hint > 0 else self.backoff(retry_number)
            return wait if wait <= self.max_retry_wait else None
        return self.backoff(retry_number)


class RetryLoop:
    """The retry decisions of one logical request (shared by the sync and async clients).

    :param policy: how often and how long.
    :param safe_to_repeat: whether repeating the request is harmless even if it took effect.
    :param max_server_wait: the longest server-directed wait obeyed at all.
    """

    def __init__(self, policy: RetryPolicy, *, safe_to_repeat: bool, max_server_wait: float) -> None:
        self.policy = policy
        self.safe_to_repeat = safe_to_repeat
        self.max_server_wait = max_server_wait
        self.attempts = policy.max_retries + 1

    def next_wait(self, attempt: int, error: OpenAIAdminError) -> float | None:
        """Seconds to wait before attempt ``attempt + 1`` after ``error`` (attempt is
        1-based), or ``None`` when ``error`` must be raised as it is.

        :raises ServerWaitTooLongError: the server asked for a wait beyond ``max_server_wait``.
        """
        check_server_wait(error, self.max_server_wait)
        if attempt >= self.attempts or not is_retryable(error, idempotent=self.safe_to_repeat):
            return None
        return self.policy.delay(attempt - 1, error)


def check_server_wait(error: OpenAIAdminError, max_server_wait: float) -> None:
    """Raise :class:`ServerWaitTooLongError` if ``error`` asks for a wait beyond the cap."""
    hint = getattr(error, "retry_after", None)
    if isinstance(error, RateLimitError) and hint is not None and hint > max_server_wait:
        raise ServerWaitTooLongError(
            f"the API asked to wait {hint:.0f} s before retrying (Retry-After), more than the "
            f"{max_server_wait:.0f} s this client obeys (connection extra 'max_server_wait'); not waiting",
            method=error.method or "",
            path=error.path or "",
            retry_after=hint,
        ) from None


def is_retryable(error: OpenAIAdminError, *, idempotent: bool) -> bool:
    """Whether a request that failed with ``error`` may be sent again as it is."""
    if isinstance(error, RateLimitError):
        return True
    if isinstance(error, APIConnectionError):
        return idempotent or not error.maybe_applied
    if isinstance(error, ServerError):
        return idempotent
    return False


def parse_retry_after(headers: Mapping[str, str], now: float | None = None) -> float | None:
    """Seconds the server asks us to wait, from ``Retry-After-Ms`` or ``Retry-After``.

    ``Retry-After`` may be a number of seconds or an HTTP date. Returns ``None`` when
    there is no usable header (the Admin API often sends none).
    """
    lowered = {k.lower(): v for k, v in headers.items()}
    for name, divisor in (("retry-after-ms", 1000.0), ("retry-after", 1.0)):
        raw = lowered.get(name)
        if raw is None:
            continue
        try:
            value = float(raw)
        except (ValueError, OverflowError):
            continue
        if math.isfinite(value) and value >= 0:
            return value / divisor
    raw = lowered.get("retry-after")
    if not raw:
        return None
    try:
        parsed = email.utils.parsedate_tz(raw)
        if parsed is None:
            return None
        when = email.utils.mktime_tz(parsed)
    except (TypeError, ValueError, OverflowError, IndexError):
        return None
    wait = float(when) - (time.time() if now is None else now)
    return max(0.0, wait) if math.isfinite(wait) else None
