"""Project groups (DESIGN.md fact 14): a group added to a project with a project role
gives every group member access to the project. A person's project access is therefore
direct membership OR membership of such a group; offboarding accounts for both. Lists
return every item over every page (``next``-style pagination, up to 100 a page).
"""

from __future__ import annotations

from typing import Literal, cast

from airflow_provider_openai_projects.client.errors import InvalidInputError
from airflow_provider_openai_projects.client.resources._base import EndpointCaller
from airflow_provider_openai_projects.client.resources.rbac_types import DeletedAssignment, ProjectGroup

GROUP_TYPES = ("group", "tenant_group")


class ProjectGroupsMixin(EndpointCaller):
    def list_project_groups(self, project_id: str) -> list[ProjectGroup]:
        """Every group with access to the project."""
        return cast(list[ProjectGroup], self._list("list_project_groups", project_id))

    def add_project_group(self, project_id: str, *, group_id: str, role: str) -> ProjectGroup:
        """Give a group (and so all its members) access to a project; ``role`` is the id of
        a project role (see :meth:`list_roles`). Not idempotent (a second add is refused):
        look at :meth:`list_project_groups` first."""
        for field, value in (("group_id", group_id), ("role", role)):
            if not isinstance(value, str) or not value.strip():
                raise InvalidInputError(field, "must be a non-empty id")
        fields = {"group_id": group_id, "role": role}
        return cast(ProjectGroup, self._call("add_project_group", project_id, body=fields))

    def get_project_group(
        self, project_id: str, group_id: str, *, group_type: Literal["group", "tenant_group"] | None = None
    ) -> ProjectGroup:
        """The group's access to the project; ``NotFoundError`` if it has none."""
        if group_type is not None and group_type not in GROUP_TYPES:
            raise InvalidInputError("group_type", f"must be one of {', '.join(GROUP_TYPES)}; got {group_type!r}")
        params = {"group_type": group_type} if group_type is not None else None
        return cast(ProjectGroup, self._call("get_project_group", project_id, group_id, params=params))

    def remove_project_group(self, project_id: str, group_id: str) -> DeletedAssignment:
        """Revoke a group's access; ``NotFoundError`` if it has none (already done)."""
        return cast(DeletedAssignment, self._call("remove_project_group", project_id, group_id))
