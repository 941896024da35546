"""Project members (docs/design.md fact 8: a person must be an organization member first)."""

from __future__ import annotations

from typing import cast

from airflow_provider_openai_projects.client.errors import InvalidInputError
from airflow_provider_openai_projects.client.resources._base import EndpointCaller, body
from airflow_provider_openai_projects.client.types import Deleted, ProjectUser


class ProjectUsersMixin(EndpointCaller):
    def list_project_users(self, project_id: str) -> list[ProjectUser]:
        return cast(list[ProjectUser], self._list("list_project_users", project_id))

    def add_project_user(
        self, project_id: str, *, role: str, user_id: str | None = None, email: str | None = None
    ) -> ProjectUser:
        """Add an organization member to a project, by ``user_id`` or ``email`` (one of them)."""
        if (user_id is None) == (email is None):
            raise InvalidInputError("user_id/email", "give exactly one of user_id or email")
        fields = body(user_id=user_id, email=email, role=role)
        return cast(ProjectUser, self._call("add_project_user", project_id, body=fields))

    def get_project_user(self, project_id: str, user_id: str) -> ProjectUser:
        return cast(ProjectUser, self._call("get_project_user", project_id, user_id))

    def update_project_user(self, project_id: str, user_id: str, *, role: str) -> ProjectUser:
        """Set a member's role in a project (idempotent)."""
        return cast(ProjectUser, self._call("update_project_user", project_id, user_id, body={"role": role}))

    def remove_project_user(self, project_id: str, user_id: str) -> Deleted:
        return cast(Deleted, self._call("remove_project_user", project_id, user_id))
