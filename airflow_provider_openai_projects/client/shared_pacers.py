"""The one pacer per connection and base URL in a process: per-process or on a shared budget.

:func:`shared_pacer` is the one factory the hook and the triggers use (the CLI, one process,
makes its own with :func:`new_pacer`). Without a
``rate_limit_backend`` it makes a :class:`~.pacing.Pacer` (this process only); with one, a
:class:`~.budget.SharedPacer` over that store, shared by every process and host using it.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from airflow_provider_openai_projects.client.budget import SharedPacer, open_store
from airflow_provider_openai_projects.client.pacing import PACING_MARGIN, Pacer
from airflow_provider_openai_projects.client.retry import DEFAULT_MAX_SERVER_WAIT

_SHARED: dict[tuple[str, float | None, str | None, float], Pacer] = {}
_SHARED_LOCK = threading.Lock()


def new_pacer(
    key: str,
    requests_per_minute: float | None,
    *,
    backend: str | None = None,
    connection: str = "",
    max_wait: float = DEFAULT_MAX_SERVER_WAIT,
    sleep: Callable[[float], None] = time.sleep,
) -> Pacer:
    """A new pacer of ``key`` (not shared in the process: the CLI's, which shows its waits
    through ``sleep``); on the store ``backend`` names when set. Raises as :func:`shared_pacer`."""
    backend = (backend or "").strip() or None
    if backend is None:
        return Pacer(requests_per_minute, margin=PACING_MARGIN, sleep=sleep)
    store = open_store(backend, connection)
    return SharedPacer(
        store,
        key,
        requests_per_minute,
        margin=PACING_MARGIN,
        url=backend,
        connection=connection,
        max_wait=max_wait,
        sleep=sleep,
    )


def shared_pacer(
    key: str,
    requests_per_minute: float | None,
    *,
    backend: str | None = None,
    connection: str = "",
    max_wait: float = DEFAULT_MAX_SERVER_WAIT,
) -> Pacer:
    """The one pacer of ``key`` (a connection and its base URL) in this process, made on first use.

    Clients built for the same connection (several hooks in one task, every trigger of a
    triggerer) share it, so together they keep to the pace and all hold back after a 429.
    With ``backend`` (the connection extra ``rate_limit_backend``) the budget and the 429
    cooldown are kept there and shared by every process and host that uses it, and no wait
    it asks for exceeds ``max_wait`` (the connection's ``max_server_wait``).

    :raises ~.budget.BudgetUnavailableError: ``backend`` is set but cannot be reached (naming
        the extra ``rate_limit_backend`` of ``connection``); never a silent fallback.
    """
    backend = (backend or "").strip() or None
    with _SHARED_LOCK:
        pacer = _SHARED.get((key, requests_per_minute, backend, max_wait))
        if pacer is None:
            pacer = new_pacer(key, requests_per_minute, backend=backend, connection=connection, max_wait=max_wait)
            _SHARED[(key, requests_per_minute, backend, max_wait)] = pacer
        return pacer


def forget_shared_pacers() -> None:
    """Drop every shared pacer (and its in-process 429 cooldowns); for tests."""
    with _SHARED_LOCK:
        _SHARED.clear()
