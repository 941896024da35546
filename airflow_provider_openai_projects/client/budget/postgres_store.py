"""The ``postgresql://`` budget: many hosts, through a PostgreSQL server they share.

Every decision is one transaction that locks the key's row (``SELECT … FOR UPDATE``) and
runs pyrate-limiter's GCRA step on its state; the table is created on first use.
"""

from __future__ import annotations

import threading
from typing import Any

from pyrate_limiter import GCRA, Rate

from airflow_provider_openai_projects.client.budget.urls import redact_url

_GCRA = GCRA()


class PostgresBudgetStore:
    """Budgets in one PostgreSQL table. Thread-safe (one connection, used under a lock)."""

    def __init__(self, url: str) -> None:
        self.url = url
        self._lock = threading.Lock()
        self._conn: Any = None

    @classmethod
    def from_url(cls, url: str) -> PostgresBudgetStore:
        return cls(url)

    def _connection(self) -> Any:
        import psycopg

        if self._conn is None or self._conn.closed or self._conn.broken:
            conn = psycopg.connect(self.url, connect_timeout=5, autocommit=False)
            with conn.transaction():
                # Serialise the first CREATE of concurrent processes (it is not atomic otherwise).
                conn.execute("SELECT pg_advisory_xact_lock(hashtext('openai_admin_budget'))")
                conn.execute(
                    "CREATE TABLE IF NOT EXISTS openai_admin_budget "
                    "(key TEXT PRIMARY KEY, tat BIGINT NOT NULL DEFAULT 0, "
                    "cooldown_until BIGINT NOT NULL DEFAULT 0)"
                )
            self._conn = conn
        return self._conn

    def admit(self, key: str, rate: Rate, at_ms: int, weight: int = 1) -> int | None:
        with self._lock:
            conn = self._connection()
            with conn.transaction():
                conn.execute("INSERT INTO openai_admin_budget (key) VALUES (%s) ON CONFLICT (key) DO NOTHING", (key,))
                (tat,) = conn.execute(
                    "SELECT tat FROM openai_admin_budget WHERE key = %s FOR UPDATE", (key,)
                ).fetchone()
                state, decision = _GCRA.step([rate], (int(tat),), at_ms, weight)
                if decision.allowed:
                    conn.execute("UPDATE openai_admin_budget SET tat = %s WHERE key = %s", (int(state[0]), key))
        return None if decision.allowed else max(decision.retry_after_ms or 1, 1)

    def cooldown_until(self, key: str) -> int:
        with self._lock:
            conn = self._connection()
            with conn.transaction():
                row = conn.execute("SELECT cooldown_until FROM openai_admin_budget WHERE key = %s", (key,)).fetchone()
        return int(row[0]) if row else 0

    def extend_cooldown(self, key: str, until_ms: int) -> None:
        with self._lock:
            conn = self._connection()
            with conn.transaction():
                conn.execute(
                    "INSERT INTO openai_admin_budget (key, cooldown_until) VALUES (%s, %s) ON CONFLICT (key) DO UPDATE "
                    "SET cooldown_until = GREATEST(openai_admin_budget.cooldown_until, EXCLUDED.cooldown_until)",
                    (key, until_ms),
                )

    def server_time_ms(self) -> int | None:
        """The server's clock (``clock_timestamp()``), so every host shares one clock."""
        with self._lock:
            conn = self._connection()
            with conn.transaction():
                (now,) = conn.execute("SELECT (extract(epoch FROM clock_timestamp()) * 1000)::bigint").fetchone()
        return int(now)

    def clamp(self, key: str, until_ms: int) -> None:
        with self._lock:
            conn = self._connection()
            with conn.transaction():
                conn.execute(
                    "UPDATE openai_admin_budget SET tat = LEAST(tat, %s), cooldown_until = LEAST(cooldown_until, %s) "
                    "WHERE key = %s",
                    (until_ms * 1000, until_ms, key),
                )

    def ping(self) -> None:
        with self._lock:
            self._connection().execute("SELECT 1").fetchone()
            self._conn.commit()

    def __repr__(self) -> str:
        return f"<PostgresBudgetStore {redact_url(self.url)}>"

    def close(self) -> None:
        with self._lock:
            if self._conn is not None:
                self._conn.close()
