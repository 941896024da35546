"""The ``sqlite:////<absolute path>`` budget: one host, many processes, no server.

Every decision is one ``BEGIN IMMEDIATE`` transaction running pyrate-limiter's GCRA step on
the key's stored state. The processes queue on an ``flock`` of a lock file beside the
database first: SQLite's own busy handler polls with sleeps of up to 100 ms, which would
cost more than the pacing it guards.
"""

from __future__ import annotations

import fcntl
import os
import sqlite3
import threading
from pathlib import Path
from urllib.parse import unquote, urlsplit

from pyrate_limiter import GCRA, Rate

_GCRA = GCRA()
_SCHEMA = (
    "CREATE TABLE IF NOT EXISTS openai_admin_budget "
    "(key TEXT PRIMARY KEY, tat INTEGER NOT NULL DEFAULT 0, cooldown_until INTEGER NOT NULL DEFAULT 0)"
)


class SQLiteBudgetStore:
    """Budgets in one SQLite file shared by the processes of one host. Thread-safe."""

    def __init__(self, path: Path) -> None:
        if not path.is_absolute():
            raise ValueError(f"the SQLite path must be absolute, got {str(path)!r}")
        if not path.parent.is_dir():
            raise FileNotFoundError(f"directory {str(path.parent)!r} does not exist")
        self.path = path
        self._lock = threading.Lock()
        self._lock_fd = os.open(f"{path}.lock", os.O_RDWR | os.O_CREAT, 0o600)
        self._db = sqlite3.connect(path, timeout=60.0, isolation_level=None, check_same_thread=False)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.execute(_SCHEMA)

    @classmethod
    def from_url(cls, url: str) -> SQLiteBudgetStore:
        """``sqlite:///abs/path.db`` or ``sqlite:////abs/path.db`` (both name ``/abs/path.db``)."""
        parts = urlsplit(url)
        if parts.netloc:
            raise ValueError("a sqlite URL has no host: sqlite:///<absolute path>")
        raw = unquote(parts.path)
        if not raw.strip("/") or raw.strip("/") == ":memory:":
            raise ValueError("a sqlite URL needs a file path: sqlite:///<absolute path>")
        return cls(Path("/" + raw.lstrip("/")))

    def admit(self, key: str, rate: Rate, at_ms: int, weight: int = 1) -> int | None:
        with self._lock:
            fcntl.flock(self._lock_fd, fcntl.LOCK_EX)
            try:
                return self._admit(key, rate, at_ms, weight)
            finally:
                fcntl.flock(self._lock_fd, fcntl.LOCK_UN)

    def _admit(self, key: str, rate: Rate, at_ms: int, weight: int) -> int | None:
        self._db.execute("BEGIN IMMEDIATE")
        try:
            self._db.execute("INSERT OR IGNORE INTO openai_admin_budget (key) VALUES (?)", (key,))
            (tat,) = self._db.execute("SELECT tat FROM openai_admin_budget WHERE key = ?", (key,)).fetchone()
            state, decision = _GCRA.step([rate], (int(tat),), at_ms, weight)
            if decision.allowed:
                self._db.execute("UPDATE openai_admin_budget SET tat = ? WHERE key = ?", (int(state[0]), key))
            self._db.execute("COMMIT")
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        return None if decision.allowed else max(decision.retry_after_ms or 1, 1)

    def cooldown_until(self, key: str) -> int:
        with self._lock:
            row = self._db.execute("SELECT cooldown_until FROM openai_admin_budget WHERE key = ?", (key,)).fetchone()
        return int(row[0]) if row else 0

    def extend_cooldown(self, key: str, until_ms: int) -> None:
        with self._lock:
            self._db.execute(
                "INSERT INTO openai_admin_budget (key, cooldown_until) VALUES (?, ?) ON CONFLICT(key) DO UPDATE "
                "SET cooldown_until = MAX(cooldown_until, excluded.cooldown_until)",
                (key, until_ms),
            )

    def server_time_ms(self) -> int | None:
        """``None``: one host, one clock (this host's)."""
        return None

    def clamp(self, key: str, until_ms: int) -> None:
        with self._lock:
            self._db.execute(
                "UPDATE openai_admin_budget SET tat = MIN(tat, ?), cooldown_until = MIN(cooldown_until, ?) "
                "WHERE key = ?",
                (until_ms * 1000, until_ms, key),
            )

    def __repr__(self) -> str:
        return f"<SQLiteBudgetStore {str(self.path)!r}>"

    def ping(self) -> None:
        with self._lock:
            self._db.execute("SELECT 1").fetchone()

    def close(self) -> None:
        with self._lock:
            self._db.close()
            os.close(self._lock_fd)
