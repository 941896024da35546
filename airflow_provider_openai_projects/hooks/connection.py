"""An ``openai_admin`` connection read once, strictly, into a :class:`~.client.config.ClientConfig`.

The one place where a connection becomes a client configuration: the hook (sync client),
the triggers (async client) and the ``openai-org`` CLI (outside Airflow, from
``AIRFLOW_CONN_<ID>``: ``cli/connection.py``) all call :func:`client_config_from_connection`,
so they read the same fields the same way and key the shared pacer by the same normalised URL.

Fields:

- **password**: the admin key; printable ASCII without whitespace (checked here, so a bad
  key is one configuration error naming the password, never a ``UnicodeEncodeError`` from
  deep inside ``http.client`` that Airflow would retry).
- **host**: a base URL (``http://127.0.0.1:8080/v1``) or a bare host; ``port`` and
  ``schema`` (as the URL path) apply when the host has none. Parsed once, strictly: the
  port is a number from 1 to 65535; no query, no fragment, no credentials. A bad value is
  one :class:`~.client.errors.ConfigurationError` naming the field (``host``, ``port``,
  ``schema``), raised before anything is sent and never retried. Messages show the URL's
  scheme, host and port only, never its path.
- **extra**: ``timeout``, ``connect_timeout``, ``total_timeout`` (seconds), ``max_retries``,
  ``requests_per_minute``, ``max_response_bytes``, ``max_server_wait`` (seconds, default
  3600: a longer ``Retry-After`` fails the try instead of being waited out), and
  ``rate_limit_backend`` (where the throttle budget is shared: :mod:`~.client.budget`). The
  back-end URL's passwords (userinfo, ``password=``-like query parameters, anything after an
  unencoded ``#``) are registered with Airflow's secrets masker when the connection is read
  in an Airflow process (:func:`mask_connection_secrets`), and shown redacted everywhere.

No Airflow import: the triggerer calls this in a worker thread, the CLI without Airflow.
"""

from __future__ import annotations

import math
import sys
from collections.abc import Callable, Mapping
from typing import Any, Protocol
from urllib.parse import urlsplit, urlunsplit

from airflow_provider_openai_projects import CONN_TYPE
from airflow_provider_openai_projects.client.budget import BACKEND_EXTRA, url_secrets
from airflow_provider_openai_projects.client.config import DEFAULT_BASE_URL, ClientConfig, check_api_key, origin
from airflow_provider_openai_projects.client.errors import ConfigurationError
from airflow_provider_openai_projects.client.pacing import Pacer
from airflow_provider_openai_projects.client.shared_pacers import new_pacer, shared_pacer

_FLOAT_EXTRAS = ("timeout", "connect_timeout", "total_timeout", "requests_per_minute", "max_server_wait")
_INT_EXTRAS = ("max_retries", "max_response_bytes")


class ConnectionLike(Protocol):
    """The fields of an Airflow ``Connection`` read here (only read: the CLI's frozen
    ``ConnectionInfo`` has them too)."""

    @property
    def host(self) -> str | None: ...
    @property
    def port(self) -> int | None: ...
    @property
    def schema(self) -> str | None: ...
    @property
    def password(self) -> str | None: ...


def _field_error(conn_id: str, field: str, problem: str) -> ConfigurationError:
    return ConfigurationError(f"connection {conn_id!r}, {field}: {problem}")


def base_url_from_connection(host: str | None, port: object, schema: str | None, conn_id: str = "?") -> str:
    """The API base URL a connection's host, port and schema describe (not yet normalised:
    :class:`ClientConfig` adds ``/v1`` to an empty path and checks the scheme).

    :raises ConfigurationError: naming ``host``, ``port`` or ``schema``; showing at most the
        scheme, host and port.
    """
    if port is not None and port != "":
        if isinstance(port, bool) or not (isinstance(port, int) or (isinstance(port, str) and port.isdigit())):
            raise _field_error(conn_id, "port", "must be a number from 1 to 65535")
        if not 1 <= int(port) <= 65535:
            raise _field_error(conn_id, "port", "must be a number from 1 to 65535")
    if schema and any(c in "?#@\\" or c.isspace() or not c.isprintable() for c in schema):
        raise _field_error(conn_id, "schema", "must be a URL path (no ?, #, @, whitespace or control characters)")
    if schema and any(part in (".", "..") for part in schema.strip("/").split("/")):
        raise _field_error(conn_id, "schema", "must not contain '.' or '..' segments")
    if not host or not host.strip():
        return DEFAULT_BASE_URL
    host = host.strip()
    url = host if "://" in host else f"https://{host}"
    parts = urlsplit(url)
    shown = f"{parts.scheme}://{parts.netloc.rpartition('@')[2]}"
    if "@" in parts.netloc:
        raise _field_error(
            conn_id, "host", "base_url must not carry credentials (user:password@); put the key in the password"
        )
    if "?" in url or "#" in url:
        raise _field_error(conn_id, "host", f"base_url {shown!r} must not carry a query or a fragment")
    if any(c.isspace() or not c.isprintable() for c in url):
        raise _field_error(conn_id, "host", "base_url must not contain whitespace or control characters")
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise _field_error(conn_id, "host", f"base_url must be an http(s) URL or a host name, got {shown!r}")
    try:
        host_port = parts.port
    except ValueError:
        raise _field_error(conn_id, "host", f"base_url {shown!r}: the port must be a number from 1 to 65535") from None
    if host_port == 0 or (host_port is None and parts.netloc.endswith(":")):
        raise _field_error(conn_id, "host", f"base_url {shown!r}: the port must be a number from 1 to 65535")
    netloc = parts.netloc
    if port and host_port is None:
        netloc = f"{netloc}:{int(port)}"
    path = parts.path if parts.path not in ("", "/") else (f"/{schema.strip('/')}" if schema else "")
    return urlunsplit((parts.scheme, netloc, path, "", ""))


def _extra_number(extra: Mapping[str, Any], name: str, conn_id: str, *, integer: bool = False) -> float | int | None:
    """Read a numeric extra (plain key or the UI's ``extra__openai_admin__<name>``)."""
    value = extra.get(name, extra.get(f"extra__{CONN_TYPE}__{name}"))
    if value is None or value == "":
        return None
    number: float | int | None
    try:
        number = int(str(value).strip()) if integer else float(value)
    except (TypeError, ValueError, OverflowError):
        number = None
    if isinstance(value, bool) or number is None or number < 0 or not math.isfinite(number):
        kind = "a non-negative integer" if integer else "a non-negative number"
        raise ConfigurationError(f"connection {conn_id!r}: extra {name!r} must be {kind}, got {value!r}")
    return number


def client_options(extra: Mapping[str, Any], conn_id: str) -> dict[str, Any]:
    """Client options from a connection's extras (see the module docstring), each checked
    here as a number; a bad value raises naming the extra."""
    options: dict[str, Any] = {}
    for name in (*_FLOAT_EXTRAS, *_INT_EXTRAS):
        number = _extra_number(extra, name, conn_id, integer=name in _INT_EXTRAS)
        if number is None:
            continue
        if number == 0 and name in ("timeout", "connect_timeout", "total_timeout", "max_response_bytes"):
            raise ConfigurationError(f"connection {conn_id!r}: extra {name!r} must be positive")
        if name == "requests_per_minute" and not number:
            continue
        options[name] = number
    return options


def client_config_from_connection(
    conn: ConnectionLike,
    conn_id: str,
    *,
    extra: Mapping[str, Any] | None = None,
    max_retry_wait: float | None = None,
) -> ClientConfig:
    """The client configuration an ``openai_admin`` connection describes.

    :param extra: the connection's extra as a dict (the caller reads it: synchronously in
        the hook, asynchronously in a trigger).
    :param max_retry_wait: the longest 429 wait the client takes itself (deferrable
        operators set it low and wait in the triggerer).
    :raises ConfigurationError: naming the connection and the field (``password``,
        ``host``, ``port``, ``schema`` or the extra), never the key or a URL path.
    """
    mask_connection_secrets(conn.password, extra or {})
    key = (conn.password or "").strip() if isinstance(conn.password, str) else ""
    if conn.password is not None and not isinstance(conn.password, str):
        raise _field_error(conn_id, "password", "must be a string")
    if not key:
        raise ConfigurationError(
            f"connection {conn_id!r} has no admin key: set its password to an OpenAI admin key (sk-admin-...)"
        )
    try:
        check_api_key(key)
    except ConfigurationError as error:
        raise _field_error(conn_id, "password", error.message) from None
    base_url = base_url_from_connection(conn.host, conn.port, conn.schema, conn_id)
    options = client_options(extra or {}, conn_id)
    if max_retry_wait is not None:
        options["max_retry_wait"] = max_retry_wait
    try:
        return ClientConfig.create(key, base_url=base_url, **options)
    except ConfigurationError as error:
        field = "host" if error.message.startswith("base_url") else "extra"
        raise _field_error(conn_id, field, error.message) from None


def backend_url(extra: Mapping[str, Any], conn_id: str) -> str | None:
    """The extra ``rate_limit_backend`` (plain key or the UI's ``extra__openai_admin__``
    form, as every extra; ``None`` when unset); a value that is not a string is a
    configuration error naming it. What the hook, the triggers and the CLI pace with."""
    value = _raw_backend(extra)
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise ConfigurationError(f"connection {conn_id!r}: extra {BACKEND_EXTRA!r} must be a URL string")
    return value.strip() or None


def _raw_backend(extra: Mapping[str, Any]) -> object:
    return extra.get(BACKEND_EXTRA, extra.get(f"extra__{CONN_TYPE}__{BACKEND_EXTRA}"))


def connection_secrets(password: object, extra: Mapping[str, Any]) -> list[str]:
    """The connection's secrets: its key and every password of its ``rate_limit_backend``."""
    found = [password.strip()] if isinstance(password, str) and password.strip() else []
    backend = _raw_backend(extra)
    if isinstance(backend, str) and backend.strip():
        found.extend(url_secrets(backend.strip()))
    return found


def _airflow_masker() -> Callable[[str], None] | None:
    """Airflow's ``mask_secret`` when this process already runs Airflow (the hook, the
    triggerer); ``None`` for the CLI, which must not import Airflow just for this."""
    if "airflow.sdk" not in sys.modules:
        return None
    try:
        from airflow.sdk.log import mask_secret
    except ImportError:  # pragma: no cover - an Airflow without the SDK's masker
        return None
    return mask_secret


def mask_connection_secrets(password: object, extra: Mapping[str, Any]) -> None:
    """Register the key and the back-end URL's passwords with Airflow's secrets masker (in an
    Airflow process), before anything else happens with them."""
    mask = _airflow_masker()
    if mask is not None:
        for secret in connection_secrets(password, extra):
            mask(secret)


def connection_pacer(
    conn_id: str,
    config: ClientConfig,
    *,
    backend: object = None,
    shared: bool = True,
    sleep: Callable[[float], None] | None = None,
) -> Pacer:
    """The pacer every client of this connection shares (sync and async alike, keyed by
    the normalised base URL): in this process, or across every worker through the
    connection's ``rate_limit_backend``. No wait it asks for exceeds ``max_server_wait``.

    ``shared=False`` (the CLI: one process) makes a new one whose waits go through ``sleep``.

    :raises ~.client.budget.BudgetUnavailableError: the back-end is set but unusable.
    """
    backend = backend_url({BACKEND_EXTRA: backend}, conn_id)  # a value that is no string: one clear error
    key = f"{conn_id} {config.base_url}"
    if not shared:
        return new_pacer(
            key,
            config.requests_per_minute,
            backend=backend,
            connection=conn_id,
            max_wait=config.max_server_wait,
            **({"sleep": sleep} if sleep is not None else {}),
        )
    return shared_pacer(
        key, config.requests_per_minute, backend=backend, connection=conn_id, max_wait=config.max_server_wait
    )


def shown_url(config: ClientConfig) -> str:
    """What messages show of the base URL: scheme, host and port."""
    return origin(config.base_url)
