"""Roles and their assignment to users and groups: records, state operations and routes
(docs/design.md fact 15).

Roles are predefined (``predefined_role: true``: seeded, cannot be changed or deleted:
400) or custom (``{role_name, permissions[], description?}``, organization-level).
Role names are unique among all roles, predefined ones included (400 naming ``role_name``;
compared case-insensitively). Predefined roles (:data:`PREDEFINED_ROLES`): the organization roles ``Owner`` and
``Reader`` (``resource_type: api.organization``) and the project roles ``Project Owner``,
``Project Member`` and ``Project Viewer`` (``api.project``; what a project group's ``role``
names). Only organization roles can be assigned to users and groups (400 otherwise).

A user's role list shows the roles assigned to them directly and those they hold through
a group, each with its ``assignment_sources`` (``user`` and/or ``group`` principals);
only a direct assignment can be unassigned from the user (404 otherwise). Deleting a
custom role drops its assignments; deleting a user or a group drops theirs. Lists page in
the ``next`` style, oldest first.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict
from starlette.responses import JSONResponse

from airflow_provider_openai_projects.emulator.errors import ApiError, not_found
from airflow_provider_openai_projects.emulator.families._listing import chained
from airflow_provider_openai_projects.emulator.families.groups import GroupOps
from airflow_provider_openai_projects.emulator.ids import random_id
from airflow_provider_openai_projects.emulator.pagination import OrderedStore, next_list_body
from airflow_provider_openai_projects.emulator.state.core import ORGANIZATION_ID, locked

ORGANIZATION_RESOURCE = "api.organization"
PROJECT_RESOURCE = "api.project"

PREDEFINED_ROLES: tuple[tuple[str, str, str, tuple[str, ...]], ...] = (
    # (name, resource_type, description, permissions)
    (
        "Owner",
        ORGANIZATION_RESOURCE,
        "Full access to the organization",
        ("api.organization.read", "api.organization.write", "api.groups.read", "api.groups.write"),
    ),
    ("Reader", ORGANIZATION_RESOURCE, "Read access to the organization", ("api.organization.read", "api.groups.read")),
    ("Project Owner", PROJECT_RESOURCE, "Full access to the project", ("api.project.read", "api.project.write")),
    ("Project Member", PROJECT_RESOURCE, "Uses the project's resources", ("api.project.read", "api.project.use")),
    ("Project Viewer", PROJECT_RESOURCE, "Read access to the project", ("api.project.read",)),
)
"""The roles every organization has (seeded on reset)."""

PrincipalType = Literal["user", "group"]

# -- records -----------------------------------------------------------------------------


@dataclass
class Role:
    """A predefined or custom role."""

    id: str
    name: str
    description: str | None
    permissions: list[str]
    resource_type: str
    predefined: bool
    created_at: int
    updated_at: int

    def render(self) -> dict[str, Any]:
        """The spec's ``Role``."""
        return {
            "object": "role",
            "id": self.id,
            "name": self.name,
            "description": self.description,
            "permissions": list(self.permissions),
            "resource_type": self.resource_type,
            "predefined_role": self.predefined,
        }

    def render_assigned(self, sources: list[tuple[PrincipalType, str]]) -> dict[str, Any]:
        """The spec's ``AssignedRoleDetails``, naming the principals it is assigned through."""
        return {
            "id": self.id,
            "name": self.name,
            "permissions": list(self.permissions),
            "resource_type": self.resource_type,
            "predefined_role": self.predefined,
            "description": self.description,
            "created_at": self.created_at,
            "updated_at": self.updated_at,
            "created_by": None,
            "created_by_user_obj": None,
            "metadata": {},
            "assignment_sources": [{"principal_id": pid, "principal_type": kind} for kind, pid in sources],
        }


@dataclass
class Assignments:
    """The roles assigned directly to one principal: role id -> time of assignment."""

    roles: OrderedStore[int] = field(default_factory=OrderedStore)


def _check_permissions(permissions: list[str]) -> list[str]:
    for index, permission in enumerate(permissions):
        if not permission.strip():
            raise ApiError(400, "Invalid permission: must be a non-empty string.", param=f"permissions[{index}]")
    return list(dict.fromkeys(permissions))


def _check_role_name(name: str) -> str:
    if not name.strip():
        raise ApiError(400, "Invalid 'role_name': must be a non-empty string.", param="role_name")
    return name


# -- state operations --------------------------------------------------------------------


class RoleOps(GroupOps):
    """Roles, user roles and group roles."""

    @locked
    def reset(self) -> None:
        super().reset()
        self.roles: OrderedStore[Role] = OrderedStore()
        self._assignments: dict[tuple[PrincipalType, str], Assignments] = {}
        now = self.now()
        for name, resource_type, description, permissions in PREDEFINED_ROLES:
            role = Role(random_id("role_"), name, description, list(permissions), resource_type, True, now, now)
            self.roles.add(role.id, role)

    def _role(self, role_id: str, param: str = "role_id") -> Role:
        role = self.roles.get(role_id)
        if role is None:
            raise not_found("role", role_id, param)
        return role

    def _custom_role(self, role_id: str) -> Role:
        role = self._role(role_id)
        if role.predefined:
            raise ApiError(
                400, f"Role '{role_id}' is predefined by OpenAI and cannot be changed or deleted.", param="role_id"
            )
        return role

    def _organization_role(self, role_id: str) -> Role:
        role = self.roles.get(role_id)
        if role is None:
            raise ApiError(400, f"No role found with id '{role_id}'.", param="role_id")
        if role.resource_type != ORGANIZATION_RESOURCE:
            raise ApiError(
                400, f"Role '{role_id}' is a {role.resource_type} role, not an organization role.", param="role_id"
            )
        return role

    def _direct(self, kind: PrincipalType, principal_id: str) -> OrderedStore[int]:
        return self._assignments.setdefault((kind, principal_id), Assignments()).roles

    def _held(self, kind: PrincipalType, principal_id: str) -> list[str]:
        """The ids of the existing roles assigned directly to a principal (no side effect)."""
        assignments = self._assignments.get((kind, principal_id))
        return self._role_ids(assignments.roles) if assignments is not None else []

    def _user_role_sources(self, user_id: str) -> dict[str, list[tuple[PrincipalType, str]]]:
        """Role id -> the principals (the user, their groups) it comes through, in order."""
        sources: dict[str, list[tuple[PrincipalType, str]]] = {}
        for role_id in self._held("user", user_id):
            sources.setdefault(role_id, []).append(("user", user_id))
        for group in self.groups:
            if user_id in group.users:
                for role_id in self._held("group", group.id):
                    sources.setdefault(role_id, []).append(("group", group.id))
        return sources

    def _role_ids(self, store: OrderedStore[int]) -> list[str]:
        """The ids in an assignment store whose role still exists, oldest first."""
        return [role_id for role_id in store.ids() if role_id in self.roles]

    # -- roles -----------------------------------------------------------------------------

    @locked
    def list_roles(self, limit: int = 1000, after: str | None = None, order: str = "asc") -> dict[str, Any]:
        page = self.roles.page_next(limit, after, order=order)
        return next_list_body([r.render() for r in page.items], page)

    def _check_unique_role_name(self, role_name: str, role_id: str | None = None) -> None:
        """400 naming ``role_name`` if another role, predefined ones included, has that name
        (the spec: "Unique name for the role"; compared case-insensitively, a choice)."""
        wanted = role_name.strip().casefold()
        for role in self.roles:
            if role.id != role_id and role.name.strip().casefold() == wanted:
                message = f"A role named '{role.name}' already exists ({role.id}); role names are unique."
                raise ApiError(400, message, param="role_name")

    @locked
    def create_role(self, role_name: str, permissions: list[str], description: str | None = None) -> dict[str, Any]:
        """A custom organization role; its name is unique among all roles (400 otherwise)."""
        _check_role_name(role_name)
        self._check_unique_role_name(role_name)
        perms = _check_permissions(permissions)
        now = self.now()
        role = Role(random_id("role_"), role_name, description, perms, ORGANIZATION_RESOURCE, False, now, now)
        self.roles.add(role.id, role)
        return role.render()

    @locked
    def get_role(self, role_id: str) -> dict[str, Any]:
        return self._role(role_id).render()

    @locked
    def update_role(
        self,
        role_id: str,
        role_name: str | None = None,
        permissions: list[str] | None = None,
        description: str | None = None,
    ) -> dict[str, Any]:
        """Set the given fields of a custom role (idempotent); 400 for a predefined role."""
        role = self._custom_role(role_id)
        if role_name is not None:
            _check_role_name(role_name)
            self._check_unique_role_name(role_name, role_id)
        perms = _check_permissions(permissions) if permissions is not None else None
        changes: dict[str, Any] = {}
        if role_name is not None:
            changes["role_name"] = role_name
        if description is not None:
            changes["description"] = description
        if perms is not None:
            changes["permissions_added"] = [p for p in perms if p not in role.permissions]
            changes["permissions_removed"] = [p for p in role.permissions if p not in perms]
        changes.update(resource_type=role.resource_type, resource_id=ORGANIZATION_ID)
        self.audit_notes[("role.updated", role_id)] = {"changes_requested": changes}
        if role_name is not None:
            role.name = role_name
        if perms is not None:
            role.permissions = perms
        if description is not None:
            role.description = description
        role.updated_at = self.now()
        return role.render()

    @locked
    def delete_role(self, role_id: str) -> dict[str, Any]:
        """Delete a custom role and its assignments; 400 for a predefined role."""
        self._custom_role(role_id)
        self.roles.remove(role_id)
        for assignments in self._assignments.values():
            if role_id in assignments.roles:
                assignments.roles.remove(role_id)
        return {"object": "role.deleted", "id": role_id, "deleted": True}

    # -- user roles ------------------------------------------------------------------------

    @locked
    def list_user_roles(
        self, user_id: str, limit: int = 100, after: str | None = None, order: str = "asc"
    ) -> dict[str, Any]:
        """The user's roles, direct and through groups (``RoleListResource``)."""
        self._user(user_id)
        sources = self._user_role_sources(user_id)
        held: OrderedStore[Role] = OrderedStore()
        for role in self.roles:
            if role.id in sources:
                held.add(role.id, role)
        page = held.page_next(limit, after, order=order)
        return next_list_body([r.render_assigned(sources[r.id]) for r in page.items], page)

    @locked
    def assign_user_role(self, user_id: str, role_id: str) -> dict[str, Any]:
        """Assign an organization role; 400 if it is not one or is already assigned directly."""
        user = self._user(user_id)
        role = self._organization_role(role_id)
        direct = self._direct("user", user_id)
        if role_id in direct:
            raise ApiError(400, f"Role '{role_id}' is already assigned to user '{user_id}'.", param="role_id")
        direct.add(role_id, self.now())
        return {"object": "user.role", "user": user.render(), "role": role.render()}

    @locked
    def get_user_role(self, user_id: str, role_id: str) -> dict[str, Any]:
        """The role as the user holds it (directly or through a group); 404 otherwise."""
        self._user(user_id)
        sources = self._user_role_sources(user_id).get(role_id)
        if not sources:
            raise ApiError(404, f"Role '{role_id}' is not assigned to user '{user_id}'.", param="role_id")
        return self._role(role_id).render_assigned(sources)

    @locked
    def unassign_user_role(self, user_id: str, role_id: str) -> dict[str, Any]:
        """Remove a direct assignment; 404 if the role is not assigned to the user directly."""
        self._user(user_id)
        if role_id not in self._held("user", user_id):
            raise ApiError(404, f"Role '{role_id}' is not assigned to user '{user_id}'.", param="role_id")
        self._direct("user", user_id).remove(role_id)
        return {"object": "user.role.deleted", "deleted": True}

    # -- group roles -----------------------------------------------------------------------

    @locked
    def list_group_roles(
        self, group_id: str, limit: int = 100, after: str | None = None, order: str = "asc"
    ) -> dict[str, Any]:
        self._group(group_id)
        held: OrderedStore[Role] = OrderedStore()
        for role_id in self._held("group", group_id):
            held.add(role_id, self._role(role_id))
        page = held.page_next(limit, after, order=order)
        return next_list_body([r.render_assigned([("group", group_id)]) for r in page.items], page)

    @locked
    def assign_group_role(self, group_id: str, role_id: str) -> dict[str, Any]:
        """Assign an organization role to a group (SCIM-managed groups too: roles are ours)."""
        group = self._group(group_id)
        role = self._organization_role(role_id)
        direct = self._direct("group", group_id)
        if role_id in direct:
            raise ApiError(400, f"Role '{role_id}' is already assigned to group '{group_id}'.", param="role_id")
        direct.add(role_id, self.now())
        return {"object": "group.role", "group": group.render_object(), "role": role.render()}

    @locked
    def get_group_role(self, group_id: str, role_id: str) -> dict[str, Any]:
        self._group(group_id)
        if role_id not in self._held("group", group_id):
            raise ApiError(404, f"Role '{role_id}' is not assigned to group '{group_id}'.", param="role_id")
        return self._role(role_id).render_assigned([("group", group_id)])

    @locked
    def unassign_group_role(self, group_id: str, role_id: str) -> dict[str, Any]:
        self._group(group_id)
        if role_id not in self._held("group", group_id):
            raise ApiError(404, f"Role '{role_id}' is not assigned to group '{group_id}'.", param="role_id")
        self._direct("group", group_id).remove(role_id)
        return {"object": "group.role.deleted", "deleted": True}

    # -- modify user with role_id ----------------------------------------------------------

    @locked
    def update_user_fields(
        self,
        user_id: str,
        role: str | None = None,
        role_id: str | None = None,
        technical_level: str | None = None,
        developer_persona: str | None = None,
    ) -> dict[str, Any]:
        """The modify-user request (``UserRoleUpdateRequest``): every field optional, at least
        one given (400 otherwise). ``role_id`` ("Role ID to assign to the user") names an
        organization role: the predefined ``Owner``/``Reader`` set ``role`` (400 if ``role``
        says otherwise), a custom role is assigned to the user directly (nothing if it is
        already). Everything is checked before any change."""
        if all(v is None for v in (role, role_id, technical_level, developer_persona)):
            raise ApiError(
                400, "Give at least one of 'role', 'role_id', 'technical_level', 'developer_persona'.", param="role"
            )
        self._user(user_id)
        custom: Role | None = None
        if role_id is not None:
            chosen = self._organization_role(role_id)
            if chosen.predefined:
                implied = chosen.name.lower()
                if role is not None and ("reader" if role == "member" else role) != implied:
                    raise ApiError(400, f"'role' {role!r} contradicts 'role_id' ({chosen.name}).", param="role_id")
                role = implied
            else:
                custom = chosen
        # OrganizationOps.update_user, a sibling mixin of EmulatorState
        answer: dict[str, Any] = chained(self).update_user(
            user_id, role, technical_level=technical_level, developer_persona=developer_persona
        )
        if custom is not None and custom.id not in self._direct("user", user_id):
            self._direct("user", user_id).add(custom.id, self.now())
        return answer

    # -- cascades and inspection -----------------------------------------------------------

    def direct_role_ids(self, kind: PrincipalType, principal_id: str) -> list[str]:
        """The role ids assigned directly to a user or group (pure; for tests)."""
        with self._lock:
            return self._held(kind, principal_id)

    @locked
    def delete_user(self, user_id: str) -> dict[str, Any]:
        """As the groups' ``delete_user``, and the user's role assignments are dropped."""
        answer = super().delete_user(user_id)
        self._assignments.pop(("user", user_id), None)
        return answer

    @locked
    def delete_group(self, group_id: str) -> dict[str, Any]:
        answer = super().delete_group(group_id)
        self._assignments.pop(("group", group_id), None)
        return answer

    @locked
    def snapshot(self) -> dict[str, Any]:
        """Plus ``roles`` and, per group, ``role_ids``; per user, ``role_ids`` (direct)."""
        snapshot = super().snapshot()
        snapshot["roles"] = [r.render() for r in self.roles]
        for group in snapshot["groups"]:
            group["role_ids"] = self._held("group", group["id"])
        held = {pid: self._held("user", pid) for kind, pid in self._assignments if kind == "user"}
        snapshot["user_role_ids"] = {pid: ids for pid, ids in held.items() if ids}
        return snapshot


# -- routes ------------------------------------------------------------------------------


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)


class PublicCreateOrganizationRoleBody(_Body):
    role_name: str
    permissions: list[str]
    description: str | None = None


class PublicUpdateOrganizationRoleBody(_Body):
    role_name: str | None = None
    permissions: list[str] | None = None
    description: str | None = None


class PublicAssignOrganizationGroupRoleBody(_Body):
    role_id: str


def role_routes(state: RoleOps) -> APIRouter:
    """``/v1/organization/roles``, ``/v1/organization/users/{id}/roles`` and
    ``/v1/organization/groups/{id}/roles``."""
    router = APIRouter(prefix="/v1/organization")

    @router.get("/roles")
    async def list_roles(limit: int = 1000, after: str | None = None, order: str = "asc") -> JSONResponse:
        return JSONResponse(state.list_roles(limit, after, order))

    @router.post("/roles")
    async def create_role(body: PublicCreateOrganizationRoleBody) -> JSONResponse:
        return JSONResponse(state.create_role(body.role_name, body.permissions, body.description))

    @router.get("/roles/{role_id}")
    async def retrieve_role(role_id: str) -> JSONResponse:
        return JSONResponse(state.get_role(role_id))

    @router.post("/roles/{role_id}")
    async def update_role(role_id: str, body: PublicUpdateOrganizationRoleBody) -> JSONResponse:
        return JSONResponse(state.update_role(role_id, body.role_name, body.permissions, body.description))

    @router.delete("/roles/{role_id}")
    async def delete_role(role_id: str) -> JSONResponse:
        return JSONResponse(state.delete_role(role_id))

    @router.get("/users/{user_id}/roles")
    async def list_user_roles(
        user_id: str, limit: int = 100, after: str | None = None, order: str = "asc"
    ) -> JSONResponse:
        return JSONResponse(state.list_user_roles(user_id, limit, after, order))

    @router.post("/users/{user_id}/roles")
    async def assign_user_role(user_id: str, body: PublicAssignOrganizationGroupRoleBody) -> JSONResponse:
        return JSONResponse(state.assign_user_role(user_id, body.role_id))

    @router.get("/users/{user_id}/roles/{role_id}")
    async def retrieve_user_role(user_id: str, role_id: str) -> JSONResponse:
        return JSONResponse(state.get_user_role(user_id, role_id))

    @router.delete("/users/{user_id}/roles/{role_id}")
    async def unassign_user_role(user_id: str, role_id: str) -> JSONResponse:
        return JSONResponse(state.unassign_user_role(user_id, role_id))

    @router.get("/groups/{group_id}/roles")
    async def list_group_roles(
        group_id: str, limit: int = 100, after: str | None = None, order: str = "asc"
    ) -> JSONResponse:
        return JSONResponse(state.list_group_roles(group_id, limit, after, order))

    @router.post("/groups/{group_id}/roles")
    async def assign_group_role(group_id: str, body: PublicAssignOrganizationGroupRoleBody) -> JSONResponse:
        return JSONResponse(state.assign_group_role(group_id, body.role_id))

    @router.get("/groups/{group_id}/roles/{role_id}")
    async def retrieve_group_role(group_id: str, role_id: str) -> JSONResponse:
        return JSONResponse(state.get_group_role(group_id, role_id))

    @router.delete("/groups/{group_id}/roles/{role_id}")
    async def unassign_group_role(group_id: str, role_id: str) -> JSONResponse:
        return JSONResponse(state.unassign_group_role(group_id, role_id))

    return router
