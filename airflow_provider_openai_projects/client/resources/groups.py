"""Groups and their members (DESIGN.md fact 14).

A group is ``{name}``; its members are organization users, added by ``user_id``. A group
with ``is_scim_managed`` belongs to the identity provider: renaming or deleting it and
changing its members are refused by the API (a conflict). Lists return every item over
every page (``next``-style pagination, up to 1000 a page).
"""

from __future__ import annotations

from typing import cast

from airflow_provider_openai_projects.client.errors import InvalidInputError
from airflow_provider_openai_projects.client.resources._base import EndpointCaller
from airflow_provider_openai_projects.client.resources.rbac_types import (
    DeletedAssignment,
    Group,
    GroupDeleted,
    GroupMemberUser,
    GroupUpdated,
    GroupUser,
    GroupUserAssignment,
)

GROUP_NAME_MAX_LENGTH = 255
"""The spec's bound on a group name (``CreateGroupBody``/``UpdateGroupBody``)."""


def _group_name(name: str) -> str:
    if not isinstance(name, str) or not name.strip():
        raise InvalidInputError("name", "must be a non-empty string")
    if len(name) > GROUP_NAME_MAX_LENGTH:
        raise InvalidInputError("name", f"must be at most {GROUP_NAME_MAX_LENGTH} characters (got {len(name)})")
    return name


class GroupsMixin(EndpointCaller):
    def list_groups(self) -> list[Group]:
        """Every group of the organization, oldest first."""
        return cast(list[Group], self._list("list_groups"))

    def create_group(self, *, name: str) -> Group:
        """Create a group. Not idempotent (names are not unique): look for one by name first."""
        return cast(Group, self._call("create_group", body={"name": _group_name(name)}))

    def get_group(self, group_id: str) -> Group:
        return cast(Group, self._call("get_group", group_id))

    def update_group(self, group_id: str, *, name: str) -> GroupUpdated:
        """Rename a group (idempotent). Refused for a SCIM-managed group."""
        return cast(GroupUpdated, self._call("update_group", group_id, body={"name": _group_name(name)}))

    def delete_group(self, group_id: str) -> GroupDeleted:
        """Delete a group, its memberships, role assignments and project access.
        Refused for a SCIM-managed group; a second delete answers 404."""
        return cast(GroupDeleted, self._call("delete_group", group_id))


class GroupUsersMixin(EndpointCaller):
    def list_group_users(self, group_id: str) -> list[GroupUser]:
        """Every member of the group (``{id, name, email}``)."""
        return cast(list[GroupUser], self._list("list_group_users", group_id))

    def add_group_user(self, group_id: str, *, user_id: str) -> GroupUserAssignment:
        """Add an organization member to a group. Not idempotent (a second add is refused):
        ``AddGroupUserOperator`` looks first. Refused for a SCIM-managed group."""
        if not isinstance(user_id, str) or not user_id.strip():
            raise InvalidInputError("user_id", "must be a non-empty id")
        return cast(GroupUserAssignment, self._call("add_group_user", group_id, body={"user_id": user_id}))

    def get_group_user(self, group_id: str, user_id: str) -> GroupMemberUser:
        """One member of the group; ``NotFoundError`` if the user is not a member."""
        return cast(GroupMemberUser, self._call("get_group_user", group_id, user_id))

    def remove_group_user(self, group_id: str, user_id: str) -> DeletedAssignment:
        """Remove a member; ``NotFoundError`` if not a member (callers treat it as done).
        Refused for a SCIM-managed group."""
        return cast(DeletedAssignment, self._call("remove_group_user", group_id, user_id))
