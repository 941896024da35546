"""``SharedPacer``: the :class:`~..pacing.Pacer` interface over a budget kept in a shared store.

Contract (the same as the in-process pacer, so the transports need no change):

- :meth:`SharedPacer.wait` (the synchronous client, i.e. every task) admits a request *when
  it is about to be sent*: :meth:`SharedPacer.admit_now` takes a unit of the budget at the
  current time if one is free, else says how long to sleep before asking again. A process
  that wakes up late therefore sends at once and pushes the next sender back, instead of
  landing on a slot reserved by another process; any ``n`` consecutive admissions of an
  endpoint span at least ``(n - 1) * interval - tolerance`` (:data:`SEND_TOLERANCE`);
- :meth:`SharedPacer.reserve` takes the next free slot in the future and returns how long
  to wait before sending; the slot is the caller's even if it never sends (the budget errs
  on the side of fewer requests). The clients do not use it (both the synchronous and the
  async client ask :meth:`~SharedPacer.admit_within`: :meth:`~SharedPacer.admit_now` bounded
  by ``max_wait``); it keeps the :class:`~..pacing.Pacer` interface whole;
- :meth:`SharedPacer.cool_down` (after a 429) holds every request to the endpoint, in every
  process sharing the store, for at least that long; a shorter cooldown never cuts a
  longer one short.

Each budget is pyrate-limiter's GCRA with an emission interval of ``60 / requests_per_minute``
seconds plus a small margin (:data:`~..pacing.PACING_MARGIN`), so requests spaced exactly
at the limit do not land early. A request weighs :data:`_UNITS` units of it, so that the
tolerance of a send-time admission can be a fraction of an interval.

Clocks. Timestamps are epoch milliseconds of *the store's* clock where it has one (Redis
``TIME``, PostgreSQL ``clock_timestamp()``): each pacer measures its host's offset to it
(re-measured every :data:`CLOCK_REFRESH_SECONDS`), so the hosts sharing a budget need not
agree on the time. SQLite (one host) uses the host's clock. Whatever the clocks do, no host
can freeze the budget:

- a stored state further ahead of now than :func:`clock_fault_bound` (a few intervals, at
  least :data:`CLOCK_FAULT_MIN_SECONDS`) when a unit is taken now, or further ahead than
  ``max_wait`` plus that bound for a cooldown or a reservation (legitimately up to
  ``max_wait`` ahead: a 429's wait, a queue of reserved slots), is a clock fault: it is
  repaired (clamped to now) with one warning per endpoint naming how far ahead it was, the
  bound, and this host's offset to the store's clock;
- no wait a pacer asks for exceeds ``max_wait`` (the connection's ``max_server_wait``):
  a longer one raises :class:`BudgetClockError` instead of sleeping.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Protocol, TypeVar
from urllib.parse import urlsplit

from pyrate_limiter import Rate

from airflow_provider_openai_projects.client.budget.urls import redact_url, scrub
from airflow_provider_openai_projects.client.errors import ConfigurationError
from airflow_provider_openai_projects.client.pacing import Pacer
from airflow_provider_openai_projects.client.retry import DEFAULT_MAX_SERVER_WAIT

log = logging.getLogger(__name__)
T = TypeVar("T")

BACKEND_EXTRA = "rate_limit_backend"
#: A send-time admission may come this fraction of an interval before its theoretical time,
#: so a process waking up a little late costs the pace nothing (the next one may go that much
#: sooner). A server bucket of 2 absorbs it with room to spare for the delay between the
#: admission and the request's arrival; a bucket of 1 would need 0 (and a wider margin).
SEND_TOLERANCE = 0.25
_UNITS = 4  # GCRA units per request: the tolerance is one unit (1 / _UNITS of an interval)
_MAX_RESERVE_STEPS = 10_000
#: A stored state more than this many intervals ahead of now is a clock fault ...
CLOCK_FAULT_INTERVALS = 10
#: ... or more than this many seconds ahead, whichever is longer.
CLOCK_FAULT_MIN_SECONDS = 30.0
#: How often a pacer re-measures its host's offset to the store's clock.
CLOCK_REFRESH_SECONDS = 30.0


class BudgetUnavailableError(ConfigurationError):
    """The configured ``rate_limit_backend`` cannot be used (unreachable, refused, wrong URL).

    Never retried and never answered by pacing per process instead: the task fails with
    this one error, which names the extra and shows the URL without its password.
    """


class BudgetClockError(BudgetUnavailableError):
    """The shared budget asks for a wait longer than ``max_server_wait``: a clock is wrong
    (or the budget is shared by far more work than it can pace). Never slept through."""


class BudgetStore(Protocol):
    """Where budgets live: one GCRA state and one cooldown per key. Thread-safe."""

    def admit(self, key: str, rate: Rate, at_ms: int, weight: int = 1) -> int | None:
        """Take ``weight`` units of ``key``'s budget at ``at_ms`` (epoch ms) if they are free
        then: ``None`` when taken, else the milliseconds after ``at_ms`` when they would be."""

    def cooldown_until(self, key: str) -> int:
        """The epoch ms before which ``key`` must not be used (0 when it may)."""

    def extend_cooldown(self, key: str, until_ms: int) -> None:
        """Hold ``key`` until ``until_ms`` unless it is already held longer."""

    def server_time_ms(self) -> int | None:
        """The store's own clock in epoch ms, or ``None`` if it has none worth sharing."""

    def clamp(self, key: str, until_ms: int) -> None:
        """Repair a clock fault: no state or cooldown of ``key`` later than ``until_ms``."""

    def ping(self) -> None:
        """Prove the store answers (raises otherwise)."""

    def close(self) -> None:
        """Release connections."""


def unavailable(url: str, connection: str, detail: str) -> BudgetUnavailableError:
    """The one error a configured but unusable back-end raises."""
    detail = " ".join(scrub(detail, url).split())  # one line, whatever the driver said
    where = f"connection {connection!r}: " if connection else ""
    return BudgetUnavailableError(
        f"{where}extra {BACKEND_EXTRA!r} ({redact_url(url)}) is unreachable: {detail}. The throttle budget is "
        "shared by every worker through it; fix the back-end or remove the extra (the provider never falls "
        "back to pacing per process on its own)"
    )


def _misconfigured(url: str, connection: str, problem: str) -> BudgetUnavailableError:
    where = f"connection {connection!r}: " if connection else ""
    return BudgetUnavailableError(f"{where}extra {BACKEND_EXTRA!r} ({redact_url(url)}) {problem}")


def check_sqlite_url(url: str, connection: str = "") -> None:
    """Refuse any ``sqlite:`` URL but ``sqlite:////<absolute path>`` (a relative or host-less
    spelling such as ``sqlite:budget.db`` or ``sqlite:///budget.db`` is a configuration error
    naming the extra, never read from another directory)."""
    rest = url.split(":", 1)[1]
    path = rest[3:] if rest.startswith("///") else ""
    if not path.startswith("/") or path.strip("/") in ("", ":memory:") or "?" in path or "#" in path:
        raise _misconfigured(
            url, connection, "must name an absolute file path: sqlite:////absolute/path/budget.db (four slashes)"
        )


def on_store(url: str, connection: str, step: Callable[[], T]) -> T:
    """``step()`` (a call to a back-end); any failure but a budget error becomes the one
    :func:`unavailable` error.

    That error is raised *outside* the ``except`` block, so neither its ``__cause__`` nor its
    ``__context__`` keeps the driver's exception: psycopg's carries the connection's password
    (``pgconn.password``), and a traceback printer or error reporter that walks the chain
    would show it.
    """
    try:
        return step()
    except BudgetUnavailableError:
        raise
    except ImportError as exc:
        failure = unavailable(url, connection, f"its client library is not installed ({exc.name})")
    except Exception as exc:
        failure = unavailable(url, connection, f"{type(exc).__name__}: {exc}")
    raise failure


def open_store(url: str, connection: str = "") -> BudgetStore:
    """The store a ``rate_limit_backend`` URL names, connected and checked.

    :raises BudgetUnavailableError: an unknown scheme, a relative SQLite path, a missing
        client library, or a store that does not answer (the URL shown redacted:
        :func:`~.urls.redact_url`; no driver exception chained: :func:`on_store`).
    """
    return on_store(url, connection, lambda: _connect(url, connection))


def _connect(url: str, connection: str) -> BudgetStore:
    scheme = urlsplit(url).scheme.lower() if "://" in url or url.lower().startswith("sqlite:") else ""
    store: BudgetStore
    if scheme == "sqlite":
        check_sqlite_url(url, connection)
        from airflow_provider_openai_projects.client.budget.sqlite_store import SQLiteBudgetStore

        store = SQLiteBudgetStore.from_url(url)
    elif scheme in ("redis", "rediss", "valkey", "valkeys"):
        from airflow_provider_openai_projects.client.budget.redis_store import RedisBudgetStore

        store = RedisBudgetStore.from_url(url)
    elif scheme in ("postgresql", "postgres"):
        from airflow_provider_openai_projects.client.budget.postgres_store import PostgresBudgetStore

        store = PostgresBudgetStore.from_url(url)
    else:
        raise _misconfigured(
            url, connection, "must start with sqlite:////, redis://, rediss://, valkey:// or postgresql://"
        )
    store.ping()
    return store


def clock_fault_bound(interval: float) -> float:
    """Seconds a stored state may lie ahead of now before it is a clock fault."""
    return max(CLOCK_FAULT_INTERVALS * interval, CLOCK_FAULT_MIN_SECONDS)


class SharedPacer(Pacer):
    """A :class:`~..pacing.Pacer` (same interface, so every transport takes it) that paces
    requests to ``requests_per_minute`` per endpoint across every process using ``store``.

    :param store: the shared store (:func:`open_store`).
    :param namespace: what the budget belongs to (a connection and its base URL); with the
        endpoint it makes the store key.
    :param requests_per_minute: the pace; ``None`` or 0 paces nothing, but the 429 cooldown
        is still shared.
    :param margin: pace this fraction slower than configured (0.03: 3 %).
    :param url: the back-end URL (shown, redacted, in errors and ``repr``).
    :param connection: the connection id (named in errors).
    :param max_wait: the longest wait this pacer asks for (the connection's
        ``max_server_wait``); a longer one raises :class:`BudgetClockError`.
    :param clock: this host's wall clock (epoch seconds); the store's clock is used through
        the measured offset when the store has one.
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
        max_wait: float = DEFAULT_MAX_SERVER_WAIT,
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        super().__init__(requests_per_minute, burst=burst, margin=margin, clock=clock, sleep=sleep)
        self.store = store
        self.namespace = namespace
        self.url = url
        self.connection = connection
        self.max_wait = float(max_wait)
        self._rate: Rate | None = None
        self._send_rate: Rate | None = None
        self._fault_bound_ms = int(clock_fault_bound(self.interval) * 1000)
        #: How far ahead a cooldown or a reserved slot can legitimately be (``max_wait``) plus the bound.
        self._horizon_ms = int(self.max_wait * 1000) + self._fault_bound_ms
        self._offset_ms = 0
        self._offset_checked: float | None = None
        self._warned: set[str] = set()
        self._clock_lock = threading.Lock()
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

    @property
    def clock_offset(self) -> float:
        """Seconds the store's clock is ahead of this host's (0 without a store clock)."""
        return self._offset_ms / 1000.0

    def _now_ms(self) -> int:
        """Now on the store's clock: this host's clock plus its measured offset."""
        local = self._clock()
        with self._clock_lock:
            if self._offset_checked is None or abs(local - self._offset_checked) >= CLOCK_REFRESH_SECONDS:
                before = self._clock()
                server = self.store.server_time_ms()
                after = self._clock()
                if server is not None:
                    self._offset_ms = int(server - (before + after) * 500)
                self._offset_checked = local = after
        return int(local * 1000) + self._offset_ms

    def _repair(self, key: str, endpoint: str, now_ms: int, ahead_ms: int, bound_ms: int) -> None:
        """A clock fault: clamp the key's state to now, and say so once per endpoint."""
        self.store.clamp(key, now_ms)
        if endpoint not in self._warned:
            self._warned.add(endpoint)
            log.warning(
                "The shared throttle budget of %s (extra %r, %s) was %.1f s ahead of now, more than the %.1f s "
                "a budget can be: a host sharing it has (or had) a clock that far ahead; this host's clock is "
                "%.1f s off the store's. Repaired: the endpoint's state is reset to now.",
                endpoint,
                BACKEND_EXTRA,
                redact_url(self.url),
                ahead_ms / 1000.0,
                bound_ms / 1000.0,
                -self.clock_offset,
            )

    def _cooldown(self, key: str, endpoint: str, now_ms: int) -> int:
        """The key's cooldown end, repaired first if no 429 could have set it that far ahead."""
        until = self.store.cooldown_until(key)
        if until - now_ms > self._horizon_ms:
            self._repair(key, endpoint, now_ms, until - now_ms, self._horizon_ms)
            until = self.store.cooldown_until(key)
        return until

    def _too_long(self, endpoint: str, seconds: float) -> BudgetClockError:
        where = f"connection {self.connection!r}: " if self.connection else ""
        return BudgetClockError(
            f"{where}the shared throttle budget (extra {BACKEND_EXTRA!r}, {redact_url(self.url)}) asks to wait "
            f"{seconds:.1f} s before {endpoint}, more than max_server_wait ({self.max_wait:.0f} s): a host's clock "
            "is probably wrong, or far more work shares the budget than it can pace; not waiting"
        )

    def reserve(self, endpoint: str) -> float:
        """Reserve the next slot of ``endpoint``'s shared budget; seconds to wait before sending.

        :raises BudgetUnavailableError: the store stopped answering.
        :raises BudgetClockError: the wait would exceed ``max_wait``.
        """
        now_ms, at_ms = on_store(self.url, self.connection, lambda: self._reserve(endpoint))
        wait = max(at_ms - now_ms, 0) / 1000.0
        if wait > self.max_wait:
            raise self._too_long(endpoint, wait)
        return wait

    def _reserve(self, endpoint: str) -> tuple[int, int]:
        """``(now, the reserved slot)`` in the store's epoch ms (the slot not taken when it
        lies beyond ``max_wait``)."""
        key = self._key(endpoint)
        now_ms = self._now_ms()
        at_ms = max(now_ms, self._cooldown(key, endpoint, now_ms))
        if self._rate is None:
            return now_ms, at_ms
        for step in range(_MAX_RESERVE_STEPS):
            later = self.store.admit(key, self._rate, at_ms, _UNITS)
            if later is None:
                return now_ms, at_ms
            if step == 0 and later > self._horizon_ms:  # reservations queue up to max_wait ahead
                self._repair(key, endpoint, now_ms, later, self._horizon_ms)
                continue
            at_ms += max(later, 1)
            if at_ms - now_ms > self.max_wait * 1000:
                return now_ms, at_ms
        raise RuntimeError("no slot found")  # pragma: no cover - only with thousands of processes racing for one slot

    def admit_now(self, endpoint: str) -> float:
        """Take a unit of ``endpoint``'s budget now if one is free (``0.0``: send at once),
        else the seconds to wait before asking again (a 429 cooldown, or the next free time).

        :raises BudgetUnavailableError: the store stopped answering.
        """
        return on_store(self.url, self.connection, lambda: self._admit_now(endpoint))

    def _admit_now(self, endpoint: str) -> float:
        key = self._key(endpoint)
        now_ms = self._now_ms()
        cooldown_ms = self._cooldown(key, endpoint, now_ms)
        if cooldown_ms > now_ms:
            return (cooldown_ms - now_ms) / 1000.0
        if self._send_rate is None:
            return 0.0
        later = self.store.admit(key, self._send_rate, now_ms, _UNITS)
        if later is not None and later > self._fault_bound_ms:
            self._repair(key, endpoint, now_ms, later, self._fault_bound_ms)
            later = self.store.admit(key, self._send_rate, now_ms, _UNITS)
        return 0.0 if later is None else max(later, 1) / 1000.0

    def admit_within(self, endpoint: str, waited: float) -> float:
        """:meth:`admit_now` for a send that has already waited ``waited`` seconds: the delay,
        unless sleeping it would take that send's wait past ``max_wait``.

        The one bound of both clients' waits: :meth:`wait` (the synchronous client) and the
        async client's loop (which sleeps on its event loop) call it.

        :raises BudgetUnavailableError: the store stopped answering.
        :raises BudgetClockError: ``waited`` plus the delay exceeds ``max_wait``.
        """
        delay = self.admit_now(endpoint)
        if delay > 0 and waited + delay > self.max_wait:
            raise self._too_long(endpoint, waited + delay)
        return delay

    def wait(self, endpoint: str) -> float:
        """Block until a request to ``endpoint`` may be sent now; the seconds waited.

        The unit is taken when the caller is awake and about to send (:meth:`admit_now`), not
        reserved ahead: a late wake-up (a loaded host) sends on its own time and the next
        sender, in any process, keeps an interval (less :data:`SEND_TOLERANCE`) after it.

        :raises BudgetClockError: the budget asks for a wait longer than ``max_wait``.
        """
        waited = 0.0
        for _ in range(_MAX_RESERVE_STEPS):
            delay = self.admit_within(endpoint, waited)
            if delay <= 0:
                return waited
            self._sleep(delay)
            waited += delay
        raise RuntimeError("no free unit found")  # pragma: no cover - a store answering nonsense

    def cool_down(self, endpoint: str, seconds: float) -> None:
        """After a 429: hold every request to ``endpoint``, in every process, for ``seconds``."""
        key = self._key(endpoint)
        on_store(
            self.url, self.connection, lambda: self.store.extend_cooldown(key, self._now_ms() + int(seconds * 1000))
        )

    def __repr__(self) -> str:
        return f"<SharedPacer {redact_url(self.url)} {self.namespace!r} rpm={self.requests_per_minute}>"
