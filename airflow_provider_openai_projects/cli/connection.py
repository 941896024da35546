"""An ``openai_admin`` Airflow connection read without starting Airflow, for the CLI.

``AIRFLOW_CONN_<ID>`` (JSON, or a URI parsed by Airflow's ``Connection``) is read first,
as Airflow itself would; without it, Airflow's secrets backends and metadata DB are asked
(this imports Airflow). This module only *reads* the connection's fields: they become a
client configuration through the hook's own parser,
:func:`~..hooks.connection.client_config_from_connection`, so the CLI, the hook and the
triggers read ``host``, ``port``, ``schema``, the password and the extras the same way, and
:func:`build_client` gives the CLI the hook's pacer too: the shared throttle budget of the
extra ``rate_limit_backend`` included (an unusable back-end is the hook's one-line error).

A malformed ``AIRFLOW_CONN_<ID>`` (JSON that is not an object, an extra that is not a JSON
object, a password or host that is not a string) is one :class:`ConfigurationError` naming
the variable and the field, never a traceback.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from airflow_provider_openai_projects.client.config import ClientConfig
from airflow_provider_openai_projects.client.errors import ConfigurationError
from airflow_provider_openai_projects.hooks.connection import (
    backend_url,
    client_config_from_connection,
    connection_pacer,
)

if TYPE_CHECKING:
    from airflow_provider_openai_projects.client.admin import OpenAIAdminClient


@dataclass(frozen=True)
class ConnectionInfo:
    """The fields of a connection the parser reads (a :class:`~..hooks.connection.ConnectionLike`).
    Its ``repr`` shows neither the key nor the extra (``rate_limit_backend`` may hold a password)."""

    host: str | None
    password: str | None = field(repr=False)
    port: int | None = None
    schema: str | None = None
    extra: dict[str, Any] = field(default_factory=dict, repr=False)


def env_var(conn_id: str) -> str:
    return f"AIRFLOW_CONN_{conn_id.upper()}"


def read_connection(conn_id: str) -> ConnectionInfo:
    """The connection ``conn_id``; :class:`ConfigurationError` (never showing the key) if absent or bad."""
    raw = os.environ.get(env_var(conn_id))
    if raw is not None and _looks_like_json(raw):
        return _from_json(env_var(conn_id), raw)
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
    extra: object = conn.extra_dejson or {}
    if not isinstance(extra, dict):
        raise ConfigurationError(f"connection {conn_id!r}: extra must be a JSON object")
    return ConnectionInfo(conn.host, conn.password, conn.port, conn.schema, extra)


def _looks_like_json(raw: str) -> bool:
    """JSON (an object, or a value that is no URI: a list, a string, a number, a constant)."""
    text = raw.strip()
    return text[:1] in ("{", "[", '"', "-") or text[:1].isdigit() or text in ("null", "true", "false")


def _json_extra(variable: str, extra: object) -> dict[str, Any]:
    if extra is None or extra == "":
        return {}
    if isinstance(extra, str):
        try:
            extra = json.loads(extra)
        except (ValueError, RecursionError):
            raise ConfigurationError(f"{variable}: extra must be a JSON object, got text that is not JSON") from None
    if not isinstance(extra, dict):
        raise ConfigurationError(f"{variable}: extra must be a JSON object, got {type(extra).__name__}")
    return extra


def _from_json(variable: str, raw: str) -> ConnectionInfo:
    """A connection from ``AIRFLOW_CONN_<ID>``'s JSON; every field's type checked (no value echoed)."""
    try:
        data = json.loads(raw)
    except (ValueError, RecursionError):
        raise ConfigurationError(f"{variable} is not valid JSON") from None
    if not isinstance(data, dict):
        raise ConfigurationError(f"{variable} must be a JSON object, got {type(data).__name__}")
    for name in ("host", "password", "schema", "login"):
        if data.get(name) is not None and not isinstance(data[name], str):
            raise ConfigurationError(f"{variable}: {name} must be a string, got {type(data[name]).__name__}")
    port = data.get("port")
    if port is not None and (isinstance(port, bool) or not isinstance(port, int | str)):
        raise ConfigurationError(f"{variable}: port must be a number, got {type(port).__name__}")
    extra = _json_extra(variable, data.get("extra"))
    return ConnectionInfo(data.get("host"), data.get("password"), port, data.get("schema"), extra)  # type: ignore[arg-type]


def build_client(conn_id: str, sleep: Callable[[float], None] = time.sleep) -> OpenAIAdminClient:
    """The CLI's client of connection ``conn_id``, built as the hook builds its own: the same
    configuration and the same pacer (the shared budget of ``rate_limit_backend`` when set),
    its waits going through ``sleep`` (the CLI shows them).

    :raises ConfigurationError: a bad connection, or a back-end that cannot be used
        (:class:`~..client.budget.BudgetUnavailableError`, naming the extra, URL redacted).
    """
    from airflow_provider_openai_projects.client.admin import OpenAIAdminClient

    info = read_connection(conn_id)
    config = client_config_from_connection(info, conn_id, extra=info.extra)
    pacer = connection_pacer(conn_id, config, backend=backend_url(info.extra, conn_id), shared=False, sleep=sleep)
    return OpenAIAdminClient(config=config, pacer=pacer, sleep=sleep)


def client_config(conn_id: str) -> ClientConfig:
    """The client configuration of connection ``conn_id``, parsed as the hook parses it.

    :raises ConfigurationError: the connection is absent, or a field is bad (naming the
        field, never showing the key).
    """
    info = read_connection(conn_id)
    return client_config_from_connection(info, conn_id, extra=info.extra)
