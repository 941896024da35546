"""A throttle budget shared by every process that uses one connection (``rate_limit_backend``).

The in-process :class:`~airflow_provider_openai_projects.client.pacing.Pacer` keeps the pace
of one process. With several tasks in parallel (LocalExecutor processes, Celery workers,
Kubernetes pods) each would spend the whole budget on its own. A :class:`SharedPacer`
keeps the same per-endpoint budget and the same 429 cooldown in a store every process
reaches, chosen by the connection extra ``rate_limit_backend``:

- ``sqlite:////abs/path/budget.db`` (four slashes: an absolute path; anything else is
  refused): one host, many processes, no server (a file-locked SQLite database);
- ``redis://…``, ``rediss://…``, ``valkey://…``, ``valkeys://…``: many hosts (the Redis or
  Valkey of a Celery deployment); needs the ``redis`` extra;
- ``postgresql://…``: many hosts (the metadata database's server, another database);
  needs the ``postgres`` extra.

The pacing algorithm is pyrate-limiter's GCRA (with its Redis store); this package adds only
the Admin API's semantics: one budget per connection and endpoint, a cooldown after a 429
that holds every process, and a reservation (``reserve``) so that waiting happens outside
the store. A configured store that cannot be reached raises :class:`BudgetUnavailableError`
naming the extra; it never falls back to pacing per process.
"""

from __future__ import annotations

from airflow_provider_openai_projects.client.budget.pacer import (
    BACKEND_EXTRA,
    BudgetClockError,
    BudgetStore,
    BudgetUnavailableError,
    SharedPacer,
    open_store,
)
from airflow_provider_openai_projects.client.budget.urls import redact_url, url_secrets

__all__ = [
    "BACKEND_EXTRA",
    "BudgetClockError",
    "BudgetStore",
    "BudgetUnavailableError",
    "SharedPacer",
    "open_store",
    "redact_url",
    "url_secrets",
]
