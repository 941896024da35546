"""Admin API keys (DESIGN.md fact 17): list, create, get, delete; there is no rotate.

A created key's ``value`` is in the create response only; the hook registers it with
Airflow's secrets masker before returning it (``secret_fields`` of the table's row). Keep
it out of XCom: hand on ``id`` and ``redacted_value``.
"""

from __future__ import annotations

from typing import cast

from airflow_provider_openai_projects.client.resources._base import EndpointCaller, body
from airflow_provider_openai_projects.client.resources._checks import integer, non_empty_text
from airflow_provider_openai_projects.client.resources.admin_api_keys_types import (
    AdminApiKey,
    AdminApiKeyDeleted,
    CreatedAdminApiKey,
)

#: The spec's bound of ``expires_in_seconds``: a year.
MAX_EXPIRES_IN_SECONDS = 31_536_000


class AdminApiKeysMixin(EndpointCaller):
    def list_admin_api_keys(self) -> list[AdminApiKey]:
        """Every admin API key of the organization (values redacted), oldest first."""
        return cast(list[AdminApiKey], self._list("list_admin_api_keys"))

    def create_admin_api_key(self, *, name: str, expires_in_seconds: int | None = None) -> CreatedAdminApiKey:
        """A new admin key; ``value`` is returned once (masked by the hook). Not idempotent:
        each call makes a key, and a failed call is not repeated blindly.

        :param expires_in_seconds: 1 to 31536000 (a year); omitted, the key does not expire.
        """
        non_empty_text(name, "name")
        if expires_in_seconds is not None:
            integer(expires_in_seconds, "expires_in_seconds", 1, MAX_EXPIRES_IN_SECONDS)
        fields = body(name=name, expires_in_seconds=expires_in_seconds)
        return cast(CreatedAdminApiKey, self._call("create_admin_api_key", body=fields))

    def get_admin_api_key(self, key_id: str) -> AdminApiKey:
        return cast(AdminApiKey, self._call("get_admin_api_key", key_id))

    def delete_admin_api_key(self, key_id: str) -> AdminApiKeyDeleted:
        """Delete the key; it stops authenticating at once (404 if it is already gone)."""
        return cast(AdminApiKeyDeleted, self._call("delete_admin_api_key", key_id))
