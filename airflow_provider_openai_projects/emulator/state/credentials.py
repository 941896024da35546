"""Service accounts, project API keys, and what a key may call."""

from __future__ import annotations

import hmac
from collections.abc import Iterable
from typing import Any

from airflow_provider_openai_projects.emulator.errors import ApiError
from airflow_provider_openai_projects.emulator.ids import random_id
from airflow_provider_openai_projects.emulator.pagination import list_body
from airflow_provider_openai_projects.emulator.records import ServiceAccount, deleted

from .core import OWNER_PROJECT_ACCESS, SERVICE_ACCOUNT_ROLES, KeyKind, StateCore, check_choice, check_name, locked


class CredentialOps(StateCore):
    """Service accounts, project API keys, and what a key may call."""

    # -- service accounts ------------------------------------------------------------------

    @locked
    def list_service_accounts(self, project_id: str, limit: int = 20, after: str | None = None) -> dict[str, Any]:
        project = self._active_project(project_id)
        page = project.service_accounts.page(limit, after)
        return list_body([a.render() for a in page.items], page.has_more)

    @locked
    def create_service_account(
        self, project_id: str, name: str, create_service_account_only: bool = False
    ) -> dict[str, Any]:
        """A new service account (names are not unique) with role ``member`` and a key whose
        ``value`` is in this response only; with ``create_service_account_only``, role
        ``none`` and ``api_key: null`` (the spec's ``ProjectServiceAccountCreateResponse``)."""
        project = self._active_project(project_id)
        check_name(name)
        account = ServiceAccount(
            random_id("svc_acct_"), name, "none" if create_service_account_only else "member", self.now()
        )
        project.service_accounts.add(account.id, account)
        key = None
        if not create_service_account_only:
            key = self._mint_key(project, "service_account", account.id, "Secret Key", "sk-svcacct-")
        return {**account.render(), "api_key": key.render_created() if key else None}

    @locked
    def get_service_account(self, project_id: str, service_account_id: str) -> dict[str, Any]:
        return self._service_account(self._active_project(project_id), service_account_id).render()

    @locked
    def update_service_account(
        self, project_id: str, service_account_id: str, name: str | None = None, role: str | None = None
    ) -> dict[str, Any]:
        """Rename and/or change the role (``member``/``owner``); ``None`` leaves a field as is."""
        project = self._active_project(project_id)
        account = self._service_account(project, service_account_id)
        if name is not None:
            check_name(name)
        if role is not None:
            check_choice(role, SERVICE_ACCOUNT_ROLES, "role")
        account.name = account.name if name is None else name
        account.role = account.role if role is None else role
        return account.render()

    @locked
    def delete_service_account(self, project_id: str, service_account_id: str) -> dict[str, Any]:
        """Delete the account and every key it owns (the keys stop working at once)."""
        project = self._active_project(project_id)
        self._service_account(project, service_account_id)
        for key in project.api_keys:
            if key.owner_type == "service_account" and key.owner_id == service_account_id:
                self._drop_key(project, key)
        project.service_accounts.remove(service_account_id)
        return deleted("organization.project.service_account", service_account_id)

    @locked
    def create_service_account_key(
        self, project_id: str, service_account_id: str, name: str | None = None, scopes: Iterable[str] = ()
    ) -> dict[str, Any]:
        """Mint another key for the account; ``value`` is in this response only."""
        project = self._active_project(project_id)
        self._service_account(project, service_account_id)
        if name is not None:
            check_name(name)
        key = self._mint_key(project, "service_account", service_account_id, name or "Secret Key", "sk-svcacct-")
        key.scopes = tuple(scopes)
        return key.render_created()

    # -- project API keys ------------------------------------------------------------------

    @locked
    def list_api_keys(
        self, project_id: str, limit: int = 20, after: str | None = None, owner_project_access: str | None = None
    ) -> dict[str, Any]:
        """Keys in creation order. ``owner_project_access``: ``active``/``inactive`` filter on
        the owner's access, ``any`` shows all; omitted, only ``active`` keys are listed (the
        API's "membership-based visibility")."""
        project = self._active_project(project_id)
        wanted = owner_project_access or "active"
        check_choice(wanted, OWNER_PROJECT_ACCESS, "owner_project_access")
        page = project.api_keys.page(
            limit, after, where=lambda k: wanted == "any" or self._key_access(project, k) == wanted
        )
        return list_body([self._render_key(project, k) for k in page.items], page.has_more)

    @locked
    def get_api_key(self, project_id: str, api_key_id: str) -> dict[str, Any]:
        project = self._active_project(project_id)
        return self._render_key(project, self._api_key(project, api_key_id))

    @locked
    def delete_api_key(self, project_id: str, api_key_id: str) -> dict[str, Any]:
        """Delete a user-owned key. A service account's key cannot be deleted here (400)."""
        project = self._active_project(project_id)
        key = self._api_key(project, api_key_id)
        if key.owner_type == "service_account":
            raise ApiError(
                400,
                f"API key '{api_key_id}' belongs to service account '{key.owner_id}' and cannot be "
                "deleted directly; delete the service account instead.",
                param="api_key_id",
            )
        self._drop_key(project, key)
        return deleted("organization.project.api_key", api_key_id)

    @locked
    def create_user_api_key(self, project_id: str, user_id: str, name: str | None = None) -> dict[str, Any]:
        """What a project member does in the dashboard: mint a user-owned ``sk-proj-`` key.

        Returns the ``ProjectApiKey`` rendering plus the one-time ``value``. Not part of
        the Admin API (the emulator's control API exposes it).
        """
        project = self._active_project(project_id)
        user = self._user(user_id)
        if user.id not in project.users:
            raise ApiError(400, f"User '{user_id}' is not a member of project '{project_id}'.", param="user_id")
        if name is not None:
            check_name(name)
        key = self._mint_key(project, "user", user.id, name or "Secret Key", "sk-proj-")
        return {**self._render_key(project, key), "value": key.value}

    # -- keys and models -------------------------------------------------------------------

    @locked
    def classify_key(self, value: str) -> KeyKind | None:
        """Which kind of existing key ``value`` is, or ``None`` if it is no key at all."""
        if hmac.compare_digest(value.encode(), self.admin_key.encode()):
            return "admin"
        location = self._keys.get(value)
        if location is None:
            return None
        project_id, key_id = location
        key = self._api_key(self._project(project_id), key_id)
        return "project" if key.owner_type == "user" else "service_account"

    @locked
    def use_key(self, value: str) -> dict[str, Any]:
        """``GET /v1/models`` with a project or service-account key: the model list.

        Sets the key's ``last_used_at``. 401 ``invalid_api_key`` if the key does not exist
        (never existed or was deleted), its project is archived, or its owner has no access.
        """
        location = self._keys.get(value)
        if location is None:
            raise ApiError(401, "Incorrect API key provided.", code="invalid_api_key")
        project = self._project(location[0])
        key = self._api_key(project, location[1])
        if project.archived:
            raise ApiError(401, f"Project '{project.id}' is archived.", code="invalid_api_key")
        if self._key_access(project, key) != "active":
            raise ApiError(401, "The owner of this API key has no access to its project.", code="invalid_api_key")
        key.last_used_at = self.now()
        data = [{"id": m.id, "object": "model", "created": m.created, "owned_by": m.owned_by} for m in self.models]
        return {"object": "list", "data": data}
