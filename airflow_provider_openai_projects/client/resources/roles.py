"""Roles, and their assignment to users and groups (DESIGN.md fact 15).

Roles are predefined (``predefined_role: true``; the API refuses to change or delete
them) or custom (``{role_name, permissions[], description?}``). Organization roles are
assigned to users (``/users/{id}/roles``) and groups (``/groups/{id}/roles``); a user's
role list may include roles held through a group (see each item's
``assignment_sources``), but only a direct assignment can be unassigned from the user.
Lists return every item over every page (``next``-style pagination, up to 1000 a page).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import cast

from airflow_provider_openai_projects.client.errors import InvalidInputError
from airflow_provider_openai_projects.client.resources._base import EndpointCaller, body
from airflow_provider_openai_projects.client.resources.rbac_types import (
    AssignedRole,
    DeletedAssignment,
    GroupRoleAssignment,
    Role,
    RoleDeleted,
    UserRoleAssignment,
)


def _role_name(role_name: str) -> str:
    if not isinstance(role_name, str) or not role_name.strip():
        raise InvalidInputError("role_name", "must be a non-empty string")
    return role_name


def _permissions(permissions: Sequence[str]) -> list[str]:
    if isinstance(permissions, str) or not isinstance(permissions, Sequence):
        raise InvalidInputError("permissions", "must be a list of permission strings")
    for index, permission in enumerate(permissions):
        if not isinstance(permission, str) or not permission.strip():
            raise InvalidInputError(f"permissions[{index}]", "must be a non-empty string")
    return list(permissions)


def _role_id(role_id: str) -> str:
    if not isinstance(role_id, str) or not role_id.strip():
        raise InvalidInputError("role_id", "must be a non-empty id")
    return role_id


class RolesMixin(EndpointCaller):
    def list_roles(self) -> list[Role]:
        """Every role of the organization, predefined and custom."""
        return cast(list[Role], self._list("list_roles"))

    def create_role(self, *, role_name: str, permissions: Sequence[str], description: str | None = None) -> Role:
        """Create a custom role. Not idempotent (look for one by name first)."""
        fields = body(role_name=_role_name(role_name), permissions=_permissions(permissions), description=description)
        return cast(Role, self._call("create_role", body=fields))

    def get_role(self, role_id: str) -> Role:
        return cast(Role, self._call("get_role", role_id))

    def update_role(
        self,
        role_id: str,
        *,
        role_name: str | None = None,
        permissions: Sequence[str] | None = None,
        description: str | None = None,
    ) -> Role:
        """Set the given fields of a custom role (idempotent; ``permissions`` replaces the
        whole list). Refused for a predefined role."""
        if role_name is None and permissions is None and description is None:
            raise InvalidInputError("role_name/permissions/description", "give at least one field to update")
        fields = body(
            role_name=None if role_name is None else _role_name(role_name),
            permissions=None if permissions is None else _permissions(permissions),
            description=description,
        )
        return cast(Role, self._call("update_role", role_id, body=fields))

    def delete_role(self, role_id: str) -> RoleDeleted:
        """Delete a custom role (and its assignments). Refused for a predefined role."""
        return cast(RoleDeleted, self._call("delete_role", role_id))


class UserRolesMixin(EndpointCaller):
    def list_user_roles(self, user_id: str) -> list[AssignedRole]:
        """Every organization role the user holds, directly or through a group."""
        return cast(list[AssignedRole], self._list("list_user_roles", user_id))

    def assign_user_role(self, user_id: str, *, role_id: str) -> UserRoleAssignment:
        """Assign an organization role to a user. Not idempotent (a second assignment is
        refused): look at :meth:`list_user_roles` first."""
        return cast(UserRoleAssignment, self._call("assign_user_role", user_id, body={"role_id": _role_id(role_id)}))

    def get_user_role(self, user_id: str, role_id: str) -> AssignedRole:
        """The role as the user holds it; ``NotFoundError`` if they do not."""
        return cast(AssignedRole, self._call("get_user_role", user_id, role_id))

    def unassign_user_role(self, user_id: str, role_id: str) -> DeletedAssignment:
        """Remove a direct assignment; ``NotFoundError`` if there is none (already done)."""
        return cast(DeletedAssignment, self._call("unassign_user_role", user_id, role_id))


class GroupRolesMixin(EndpointCaller):
    def list_group_roles(self, group_id: str) -> list[AssignedRole]:
        """Every organization role assigned to the group."""
        return cast(list[AssignedRole], self._list("list_group_roles", group_id))

    def assign_group_role(self, group_id: str, *, role_id: str) -> GroupRoleAssignment:
        """Assign an organization role to a group (its members hold it). Not idempotent:
        look at :meth:`list_group_roles` first."""
        return cast(GroupRoleAssignment, self._call("assign_group_role", group_id, body={"role_id": _role_id(role_id)}))

    def get_group_role(self, group_id: str, role_id: str) -> AssignedRole:
        """The role as the group holds it; ``NotFoundError`` if it does not."""
        return cast(AssignedRole, self._call("get_group_role", group_id, role_id))

    def unassign_group_role(self, group_id: str, role_id: str) -> DeletedAssignment:
        """Remove the assignment; ``NotFoundError`` if there is none (already done)."""
        return cast(DeletedAssignment, self._call("unassign_group_role", group_id, role_id))
