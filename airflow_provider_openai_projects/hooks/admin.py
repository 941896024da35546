"""``OpenAIAdminHook``: an Airflow connection turned into a configured Admin API client.

Connection type ``openai_admin``:

- **password**: the admin key (``sk-admin-...``). Registered with Airflow's secrets masker
  before anything can log it.
- **host**: optional base URL (default ``https://api.openai.com/v1``). A full URL
  (``http://127.0.0.1:8080/v1`` for the emulator) or a bare host (``https`` assumed);
  ``port`` and ``schema`` (as the URL path) are honoured when the host has none.
- **extra**: ``timeout`` (read timeout, seconds), ``connect_timeout``, ``total_timeout``
  (deadline of one attempt), ``max_retries``, ``requests_per_minute`` (client-side pacing
  per endpoint), ``max_response_bytes``, ``max_server_wait`` (the longest ``Retry-After``
  obeyed; default 3600 s).

The connection is read by :func:`~.connection.client_config_from_connection`, the same
function the triggers use; a bad field is one ``ConfigurationError`` naming it.

The hook is thin: each method calls the client method of the same name (see
:class:`~airflow_provider_openai_projects.client.OpenAIAdminClient` for contracts) and
returns its JSON-able result. The two methods that return a freshly minted key
(``create_service_account``, ``create_service_account_api_key``) mask its value before
returning it; store it at once and never pass it to XCom.
"""

from __future__ import annotations

from functools import cached_property
from typing import Any, Literal

from airflow.sdk import BaseHook
from airflow.sdk.log import mask_secret

from airflow_provider_openai_projects import CONN_TYPE, DEFAULT_CONN_ID
from airflow_provider_openai_projects.client import OpenAIAdminClient, OpenAIAdminError
from airflow_provider_openai_projects.client.types import (
    Deleted,
    Invite,
    InviteProject,
    Project,
    ProjectApiKey,
    ProjectUser,
    RateLimit,
    ServiceAccount,
    ServiceAccountApiKey,
    ServiceAccountCreated,
    User,
)
from airflow_provider_openai_projects.hooks.connection import (
    base_url_from_connection,
    client_config_from_connection,
    client_options,
    connection_pacer,
)

ADMIN_KEY_PREFIX = "sk-admin-"

__all__ = ["ADMIN_KEY_PREFIX", "OpenAIAdminHook", "base_url_from_connection", "client_options"]


class OpenAIAdminHook(BaseHook):
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
        return OpenAIAdminClient(config=config, pacer=connection_pacer(self.openai_admin_conn_id, config))

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

    # -- projects ---------------------------------------------------------------------

    def list_projects(self, *, include_archived: bool = False) -> list[Project]:
        return self.client.list_projects(include_archived=include_archived)

    def create_project(self, *, name: str, external_key_id: str | None = None, residency: str | None = None) -> Project:
        return self.client.create_project(name=name, external_key_id=external_key_id, residency=residency)

    def get_project(self, project_id: str) -> Project:
        return self.client.get_project(project_id)

    def update_project(
        self, project_id: str, *, name: str | None = None, external_key_id: str | None = None
    ) -> Project:
        return self.client.update_project(project_id, name=name, external_key_id=external_key_id)

    def archive_project(self, project_id: str) -> Project:
        return self.client.archive_project(project_id)

    # -- project users ----------------------------------------------------------------

    def list_project_users(self, project_id: str) -> list[ProjectUser]:
        return self.client.list_project_users(project_id)

    def add_project_user(
        self, project_id: str, *, role: str, user_id: str | None = None, email: str | None = None
    ) -> ProjectUser:
        return self.client.add_project_user(project_id, role=role, user_id=user_id, email=email)

    def get_project_user(self, project_id: str, user_id: str) -> ProjectUser:
        return self.client.get_project_user(project_id, user_id)

    def update_project_user(self, project_id: str, user_id: str, *, role: str) -> ProjectUser:
        return self.client.update_project_user(project_id, user_id, role=role)

    def remove_project_user(self, project_id: str, user_id: str) -> Deleted:
        return self.client.remove_project_user(project_id, user_id)

    # -- service accounts -------------------------------------------------------------

    def list_service_accounts(self, project_id: str) -> list[ServiceAccount]:
        return self.client.list_service_accounts(project_id)

    def create_service_account(
        self, project_id: str, *, name: str, create_service_account_only: bool | None = None
    ) -> ServiceAccountCreated:
        """Create a service account; its one-time key value is masked before it is returned."""
        created = self.client.create_service_account(
            project_id, name=name, create_service_account_only=create_service_account_only
        )
        api_key = created.get("api_key")
        if api_key:
            mask_secret(api_key["value"])
        return created

    def get_service_account(self, project_id: str, service_account_id: str) -> ServiceAccount:
        return self.client.get_service_account(project_id, service_account_id)

    def update_service_account(
        self,
        project_id: str,
        service_account_id: str,
        *,
        name: str | None = None,
        role: Literal["member", "owner"] | None = None,
    ) -> ServiceAccount:
        return self.client.update_service_account(project_id, service_account_id, name=name, role=role)

    def delete_service_account(self, project_id: str, service_account_id: str) -> Deleted:
        return self.client.delete_service_account(project_id, service_account_id)

    def create_service_account_api_key(
        self,
        project_id: str,
        service_account_id: str,
        *,
        name: str | None = None,
        scopes: list[str] | None = None,
    ) -> ServiceAccountApiKey:
        """Mint a key for a service account; its value is masked before it is returned."""
        key = self.client.create_service_account_api_key(project_id, service_account_id, name=name, scopes=scopes)
        mask_secret(key["value"])
        return key

    # -- project API keys -------------------------------------------------------------

    def list_project_api_keys(
        self, project_id: str, *, owner_project_access: Literal["active", "inactive", "any"] | None = None
    ) -> list[ProjectApiKey]:
        return self.client.list_project_api_keys(project_id, owner_project_access=owner_project_access)

    def get_project_api_key(self, project_id: str, api_key_id: str) -> ProjectApiKey:
        return self.client.get_project_api_key(project_id, api_key_id)

    def delete_project_api_key(self, project_id: str, api_key_id: str) -> Deleted:
        return self.client.delete_project_api_key(project_id, api_key_id)

    # -- rate limits ------------------------------------------------------------------

    def list_rate_limits(self, project_id: str) -> list[RateLimit]:
        return self.client.list_rate_limits(project_id)

    def update_rate_limit(self, project_id: str, rate_limit_id: str, **fields: int) -> RateLimit:
        return self.client.update_rate_limit(project_id, rate_limit_id, **fields)

    # -- invites ----------------------------------------------------------------------

    def list_invites(self) -> list[Invite]:
        return self.client.list_invites()

    def create_invite(self, *, email: str, role: str, projects: list[InviteProject] | None = None) -> Invite:
        return self.client.create_invite(email=email, role=role, projects=projects)

    def get_invite(self, invite_id: str) -> Invite:
        return self.client.get_invite(invite_id)

    def delete_invite(self, invite_id: str) -> Deleted:
        return self.client.delete_invite(invite_id)

    # -- organization users -----------------------------------------------------------

    def list_users(self, *, emails: list[str] | None = None) -> list[User]:
        return self.client.list_users(emails=emails)

    def get_user(self, user_id: str) -> User:
        return self.client.get_user(user_id)

    def update_user(self, user_id: str, *, role: str) -> User:
        return self.client.update_user(user_id, role=role)

    def delete_user(self, user_id: str) -> Deleted:
        return self.client.delete_user(user_id)

    # -- checks -----------------------------------------------------------------------

    def verify_api_key(self, api_key: str) -> None:
        """Prove a project or service-account key works (``GET /v1/models`` with it)."""
        mask_secret(api_key)
        self.client.verify_api_key(api_key)
