"""Project groups: records, state operations and routes (docs/design.md fact 14).

A project group ``{group_id, role}`` (``role`` is the id of a project role, see
:mod:`.roles`) gives every member of the group access to the project. So a person's
access to a project is direct membership OR membership of a group added to the project:
:meth:`ProjectGroupOps.projects_reachable_by` computes exactly that, and offboarding must
account for both. Deleting a group drops its project grants. Writes need an active
project; lists page in the ``next`` style (at most 100, default 20, oldest first).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict
from starlette.responses import JSONResponse

from airflow_provider_openai_projects.emulator.errors import ApiError
from airflow_provider_openai_projects.emulator.families.roles import PROJECT_RESOURCE, RoleOps
from airflow_provider_openai_projects.emulator.pagination import OrderedStore, next_list_body
from airflow_provider_openai_projects.emulator.state.core import check_choice, locked

MAX_PROJECT_GROUPS_LIMIT = 100
GROUP_TYPES = ("group", "tenant_group")

# -- records -----------------------------------------------------------------------------


@dataclass
class ProjectGroupGrant:
    """A group's access to a project, with a project role."""

    project_id: str
    group_id: str
    role_id: str
    created_at: int


# -- state operations --------------------------------------------------------------------


class ProjectGroupOps(RoleOps):
    """Project groups, and who reaches which project."""

    @locked
    def reset(self) -> None:
        super().reset()
        self._project_groups: dict[str, OrderedStore[ProjectGroupGrant]] = {}

    def _grants(self, project_id: str) -> OrderedStore[ProjectGroupGrant]:
        return self._project_groups.setdefault(project_id, OrderedStore())

    def _render_grant(self, grant: ProjectGroupGrant) -> dict[str, Any]:
        """The spec's ``ProjectGroup``."""
        return {
            "object": "project.group",
            "project_id": grant.project_id,
            "group_id": grant.group_id,
            "group_name": self._group(grant.group_id).name,
            "group_type": "group",
            "created_at": grant.created_at,
        }

    def _grant(self, project_id: str, group_id: str) -> ProjectGroupGrant:
        grant = self._grants(project_id).get(group_id)
        if grant is None:
            raise ApiError(404, f"Group '{group_id}' has no access to project '{project_id}'.", param="group_id")
        return grant

    @locked
    def list_project_groups(
        self, project_id: str, limit: int = 20, after: str | None = None, order: str = "asc"
    ) -> dict[str, Any]:
        self._project(project_id)
        page = self._grants(project_id).page_next(limit, after, order=order, max_limit=MAX_PROJECT_GROUPS_LIMIT)
        return next_list_body([self._render_grant(g) for g in page.items], page)

    @locked
    def add_project_group(self, project_id: str, group_id: str, role: str) -> dict[str, Any]:
        """Give a group (and so its members) access to an active project with a project
        role (a role id); 400 if already there, if ``role`` is not a project role or the
        group does not exist."""
        project = self._active_project(project_id)
        if group_id not in self.groups:
            raise ApiError(400, f"No group found with id '{group_id}'.", param="group_id")
        found = self.roles.get(role)
        if found is None or found.resource_type != PROJECT_RESOURCE:
            raise ApiError(400, f"Invalid 'role': '{role}' is not the id of a project role.", param="role")
        grants = self._grants(project.id)
        if group_id in grants:
            raise ApiError(400, f"Group '{group_id}' already has access to project '{project_id}'.", param="group_id")
        grant = ProjectGroupGrant(project.id, group_id, role, self.now())
        grants.add(group_id, grant)
        return self._render_grant(grant)

    @locked
    def get_project_group(self, project_id: str, group_id: str, group_type: str = "group") -> dict[str, Any]:
        """The group's access to the project, looked up among the groups of ``group_type``
        ("The type of group to retrieve"): every group of the emulator is of type ``group``,
        so ``tenant_group`` finds none (404)."""
        check_choice(group_type, GROUP_TYPES, "group_type")
        self._project(project_id)
        rendered = self._render_grant(self._grant(project_id, group_id))
        if rendered["group_type"] != group_type:
            raise ApiError(
                404, f"No {group_type} '{group_id}' has access to project '{project_id}'.", param="group_type"
            )
        return rendered

    @locked
    def remove_project_group(self, project_id: str, group_id: str) -> dict[str, Any]:
        """Revoke a group's access; 404 if it has none (callers treat it as already done)."""
        self._active_project(project_id)
        self._grant(project_id, group_id)
        self._grants(project_id).remove(group_id)
        return {"object": "project.group.deleted", "deleted": True}

    # -- reachability, cascades and inspection ---------------------------------------------

    def projects_reachable_by(self, user_id: str) -> set[str]:
        """The ids of the active projects ``user_id`` can use: those they are a direct
        member of, and those a group they belong to was added to (pure; no API call)."""
        with self._lock:
            groups = self.group_ids_of(user_id)
            reachable = set()
            for project in self.projects:
                if project.archived:
                    continue
                grants = self._project_groups.get(project.id)
                if user_id in project.users or (grants is not None and any(g in grants for g in groups)):
                    reachable.add(project.id)
            return reachable

    def project_group_role(self, project_id: str, group_id: str) -> str | None:
        """The role id a group holds in a project, or ``None`` (pure; for tests)."""
        with self._lock:
            grant = self._project_groups.get(project_id, OrderedStore()).get(group_id)
            return grant.role_id if grant else None

    @locked
    def delete_group(self, group_id: str) -> dict[str, Any]:
        answer = super().delete_group(group_id)
        for grants in self._project_groups.values():
            if group_id in grants:
                grants.remove(group_id)
        return answer

    @locked
    def snapshot(self) -> dict[str, Any]:
        """Plus, per project, ``groups`` (``[{group_id, role}]``)."""
        snapshot = super().snapshot()
        for project in snapshot["projects"]:
            grants = self._project_groups.get(project["id"])
            project["groups"] = [{"group_id": g.group_id, "role": g.role_id} for g in (grants or [])]
        return snapshot


# -- routes ------------------------------------------------------------------------------


class InviteProjectGroupBody(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    group_id: str
    role: str


def project_group_routes(state: ProjectGroupOps) -> APIRouter:
    """``/v1/organization/projects/{project_id}/groups``."""
    router = APIRouter(prefix="/v1/organization/projects/{project_id}/groups")

    @router.get("")
    async def list_project_groups(
        project_id: str, limit: int = 20, after: str | None = None, order: str = "asc"
    ) -> JSONResponse:
        return JSONResponse(state.list_project_groups(project_id, limit, after, order))

    @router.post("")
    async def add_project_group(project_id: str, body: InviteProjectGroupBody) -> JSONResponse:
        return JSONResponse(state.add_project_group(project_id, body.group_id, body.role))

    @router.get("/{group_id}")
    async def retrieve_project_group(project_id: str, group_id: str, group_type: str = "group") -> JSONResponse:
        return JSONResponse(state.get_project_group(project_id, group_id, group_type))

    @router.delete("/{group_id}")
    async def remove_project_group(project_id: str, group_id: str) -> JSONResponse:
        return JSONResponse(state.remove_project_group(project_id, group_id))

    return router
