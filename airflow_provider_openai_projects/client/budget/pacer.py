"""``SharedPacer``: the :class:`~..pacing.Pacer` interface over a budget kept in a shared store.

Contract (the same as the in-process pacer, so the transports need no change):

- :meth:`SharedPacer.wait` (the synchronous client, i.e. every task) admits a request *when
  it is about to be sent*: :meth:`SharedPacer.admit_now` takes a unit of the budget at the
  current time if one is free, else says how long to sleep before asking again. A process
  that wakes up late therefore sends at once and pushes the next sender back, instead of
  landing on a slot reserved by another process; any ``n`` consecutive admissions of an
  endpoint span at least ``(n - 1) * interval - tolerance`` (:data:`SEND_TOLERANCE`);
- :meth:`SharedPacer.reserve` takes the next free slot in the future and returns how long
  to wait before sending (the async client, which sleeps on its event loop, uses it); the
  slot is the caller's even if it never sends (the budget errs on the side of fewer requests);
- :meth:`SharedPacer.cool_down` (after a 429) holds every request to the endpoint, in every
  process sharing the store, for at least that long; a shorter cooldown never cuts a
  longer one short.

Each budget is pyrate-limiter's GCRA with an emission interval of ``60 / requests_per_minute``
seconds plus a small margin (:data:`~..pacing.PACING_MARGIN`), so requests spaced exactly
at the limit do not land early. A request weighs :data:`_UNITS` units of it, so that the
tolerance of a send-time admission can be a fraction of an interval. Timestamps are
wall-clock milliseconds: the hosts sharing a Redis or PostgreSQL budget must keep their
clocks synchronised (NTP), as any deployment does.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Protocol
from urllib.parse import urlsplit, urlunsplit

from pyrate_limiter import Rate

from airflow_provider_openai_projects.client.errors import ConfigurationError
from airflow_provider_openai_projects.client.pacing import Pacer

BACKEND_EXTRA = "rate_limit_backend"
#: A send-time admission may come this fraction of an interval before its theoretical time,
#: so a process waking up a little late costs the pace nothing (the next one may go that much
#: sooner). A server bucket of 2 absorbs it with room to spare for the delay between the
#: admission and the request's arrival; a bucket of 1 would need 0 (and a wider margin).
SEND_TOLERANCE = 0.25
_UNITS = 4  # GCRA units per request: the tolerance is one unit (1 / _UNITS of an interval)
_MAX_RESERVE_STEPS = 10_000


class BudgetUnavailableError(ConfigurationError):
    """The configured ``rate_limit_backend`` cannot be used (unreachable, refused, wrong URL).

    Never retried and never answered by pacing per process instead: the task fails with
    this one error, which names the extra and shows the URL without its password.
    """


class BudgetStore(Protocol):
    """Where budgets live: one GCRA state and one cooldown per key. Thread-safe."""

    def admit(self, key: str, rate: Rate, at_ms: int, weight: int = 1) -> int | None:
        """Take ``weight`` units of ``key``'s budget at ``at_ms`` (epoch ms) if they are free
        then: ``None`` when taken, else the milliseconds after ``at_ms`` when they would be."""

    def cooldown_until(self, key: str) -> int:
        """The epoch ms before which ``key`` must not be used (0 when it may)."""

    def extend_cooldown(self, key: str, until_ms: int) -> None:
        """Hold ``key`` until ``until_ms`` unless it is already held longer."""

    def ping(self) -> None:
        """Prove the store answers (raises otherwise)."""

    def close(self) -> None:
        """Release connections."""


def redact_url(url: str) -> str:
    """``url`` with any password replaced by ``***`` (for errors and logs)."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = f"{parts.username or ''}:***@{parts.hostname or ''}"
    if parts.port:
        netloc += f":{parts.port}"
    return urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))


def unavailable(url: str, connection: str, detail: str) -> BudgetUnavailableError:
    """The one error a configured but unusable back-end raises."""
    secret = urlsplit(url).password
    if secret:
        detail = detail.replace(secret, "***")
    where = f"connection {connection!r}: " if connection else ""
    return BudgetUnavailableError(
        f"{where}extra {BACKEND_EXTRA!r} ({redact_url(url)}) is unreachable: {detail}. The throttle budget is "
        "shared by every worker through it; fix the back-end or remove the extra (the provider never falls "
        "back to pacing per process on its own)"
    )


def open_store(url: str, connection: str = "") -> BudgetStore:
    """The store a ``rate_limit_backend`` URL names, connected and checked.

    :raises BudgetUnavailableError: an unknown scheme, a missing client library, or a store
        that does not answer.
    """
    scheme = urlsplit(url).scheme.lower()
    try:
        store: BudgetStore
        if scheme == "sqlite":
            from airflow_provider_openai_projects.client.budget.sqlite_store import SQLiteBudgetStore

            store = SQLiteBudgetStore.from_url(url)
        elif scheme in ("redis", "rediss", "valkey", "valkeys"):
            from airflow_provider_openai_projects.client.budget.redis_store import RedisBudgetStore

            store = RedisBudgetStore.from_url(url)
        elif scheme in ("postgresql", "postgres"):
            from airflow_provider_openai_projects.client.budget.postgres_store import PostgresBudgetStore

            store = PostgresBudgetStore.from_url(url)
        else:
            raise BudgetUnavailableError(
                f"{'connection ' + repr(connection) + ': ' if connection else ''}extra {BACKEND_EXTRA!r} "
                f"({redact_url(url)}) must start with sqlite:///, redis://, valkey:// or postgresql://"
            )
        store.ping()
    except BudgetUnavailableError:
        raise
    except ImportError as exc:
        raise unavailable(url, connection, f"its client library is not installed ({exc.name})") from None
    except Exception as exc:
        raise unavailable(url, connection, f"{type(exc).__name__}: {exc}") from None
    return store


class SharedPacer(Pacer):
    """A :class:`~..pacing.Pacer` (same interface, so every transport takes it) that paces
    requests to ``requests_per_minute`` per endpoint across every process using ``store``.

    :param store: the shared store (:func:`open_store`).
    :param namespace: what the budget belongs to (a connection and its base URL); with the
        endpoint it makes the store key.
    :param requests_per_minute: the pace; ``None`` or 0 paces nothing, but the 429 cooldown
        is still shared.
    :param margin: pace this fraction slower than configured (0.03: 3 %).
    :param url: the back-end URL (shown, without password, in errors).
    :param connection: the connection id (named in errors).
    """

    def __init__(
        self,
        store: BudgetStore,
        namespace: str,
        requests_per_minute: float | None,
        *,
        burst: int = 1,
        margin: float = 0.0,
        url: str = "",
        connection: str = "",
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        super().__init__(requests_per_minute, burst=burst, margin=margin, clock=clock, sleep=sleep)
        self.store = store
        self.namespace = namespace
        self.url = url
        self.connection = connection
        self._rate: Rate | None = None
        self._send_rate: Rate | None = None
        if self.requests_per_minute:
            emission_us = round(60.0 / self.requests_per_minute * (1.0 + margin) * 1_000_000)
            # _UNITS * 1000 units per emission_us ms: one request (_UNITS units) per emission
            # interval, in pyrate-limiter GCRA's exact microseconds. Both rates share the state
            # (the theoretical arrival time); they differ only in how early they admit.
            units = _UNITS * 1000
            self._rate = Rate(units, emission_us, burst=burst * _UNITS)
            self._send_rate = Rate(units, emission_us, burst=burst * _UNITS + 1)

    def _key(self, endpoint: str) -> str:
        return f"openai-admin-budget:{self.namespace}:{endpoint}"

    def reserve(self, endpoint: str) -> float:
        """Reserve the next slot of ``endpoint``'s shared budget; seconds to wait before sending.

        :raises BudgetUnavailableError: the store stopped answering.
        """
        key = self._key(endpoint)
        try:
            now_ms = int(self._clock() * 1000)
            at_ms = max(now_ms, self.store.cooldown_until(key))
            if self._rate is not None:
                for _ in range(_MAX_RESERVE_STEPS):
                    later = self.store.admit(key, self._rate, at_ms, _UNITS)
                    if later is None:
                        break
                    at_ms += max(later, 1)
                else:  # pragma: no cover - only with thousands of processes racing for one slot
                    raise RuntimeError("no slot found")
        except BudgetUnavailableError:
            raise
        except Exception as exc:
            raise unavailable(self.url, self.connection, f"{type(exc).__name__}: {exc}") from None
        return max(at_ms - now_ms, 0) / 1000.0

    def admit_now(self, endpoint: str) -> float:
        """Take a unit of ``endpoint``'s budget now if one is free (``0.0``: send at once),
        else the seconds to wait before asking again (a 429 cooldown, or the next free time).

        :raises BudgetUnavailableError: the store stopped answering.
        """
        key = self._key(endpoint)
        try:
            now_ms = int(self._clock() * 1000)
            cooldown_ms = self.store.cooldown_until(key)
            if cooldown_ms > now_ms:
                return (cooldown_ms - now_ms) / 1000.0
            if self._send_rate is None:
                return 0.0
            later = self.store.admit(key, self._send_rate, now_ms, _UNITS)
        except BudgetUnavailableError:
            raise
        except Exception as exc:
            raise unavailable(self.url, self.connection, f"{type(exc).__name__}: {exc}") from None
        return 0.0 if later is None else max(later, 1) / 1000.0

    def wait(self, endpoint: str) -> float:
        """Block until a request to ``endpoint`` may be sent now; the seconds waited.

        The unit is taken when the caller is awake and about to send (:meth:`admit_now`), not
        reserved ahead: a late wake-up (a loaded host) sends on its own time and the next
        sender, in any process, keeps an interval (less :data:`SEND_TOLERANCE`) after it.
        """
        waited = 0.0
        for _ in range(_MAX_RESERVE_STEPS):
            delay = self.admit_now(endpoint)
            if delay <= 0:
                return waited
            self._sleep(delay)
            waited += delay
        raise RuntimeError("no free unit found")  # pragma: no cover - a store answering nonsense

    def cool_down(self, endpoint: str, seconds: float) -> None:
        """After a 429: hold every request to ``endpoint``, in every process, for ``seconds``."""
        try:
            self.store.extend_cooldown(self._key(endpoint), int((self._clock() + seconds) * 1000))
        except Exception as exc:
            raise unavailable(self.url, self.connection, f"{type(exc).__name__}: {exc}") from None

    def __repr__(self) -> str:
        return f"<SharedPacer {redact_url(self.url)} {self.namespace!r} rpm={self.requests_per_minute}>"
