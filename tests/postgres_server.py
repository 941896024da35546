"""A real PostgreSQL server on loopback TCP, from the ``pgserver`` wheel (a dev dependency: it
ships the server binaries, so no system package and no container).

Used by the shared-budget tests (a PostgreSQL budget) and the deployment tests (Airflow's
metadata database, as production deployments have it). The server and its data directory are
recorded with ``tests/process_guard.py``, so they are stopped and removed when the session ends,
however it ends. ``pg_ctl`` starts a daemon that is no child of pytest, and pgserver's own
clean-up knows only the server it started (this one is restarted on TCP), so the server is
stopped here with ``pg_ctl`` itself.
"""

from __future__ import annotations

import contextlib
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

from tests import process_guard
from tests.loopback import free_port


def _postmaster_pid(pgdata: Path) -> int:
    """The running postmaster's pid: the first line of ``postmaster.pid``."""
    return int((pgdata / "postmaster.pid").read_text().splitlines()[0])


@contextlib.contextmanager
def postgres_server(purpose: str, prefix: str = "pg-") -> Iterator[int]:
    """Start a fresh PostgreSQL cluster listening on ``127.0.0.1``; yield its port.

    Its superuser is ``postgres`` (loopback connections are trusted, any password is
    accepted) and its ``postgres`` database is empty. ``purpose`` names it in the process
    guard's report. Stopped (fast shutdown) and its data directory deleted on exit."""
    import pgserver
    from pgserver._commands import pg_ctl

    pgdata = Path(tempfile.mkdtemp(prefix=prefix))
    process_guard.record_path(pgdata, f"{purpose}: data directory")
    server = pgserver.get_server(pgdata, cleanup_mode="delete")
    try:
        port = free_port()
        # pgserver starts it on a Unix socket only: restart it listening on loopback TCP.
        pg_ctl(["-w", "stop"], pgdata=pgdata, user=server.system_user, timeout=30)
        options = f"-h 127.0.0.1 -p {port} -k {pgdata}"
        pg_ctl(["-w", "-o", options, "-l", str(pgdata / "log"), "start"], pgdata=pgdata, user=server.system_user)
        process_guard.record_process(_postmaster_pid(pgdata), purpose)
        yield port
    finally:
        # The server restarted here: pgserver's clean-up would not stop it.
        with contextlib.suppress(subprocess.CalledProcessError, subprocess.TimeoutExpired):
            pg_ctl(["-w", "-m", "fast", "stop"], pgdata=pgdata, user=server.system_user, timeout=30)
        server.cleanup()  # cleanup_mode="delete": removes the data directory
