"""``OpenAIAdminHook``: an Airflow connection turned into a configured Admin API client.

Connection type ``openai_admin``:

- **password**: the admin key (``sk-admin-...``). Registered with Airflow's secrets masker
  before anything can log it.
- **host**: optional base URL (default ``https://api.openai.com/v1``). A full URL
  (``http://127.0.0.1:8080/v1`` for the emulator) or a bare host (``https`` assumed);
  ``port`` and ``schema`` (as the URL path) are honoured when the host has none.
- **extra**: ``timeout`` (read timeout, seconds), ``max_retries``, ``requests_per_minute``
  (client-side pacing per endpoint), ``rate_limit_backend`` (where that budget is kept so
  every worker shares it: ``sqlite:///<path>``, ``redis://``/``valkey://``, ``postgresql://``;
  see :mod:`~airflow_provider_openai_projects.client.budget`).

The hook is thin: it has every endpoint method of the client (the same resource mixins,
:mod:`airflow_provider_openai_projects.client.resources`; see
:class:`~airflow_provider_openai_projects.client.OpenAIAdminClient` for contracts), each
delegating to the client and returning its JSON-able result. The methods that return a
freshly minted key (the rows of :data:`~airflow_provider_openai_projects.client.endpoints.ENDPOINTS`
with ``secret_fields``: ``create_service_account``, ``create_service_account_api_key``,
``create_admin_api_key``) mask its value before returning it; store it at once and never
pass it to XCom.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from functools import cached_property
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from airflow.sdk import BaseHook
from airflow.sdk.log import mask_secret

from airflow_provider_openai_projects import CONN_TYPE, DEFAULT_CONN_ID
from airflow_provider_openai_projects.client import (
    DEFAULT_BASE_URL,
    ConfigurationError,
    OpenAIAdminClient,
    OpenAIAdminError,
)
from airflow_provider_openai_projects.client.endpoints import endpoint
from airflow_provider_openai_projects.client.pacing import shared_pacer
from airflow_provider_openai_projects.client.resources import AdminMethods

ADMIN_KEY_PREFIX = "sk-admin-"


def base_url_from_connection(host: str | None, port: int | None, schema: str | None) -> str:
    """The API base URL a connection's host, port and schema describe."""
    if not host:
        return DEFAULT_BASE_URL
    url = host if "://" in host else f"https://{host}"
    parts = urlsplit(url)
    netloc = parts.netloc
    if port and parts.port is None:
        netloc = f"{netloc}:{port}"
    path = parts.path if parts.path not in ("", "/") else (f"/{schema.strip('/')}" if schema else "")
    return urlunsplit((parts.scheme, netloc, path, "", ""))


def _extra_number(extra: dict[str, Any], name: str, conn_id: str, *, integer: bool = False) -> float | int | None:
    """Read a numeric extra (plain key or the UI's ``extra__openai_admin__<name>``)."""
    value = extra.get(name, extra.get(f"extra__{CONN_TYPE}__{name}"))
    if value is None or value == "":
        return None
    try:
        number = int(value) if integer else float(value)
    except (TypeError, ValueError):
        number = None
    if number is None or number < 0 or (integer and str(value).strip() != str(number)):
        kind = "a non-negative integer" if integer else "a non-negative number"
        raise ConfigurationError(f"connection {conn_id!r}: extra {name!r} must be {kind}, got {value!r}")
    return number


def client_options(extra: dict[str, Any], conn_id: str) -> dict[str, Any]:
    """Client options from a connection's extras (``timeout``, ``max_retries``,
    ``requests_per_minute``), validated; a bad value raises naming the extra.

    Shared by the hook and the triggers, so both read a connection the same way.
    """
    options: dict[str, Any] = {}
    timeout = _extra_number(extra, "timeout", conn_id)
    if timeout is not None:
        if timeout == 0:
            raise ConfigurationError(f"connection {conn_id!r}: extra 'timeout' must be positive")
        options["timeout"] = timeout
    max_retries = _extra_number(extra, "max_retries", conn_id, integer=True)
    if max_retries is not None:
        options["max_retries"] = int(max_retries)
    rpm = _extra_number(extra, "requests_per_minute", conn_id)
    if rpm:
        options["requests_per_minute"] = rpm
    return options


def _dig(value: Any, path: str) -> Any:
    """The value at a dotted ``path`` of nested dicts, or ``None``."""
    for part in path.split("."):
        if not isinstance(value, Mapping):
            return None
        value = value.get(part)
    return value


class OpenAIAdminHook(BaseHook, AdminMethods):
    """Interact with the OpenAI Admin API through an ``openai_admin`` connection.

    :param openai_admin_conn_id: the connection id (default ``openai_admin_default``).
    :param max_retry_wait: the longest wait after a 429 that the client takes in this
        process (default 120 s); deferrable operators set it low and wait in the triggerer.
    """

    conn_name_attr = "openai_admin_conn_id"
    default_conn_name = DEFAULT_CONN_ID
    conn_type = CONN_TYPE
    hook_name = "OpenAI Admin API"

    def __init__(
        self, openai_admin_conn_id: str = DEFAULT_CONN_ID, *, max_retry_wait: float | None = None, **kwargs: Any
    ) -> None:
        super().__init__(**kwargs)
        self.openai_admin_conn_id = openai_admin_conn_id
        self.max_retry_wait = max_retry_wait

    @cached_property
    def client(self) -> OpenAIAdminClient:
        """The configured client (built once per hook instance)."""
        conn = self.get_connection(self.openai_admin_conn_id)
        key = (conn.password or "").strip()
        if not key:
            raise ConfigurationError(
                f"connection {self.openai_admin_conn_id!r} has no admin key: set its password to an "
                "OpenAI admin key (sk-admin-...)"
            )
        mask_secret(key)
        if not key.startswith(ADMIN_KEY_PREFIX):
            self.log.warning(
                "The key of connection %r does not start with %r; Admin API calls need an admin key.",
                self.openai_admin_conn_id,
                ADMIN_KEY_PREFIX,
            )
        options = client_options(conn.extra_dejson or {}, self.openai_admin_conn_id)
        if self.max_retry_wait is not None:
            options["max_retry_wait"] = self.max_retry_wait
        base_url = base_url_from_connection(conn.host, conn.port, conn.schema)
        rpm = options.pop("requests_per_minute", None)
        options["pacer"] = shared_pacer(
            f"{self.openai_admin_conn_id} {base_url}",
            rpm,
            backend=(conn.extra_dejson or {}).get("rate_limit_backend"),
            connection=self.openai_admin_conn_id,
        )
        try:
            return OpenAIAdminClient(key, base_url=base_url, **options)
        except ConfigurationError as error:
            raise ConfigurationError(f"connection {self.openai_admin_conn_id!r}, host: {error.message}") from None

    def get_conn(self) -> OpenAIAdminClient:
        """The configured :class:`OpenAIAdminClient`."""
        return self.client

    def test_connection(self) -> tuple[bool, str]:
        """One cheap authenticated read. Never puts the key in the message."""
        try:
            self.client.check_access()
        except (OpenAIAdminError, ValueError) as exc:
            return False, str(exc)
        return True, f"Connected to the OpenAI Admin API at {self.client.base_url}"

    # -- the two primitives of the resource mixins (every endpoint method) --------------

    def _call(
        self,
        method_name: str,
        *ids: str,
        params: Mapping[str, Any] | None = None,
        body: Mapping[str, Any] | None = None,
    ) -> Any:
        """Delegate to the client; mask the response's one-time secrets before returning it."""
        result = self.client._call(method_name, *ids, params=params, body=body)
        for path in endpoint(method_name).secret_fields:
            secret = _dig(result, path)
            if isinstance(secret, str) and secret:
                mask_secret(secret)
        return result

    def _list(self, method_name: str, *ids: str, params: Mapping[str, Any] | None = None) -> list[Any]:
        return self.client._list(method_name, *ids, params=params)

    def _iter(self, method_name: str, *ids: str, params: Mapping[str, Any] | None = None) -> Iterator[Any]:
        return self.client._iter(method_name, *ids, params=params)

    # -- checks -----------------------------------------------------------------------

    def verify_api_key(self, api_key: str) -> None:
        """Prove a project or service-account key works (``GET /v1/models`` with it)."""
        mask_secret(api_key)
        self.client.verify_api_key(api_key)
