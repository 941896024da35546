"""A SQLite ``DbApiHook`` for the roster's SQL-source tests: the ``sqlite`` provider is not a
dependency, so the tests register this hook for the ``sqlite`` connection type when no
provider did (see ``conftest.sqlite_connection``). The connection's host is the file."""

from __future__ import annotations

import sqlite3
from typing import Any

from airflow.providers.common.sql.hooks.sql import DbApiHook


class SQLiteRosterHook(DbApiHook):
    conn_name_attr = "sqlite_conn_id"
    default_conn_name = "sqlite_default"
    conn_type = "sqlite"
    hook_name = "SQLite (tests)"
    placeholder = "?"

    def get_conn(self) -> Any:
        return sqlite3.connect(self.connection.host)
