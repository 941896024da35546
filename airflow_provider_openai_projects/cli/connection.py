"""An ``openai_admin`` Airflow connection read without starting Airflow, for the CLI.

``AIRFLOW_CONN_<ID>`` (JSON, or a URI parsed by Airflow's ``Connection``) is read first,
as Airflow itself would; without it, Airflow's secrets backends and metadata DB are asked
(this imports Airflow). The extras ``timeout``, ``max_retries`` and
``requests_per_minute`` mean what they mean for the hook.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from airflow_provider_openai_projects.client.errors import ConfigurationError

DEFAULT_BASE_URL = "https://api.openai.com/v1"


@dataclass(frozen=True)
class ConnectionInfo:
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
        try:
            data = json.loads(raw)
        except ValueError:
            raise ConfigurationError(f"{env_var(conn_id)} is not valid JSON") from None
        extra = data.get("extra") or {}
        if isinstance(extra, str):
            extra = json.loads(extra or "{}")
        return ConnectionInfo(data.get("host"), data.get("password"), data.get("port"), data.get("schema"), extra)
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


def base_url(info: ConnectionInfo) -> str:
    """The API base URL of the connection (as the hook computes it)."""
    if not info.host:
        return DEFAULT_BASE_URL
    url = info.host if "://" in info.host else f"https://{info.host}"
    parts = urlsplit(url)
    netloc = parts.netloc
    if info.port and parts.port is None:
        netloc = f"{netloc}:{info.port}"
    path = parts.path if parts.path not in ("", "/") else (f"/{info.schema.strip('/')}" if info.schema else "")
    return urlunsplit((parts.scheme, netloc, path, "", ""))


def _number(extra: dict[str, Any], name: str, cast: Callable[[Any], float]) -> float | None:
    value = extra.get(name, extra.get(f"extra__openai_admin__{name}"))
    if value in (None, ""):
        return None
    try:
        number = cast(value)
    except (TypeError, ValueError):
        raise ConfigurationError(f"connection extra {name!r} must be a non-negative number, got {value!r}") from None
    if number < 0:
        raise ConfigurationError(f"connection extra {name!r} must be a non-negative number, got {value!r}")
    return number


def client_kwargs(info: ConnectionInfo, conn_id: str) -> dict[str, Any]:
    """Keyword arguments of :class:`~..client.OpenAIAdminClient` for this connection."""
    key = (info.password or "").strip()
    if not key:
        raise ConfigurationError(f"connection {conn_id!r} has no admin key: set its password (sk-admin-...)")
    options: dict[str, Any] = {"api_key": key, "base_url": base_url(info)}
    timeout = _number(info.extra, "timeout", float)
    if timeout:
        options["timeout"] = timeout
    retries = _number(info.extra, "max_retries", int)
    if retries is not None:
        options["max_retries"] = int(retries)
    rpm = _number(info.extra, "requests_per_minute", float)
    if rpm:
        options["requests_per_minute"] = rpm
    return options
