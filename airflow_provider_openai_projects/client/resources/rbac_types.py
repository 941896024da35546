"""Typed shapes of groups, roles, their assignments and project groups (the spec's
schemas of the same names), for type checkers only: the client returns the plain dicts
it receives."""

from __future__ import annotations

from typing import Any, Literal, NotRequired, TypedDict

from airflow_provider_openai_projects.client.types import User


class Group(TypedDict):
    """``GroupResponse``."""

    id: str
    name: str
    created_at: int
    is_scim_managed: bool
    group_type: NotRequired[Literal["group", "tenant_group"]]


class GroupUpdated(TypedDict):
    """``GroupResourceWithSuccess`` (the answer to a rename)."""

    id: str
    name: str
    created_at: int
    is_scim_managed: bool


class GroupDeleted(TypedDict):
    object: Literal["group.deleted"]
    id: str
    deleted: bool


class GroupUser(TypedDict):
    """An item of a group's member list (``GroupUser``)."""

    id: str
    name: str
    email: str | None


class GroupMemberUser(TypedDict):
    """One member of a group (``GroupMemberUser``)."""

    id: str
    name: str
    email: str | None
    picture: str | None
    is_service_account: bool | None
    user_type: NotRequired[Literal["user", "tenant_user"]]


class GroupUserAssignment(TypedDict):
    object: Literal["group.user"]
    user_id: str
    group_id: str


class DeletedAssignment(TypedDict):
    """``group.user.deleted``, ``user.role.deleted``, ``group.role.deleted``,
    ``project.group.deleted``: no id, only ``deleted``."""

    object: str
    deleted: bool


class Role(TypedDict):
    """``Role``: predefined (``predefined_role``; cannot be changed or deleted) or custom."""

    object: Literal["role"]
    id: str
    name: str
    description: str | None
    permissions: list[str]
    resource_type: str
    predefined_role: bool


class RoleDeleted(TypedDict):
    object: Literal["role.deleted"]
    id: str
    deleted: bool


class AssignmentSource(TypedDict):
    principal_id: str
    principal_type: str


class AssignedRole(TypedDict):
    """``AssignedRoleDetails``: a role as a user or group holds it, and through whom."""

    id: str
    name: str
    permissions: list[str]
    resource_type: str
    predefined_role: bool
    description: str | None
    created_at: int | None
    updated_at: int | None
    created_by: str | None
    created_by_user_obj: dict[str, Any] | None
    metadata: dict[str, Any] | None
    assignment_sources: list[AssignmentSource] | None


class GroupObject(TypedDict):
    """``Group`` (inside a ``GroupRoleAssignment``: ``scim_managed``, not ``is_scim_managed``)."""

    object: Literal["group"]
    id: str
    name: str
    created_at: int
    scim_managed: bool


class UserRoleAssignment(TypedDict):
    object: Literal["user.role"]
    user: User
    role: Role


class GroupRoleAssignment(TypedDict):
    object: Literal["group.role"]
    group: GroupObject
    role: Role


class ProjectGroup(TypedDict):
    """``ProjectGroup``: a group's access to a project (its role is not echoed)."""

    object: Literal["project.group"]
    project_id: str
    group_id: str
    group_name: str
    group_type: NotRequired[Literal["group", "tenant_group"]]
    created_at: int
