"""Service accounts and their keys (docs/design.md fact 6: a key is shown once, revoked only
by deleting its account)."""

from __future__ import annotations

from typing import Literal, cast

from airflow_provider_openai_projects.client.resources._base import EndpointCaller, body
from airflow_provider_openai_projects.client.types import (
    Deleted,
    ServiceAccount,
    ServiceAccountApiKey,
    ServiceAccountCreated,
)


class ServiceAccountsMixin(EndpointCaller):
    def list_service_accounts(self, project_id: str) -> list[ServiceAccount]:
        return cast(list[ServiceAccount], self._list("list_service_accounts", project_id))

    def create_service_account(
        self, project_id: str, *, name: str, create_service_account_only: bool | None = None
    ) -> ServiceAccountCreated:
        """Create a service account; the response's ``api_key.value`` is shown only now.

        Not idempotent: names are not unique. The returned dict holds a live secret.
        """
        fields = body(name=name, create_service_account_only=create_service_account_only)
        return cast(ServiceAccountCreated, self._call("create_service_account", project_id, body=fields))

    def get_service_account(self, project_id: str, service_account_id: str) -> ServiceAccount:
        return cast(ServiceAccount, self._call("get_service_account", project_id, service_account_id))

    def update_service_account(
        self,
        project_id: str,
        service_account_id: str,
        *,
        name: str | None = None,
        role: Literal["member", "owner"] | None = None,
    ) -> ServiceAccount:
        """Set a service account's name and/or role (idempotent)."""
        fields = body(name=name, role=role)
        return cast(ServiceAccount, self._call("update_service_account", project_id, service_account_id, body=fields))

    def delete_service_account(self, project_id: str, service_account_id: str) -> Deleted:
        """Delete a service account, which revokes every key it owns."""
        return cast(Deleted, self._call("delete_service_account", project_id, service_account_id))

    def create_service_account_api_key(
        self,
        project_id: str,
        service_account_id: str,
        *,
        name: str | None = None,
        scopes: list[str] | None = None,
    ) -> ServiceAccountApiKey:
        """Mint another key for a service account; ``value`` is shown only now."""
        fields = body(name=name, scopes=scopes)
        return cast(
            ServiceAccountApiKey,
            self._call("create_service_account_api_key", project_id, service_account_id, body=fields),
        )
