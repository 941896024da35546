"""The one pacer per connection and base URL in a process: per-process or on a shared budget.

:func:`shared_pacer` is the one factory the hook and the triggers use. Without a
``rate_limit_backend`` it makes a :class:`~.pacing.Pacer` (this process only); with one, a
:class:`~.budget.SharedPacer` over that store, shared by every process and host using it.
"""

from __future__ import annotations

import threading

from airflow_provider_openai_projects.client.budget import SharedPacer, open_store
from airflow_provider_openai_projects.client.pacing import PACING_MARGIN, Pacer

_SHARED: dict[tuple[str, float | None, str | None], Pacer] = {}
_SHARED_LOCK = threading.Lock()


def shared_pacer(
    key: str, requests_per_minute: float | None, *, backend: str | None = None, connection: str = ""
) -> Pacer:
    """The one pacer of ``key`` (a connection and its base URL) in this process, made on first use.

    Clients built for the same connection (several hooks in one task, every trigger of a
    triggerer) share it, so together they keep to the pace and all hold back after a 429.
    With ``backend`` (the connection extra ``rate_limit_backend``) the budget and the 429
    cooldown are kept there and shared by every process and host that uses it.

    :raises ~.budget.BudgetUnavailableError: ``backend`` is set but cannot be reached (naming
        the extra ``rate_limit_backend`` of ``connection``); never a silent fallback.
    """
    backend = (backend or "").strip() or None
    with _SHARED_LOCK:
        pacer = _SHARED.get((key, requests_per_minute, backend))
        if pacer is None:
            if backend is None:
                pacer = Pacer(requests_per_minute, margin=PACING_MARGIN)
            else:
                store = open_store(backend, connection)
                pacer = SharedPacer(
                    store, key, requests_per_minute, margin=PACING_MARGIN, url=backend, connection=connection
                )
            _SHARED[(key, requests_per_minute, backend)] = pacer
        return pacer


def forget_shared_pacers() -> None:
    """Drop every shared pacer (and its in-process 429 cooldowns); for tests."""
    with _SHARED_LOCK:
        _SHARED.clear()
