"""An ``openai_admin`` Airflow connection read without starting Airflow, for the CLI.

``AIRFLOW_CONN_<ID>`` (JSON, or a URI parsed by Airflow's ``Connection``) is read first,
as Airflow itself would; without it, Airflow's secrets backends and metadata DB are asked
(this imports Airflow). This module only *reads* the connection's fields: they become a
client configuration through the hook's own parser,
:func:`~..hooks.connection.client_config_from_connection`, so the CLI, the hook and the
triggers read ``host``, ``port``, ``schema``, the password and the extras the same way.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from typing import Any

from airflow_provider_openai_projects.client.config import ClientConfig
from airflow_provider_openai_projects.client.errors import ConfigurationError
from airflow_provider_openai_projects.hooks.connection import client_config_from_connection


@dataclass(frozen=True)
class ConnectionInfo:
    """The fields of a connection the parser reads (a :class:`~..hooks.connection.ConnectionLike`)."""

    host: str | None
    password: str | None = field(repr=False)
    port: int | None = None
    schema: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)


def env_var(conn_id: str) -> str:
    return f"AIRFLOW_CONN_{conn_id.upper()}"


def read_connection(conn_id: str) -> ConnectionInfo:
    """The connection ``conn_id``; :class:`ConfigurationError` (never showing the key) if absent or bad."""
    raw = os.environ.get(env_var(conn_id))
    if raw is not None and raw.strip().startswith("{"):
        return _from_json(conn_id, raw)
    try:
        if raw is not None:
            from airflow.models.connection import Connection

            conn = Connection(conn_id=conn_id, uri=raw)
        else:
            from airflow.models.connection import Connection

            conn = Connection.get_connection_from_secrets(conn_id)
    except Exception as error:  # Airflow raises its own not-found type; report it plainly
        raise ConfigurationError(
            f"connection {conn_id!r} not found ({error.__class__.__name__}); set {env_var(conn_id)} "
            "to its JSON or URI, or pass --conn-id"
        ) from None
    return ConnectionInfo(conn.host, conn.password, conn.port, conn.schema, conn.extra_dejson or {})


def _from_json(conn_id: str, raw: str) -> ConnectionInfo:
    """A JSON connection, each field of the type Airflow gives it; a bad one is one
    :class:`ConfigurationError` naming the field (never its value: it may be the key)."""
    where = env_var(conn_id)
    try:
        data = json.loads(raw)
    except (ValueError, RecursionError):
        raise ConfigurationError(f"{where} is not valid JSON") from None
    if not isinstance(data, dict):
        raise ConfigurationError(f"{where} must be a JSON object")
    extra = data.get("extra") or {}
    if isinstance(extra, str):
        try:
            extra = json.loads(extra or "{}")
        except (ValueError, RecursionError):
            raise ConfigurationError(f"{where}: extra is not valid JSON") from None
    if not isinstance(extra, dict):
        raise ConfigurationError(f"{where}: extra must be a JSON object, got {type(extra).__name__}")
    for name in ("host", "password", "schema"):
        if data.get(name) is not None and not isinstance(data[name], str):
            raise ConfigurationError(f"{where}: {name} must be a string, got {type(data[name]).__name__}")
    port = data.get("port")  # a string is the parser's to judge, as for a URI connection
    if port is not None and (isinstance(port, bool) or not isinstance(port, int | str)):
        raise ConfigurationError(f"{where}: port must be an integer, got {type(port).__name__}")
    return ConnectionInfo(data.get("host"), data.get("password"), data.get("port"), data.get("schema"), extra)


def client_config(conn_id: str) -> ClientConfig:
    """The client configuration of connection ``conn_id``, parsed as the hook parses it.

    :raises ConfigurationError: the connection is absent, or a field is bad (naming the
        field, never showing the key).
    """
    info = read_connection(conn_id)
    return client_config_from_connection(info, conn_id, extra=info.extra)
