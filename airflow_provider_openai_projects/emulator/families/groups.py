"""Groups and group users: records, state operations and routes (DESIGN.md fact 14).

A group is ``{name}`` with members (organization users, by ``user_id``). Groups created
through the API are ours to write; a group with ``is_scim_managed`` belongs to the
identity provider: renaming, deleting it and changing its members are refused with 409
(its roles and project access stay ours to grant). :meth:`GroupOps.add_scim_group` makes
one (seeding, as the identity provider would; not part of the Admin API), as does
``POST /_emulator/scim_groups`` ``{name, user_ids?}``.

Deleting a user from the organization also removes them from every group. Lists page in
the ``next`` style (``after`` + ``has_more``/``next``), groups oldest first, group users
newest first (the spec's defaults).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict
from starlette.responses import JSONResponse

from airflow_provider_openai_projects.emulator.errors import ApiError, not_found
from airflow_provider_openai_projects.emulator.ids import random_id
from airflow_provider_openai_projects.emulator.pagination import OrderedStore, next_list_body
from airflow_provider_openai_projects.emulator.state.core import StateCore, locked

GROUP_NAME_MAX = 255
"""The spec's ``maxLength`` of a group name."""

# -- records -----------------------------------------------------------------------------


@dataclass
class GroupMember:
    """A user's membership of a group."""

    user_id: str
    added_at: int


@dataclass
class Group:
    """An organization group and its members (keyed by user id)."""

    id: str
    name: str
    created_at: int
    is_scim_managed: bool = False
    users: OrderedStore[GroupMember] = field(default_factory=OrderedStore)

    def render(self) -> dict[str, Any]:
        """The spec's ``GroupResponse``."""
        return {
            "id": self.id,
            "name": self.name,
            "created_at": self.created_at,
            "is_scim_managed": self.is_scim_managed,
            "group_type": "group",
        }

    def render_updated(self) -> dict[str, Any]:
        """The spec's ``GroupResourceWithSuccess`` (the answer to a rename)."""
        return {k: v for k, v in self.render().items() if k != "group_type"}

    def render_object(self) -> dict[str, Any]:
        """The spec's ``Group`` (inside a ``GroupRoleAssignment``)."""
        return {
            "object": "group",
            "id": self.id,
            "name": self.name,
            "created_at": self.created_at,
            "scim_managed": self.is_scim_managed,
        }


def _check_group_name(name: str) -> str:
    if not name.strip() or len(name) > GROUP_NAME_MAX:
        raise ApiError(400, f"Invalid 'name': must be 1 to {GROUP_NAME_MAX} characters, not blank.", param="name")
    return name


# -- state operations --------------------------------------------------------------------


class GroupOps(StateCore):
    """Groups and their members."""

    @locked
    def reset(self) -> None:
        super().reset()
        self.groups: OrderedStore[Group] = OrderedStore()

    def _group(self, group_id: str) -> Group:
        group = self.groups.get(group_id)
        if group is None:
            raise not_found("group", group_id, "group_id")
        return group

    def _writable_group(self, group_id: str) -> Group:
        group = self._group(group_id)
        if group.is_scim_managed:
            raise ApiError(
                409,
                f"Group '{group_id}' is managed by your identity provider (SCIM); change it there.",
                param="group_id",
                code="scim_managed",
            )
        return group

    def _new_group(self, name: str, scim: bool) -> Group:
        group = Group(random_id("group_"), name, self.now(), scim)
        self.groups.add(group.id, group)
        return group

    def group_ids_of(self, user_id: str) -> set[str]:
        """The ids of the groups ``user_id`` is a member of (pure; for tests and reachability)."""
        with self._lock:
            return {g.id for g in self.groups if user_id in g.users}

    # -- groups ----------------------------------------------------------------------------

    @locked
    def list_groups(self, limit: int = 100, after: str | None = None, order: str = "asc") -> dict[str, Any]:
        page = self.groups.page_next(limit, after, order=order)
        return next_list_body([g.render() for g in page.items], page)

    @locked
    def create_group(self, name: str) -> dict[str, Any]:
        """Create a group (names are not unique: look before you create)."""
        return self._new_group(_check_group_name(name), scim=False).render()

    @locked
    def get_group(self, group_id: str) -> dict[str, Any]:
        return self._group(group_id).render()

    @locked
    def update_group(self, group_id: str, name: str) -> dict[str, Any]:
        """Rename (idempotent); 409 for a SCIM-managed group."""
        _check_group_name(name)
        group = self._writable_group(group_id)
        group.name = name
        return group.render_updated()

    @locked
    def delete_group(self, group_id: str) -> dict[str, Any]:
        """Delete the group with its memberships and role assignments; 409 if SCIM-managed."""
        self._writable_group(group_id)
        self.groups.remove(group_id)
        return {"object": "group.deleted", "id": group_id, "deleted": True}

    @locked
    def add_scim_group(self, name: str, user_ids: Sequence[str] = ()) -> dict[str, Any]:
        """A group pushed by the identity provider (``is_scim_managed``), with these members
        (seeding; not part of the Admin API). Returns the ``GroupResponse``."""
        _check_group_name(name)
        for user_id in user_ids:
            self._user(user_id)
        group = self._new_group(name, scim=True)
        for user_id in user_ids:
            group.users.add(user_id, GroupMember(user_id, self.now()))
        return group.render()

    # -- group users -----------------------------------------------------------------------

    @locked
    def list_group_users(
        self, group_id: str, limit: int = 100, after: str | None = None, order: str = "desc"
    ) -> dict[str, Any]:
        """The spec's ``UserListResource`` of ``GroupUser`` (newest member first by default)."""
        group = self._group(group_id)
        page = group.users.page_next(limit, after, order=order)
        data = []
        for member in page.items:
            user = self._user(member.user_id)
            data.append({"id": user.id, "name": user.name, "email": user.email})
        return next_list_body(data, page)

    @locked
    def add_group_user(self, group_id: str, user_id: str) -> dict[str, Any]:
        """Add an organization member; 400 if not an organization member or already in the
        group, 409 for a SCIM-managed group."""
        group = self._writable_group(group_id)
        if user_id not in self.users:
            raise ApiError(
                400, f"User '{user_id}' is not a member of the organization; invite them first.", param="user_id"
            )
        if user_id in group.users:
            raise ApiError(400, f"User '{user_id}' is already a member of group '{group_id}'.", param="user_id")
        group.users.add(user_id, GroupMember(user_id, self.now()))
        return {"object": "group.user", "user_id": user_id, "group_id": group_id}

    def _group_member(self, group: Group, user_id: str) -> GroupMember:
        member = group.users.get(user_id)
        if member is None:
            raise ApiError(404, f"User '{user_id}' is not a member of group '{group.id}'.", param="user_id")
        return member

    @locked
    def get_group_user(self, group_id: str, user_id: str) -> dict[str, Any]:
        """The spec's ``GroupMemberUser``; 404 unless a member."""
        self._group_member(self._group(group_id), user_id)
        user = self._user(user_id)
        return {
            "id": user.id,
            "name": user.name,
            "email": user.email,
            "picture": None,
            "is_service_account": False,
            "user_type": "user",
        }

    @locked
    def remove_group_user(self, group_id: str, user_id: str) -> dict[str, Any]:
        """404 unless a member (callers treat it as already done); 409 if SCIM-managed."""
        group = self._writable_group(group_id)
        self._group_member(group, user_id)
        group.users.remove(user_id)
        return {"object": "group.user.deleted", "deleted": True}

    # -- cascades and inspection -----------------------------------------------------------

    @locked
    def delete_user(self, user_id: str) -> dict[str, Any]:
        """As the organization's ``delete_user``, and the user leaves every group."""
        answer: dict[str, Any] = super().delete_user(user_id)  # type: ignore[misc]
        for group in self.groups:
            if user_id in group.users:
                group.users.remove(user_id)
        return answer

    @locked
    def snapshot(self) -> dict[str, Any]:
        """The organization's snapshot plus ``groups`` (each with its members' user ids)."""
        snapshot: dict[str, Any] = super().snapshot()  # type: ignore[misc]
        snapshot["groups"] = [{**g.render(), "user_ids": [m.user_id for m in g.users]} for g in self.groups]
        return snapshot


# -- routes ------------------------------------------------------------------------------


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)


class CreateGroupBody(_Body):
    name: str


class UpdateGroupBody(_Body):
    name: str


class CreateGroupUserBody(_Body):
    user_id: str


class ControlScimGroupBody(_Body):
    name: str
    user_ids: list[str] = []


def group_routes(state: GroupOps) -> APIRouter:
    """``/v1/organization/groups`` (groups and group users) and ``POST /_emulator/scim_groups``."""
    router = APIRouter()
    base = "/v1/organization/groups"

    @router.get(base)
    async def list_groups(limit: int = 100, after: str | None = None, order: str = "asc") -> JSONResponse:
        return JSONResponse(state.list_groups(limit, after, order))

    @router.post(base)
    async def create_group(body: CreateGroupBody) -> JSONResponse:
        return JSONResponse(state.create_group(body.name))

    @router.get(base + "/{group_id}")
    async def retrieve_group(group_id: str) -> JSONResponse:
        return JSONResponse(state.get_group(group_id))

    @router.post(base + "/{group_id}")
    async def update_group(group_id: str, body: UpdateGroupBody) -> JSONResponse:
        return JSONResponse(state.update_group(group_id, body.name))

    @router.delete(base + "/{group_id}")
    async def delete_group(group_id: str) -> JSONResponse:
        return JSONResponse(state.delete_group(group_id))

    @router.get(base + "/{group_id}/users")
    async def list_group_users(
        group_id: str, limit: int = 100, after: str | None = None, order: str = "desc"
    ) -> JSONResponse:
        return JSONResponse(state.list_group_users(group_id, limit, after, order))

    @router.post(base + "/{group_id}/users")
    async def add_group_user(group_id: str, body: CreateGroupUserBody) -> JSONResponse:
        return JSONResponse(state.add_group_user(group_id, body.user_id))

    @router.get(base + "/{group_id}/users/{user_id}")
    async def retrieve_group_user(group_id: str, user_id: str) -> JSONResponse:
        return JSONResponse(state.get_group_user(group_id, user_id))

    @router.delete(base + "/{group_id}/users/{user_id}")
    async def remove_group_user(group_id: str, user_id: str) -> JSONResponse:
        return JSONResponse(state.remove_group_user(group_id, user_id))

    @router.post("/_emulator/scim_groups")
    async def add_scim_group(body: ControlScimGroupBody) -> JSONResponse:
        return JSONResponse(state.add_scim_group(body.name, body.user_ids))

    return router
