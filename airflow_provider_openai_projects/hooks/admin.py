"""``OpenAIAdminHook``: an Airflow connection turned into a configured Admin API client.

Connection type ``openai_admin``:

- **password**: the admin key (``sk-admin-...``). Registered with Airflow's secrets masker
  before anything can log it.
- **host**: optional base URL (default ``https://api.openai.com/v1``). A full URL
  (``http://127.0.0.1:8080/v1`` for the emulator) or a bare host (``https`` assumed);
  ``port`` and ``schema`` (as the URL path) are honoured when the host has none.
- **extra**: ``timeout`` (read timeout, seconds), ``connect_timeout``, ``total_timeout``
  (deadline of one attempt), ``max_retries``, ``requests_per_minute`` (client-side pacing
  per endpoint), ``rate_limit_backend`` (where that budget is kept so every worker shares
  it: ``sqlite:///<path>``, ``redis://``/``valkey://``, ``postgresql://``; see
  :mod:`~airflow_provider_openai_projects.client.budget`), ``max_response_bytes``,
  ``max_server_wait`` (the longest ``Retry-After`` obeyed; default 3600 s).

The connection is read by :func:`~.connection.client_config_from_connection`, the same
function the triggers use; a bad field is one ``ConfigurationError`` naming it.

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

from airflow.sdk import BaseHook
from airflow.sdk.log import mask_secret

from airflow_provider_openai_projects import CONN_TYPE, DEFAULT_CONN_ID
from airflow_provider_openai_projects.client import OpenAIAdminClient, OpenAIAdminError
from airflow_provider_openai_projects.client.endpoints import endpoint
from airflow_provider_openai_projects.client.resources import AdminMethods
from airflow_provider_openai_projects.hooks.connection import (
    backend_url,
    base_url_from_connection,
    client_config_from_connection,
    client_options,
    connection_pacer,
)

ADMIN_KEY_PREFIX = "sk-admin-"

__all__ = ["ADMIN_KEY_PREFIX", "OpenAIAdminHook", "base_url_from_connection", "client_options"]


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
        """The configured client (built once per hook instance), from
        :func:`~.connection.client_config_from_connection` as the triggers build theirs. The
        key is registered with the secrets masker before anything else happens with it."""
        conn = self.get_connection(self.openai_admin_conn_id)
        key = (conn.password or "").strip()
        if key:
            mask_secret(key)
        config = client_config_from_connection(
            conn,
            self.openai_admin_conn_id,
            extra=conn.extra_dejson or {},
            max_retry_wait=self.max_retry_wait,
        )
        if not config.api_key.startswith(ADMIN_KEY_PREFIX):
            self.log.warning(
                "The key of connection %r does not start with %r; Admin API calls need an admin key.",
                self.openai_admin_conn_id,
                ADMIN_KEY_PREFIX,
            )
        backend = backend_url(conn.extra_dejson or {}, self.openai_admin_conn_id)
        return OpenAIAdminClient(
            config=config, pacer=connection_pacer(self.openai_admin_conn_id, config, backend=backend)
        )

    def get_conn(self) -> OpenAIAdminClient:
        """The configured :class:`OpenAIAdminClient`."""
        return self.client

    def test_connection(self) -> tuple[bool, str]:
        """One cheap authenticated read. Never puts the key in the message."""
        try:
            self.client.check_access()
        except (OpenAIAdminError, ValueError) as exc:
            return False, str(exc)
        return True, f"Connected to the OpenAI Admin API at {self.client.config.origin}"

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
