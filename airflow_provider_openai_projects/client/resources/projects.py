"""Projects: list, create, get, update, archive (docs/design.md facts 5 and 7)."""

from __future__ import annotations

from typing import cast

from airflow_provider_openai_projects.client.resources._base import EndpointCaller, body
from airflow_provider_openai_projects.client.types import Project


class ProjectsMixin(EndpointCaller):
    def list_projects(self, *, include_archived: bool = False) -> list[Project]:
        """Every project (active only unless ``include_archived``)."""
        params = {"include_archived": True} if include_archived else None
        return cast(list[Project], self._list("list_projects", params=params))

    def create_project(self, *, name: str, external_key_id: str | None = None, residency: str | None = None) -> Project:
        """Create a project. Not idempotent: names are not unique and projects cannot be
        deleted, so look for an existing one first (``CreateProjectOperator`` does)."""
        fields = body(name=name, external_key_id=external_key_id, residency=residency)
        return cast(Project, self._call("create_project", body=fields))

    def get_project(self, project_id: str) -> Project:
        return cast(Project, self._call("get_project", project_id))

    def update_project(
        self, project_id: str, *, name: str | None = None, external_key_id: str | None = None
    ) -> Project:
        """Set the given fields (idempotent). The default project cannot be modified."""
        fields = body(name=name, external_key_id=external_key_id)
        return cast(Project, self._call("update_project", project_id, body=fields))

    def archive_project(self, project_id: str) -> Project:
        """Archive a project (irreversible; it can no longer be used or updated)."""
        return cast(Project, self._call("archive_project", project_id))
