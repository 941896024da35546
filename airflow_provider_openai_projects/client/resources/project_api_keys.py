"""Project API keys: list, get, delete (a service account's key cannot be deleted alone)."""

from __future__ import annotations

from typing import Literal, cast

from airflow_provider_openai_projects.client.resources._base import EndpointCaller
from airflow_provider_openai_projects.client.types import Deleted, ProjectApiKey


class ProjectApiKeysMixin(EndpointCaller):
    def list_project_api_keys(
        self, project_id: str, *, owner_project_access: Literal["active", "inactive", "any"] | None = None
    ) -> list[ProjectApiKey]:
        params = {"owner_project_access": owner_project_access} if owner_project_access else None
        return cast(list[ProjectApiKey], self._list("list_project_api_keys", project_id, params=params))

    def get_project_api_key(self, project_id: str, api_key_id: str) -> ProjectApiKey:
        return cast(ProjectApiKey, self._call("get_project_api_key", project_id, api_key_id))

    def delete_project_api_key(self, project_id: str, api_key_id: str) -> Deleted:
        """Delete a user-owned key. A service account's key cannot be deleted this way:
        the API answers 400 and the only revocation is deleting the service account."""
        return cast(Deleted, self._call("delete_project_api_key", project_id, api_key_id))
