"""A project's model permissions and hosted-tool permissions.

DESIGN.md fact 12. Model permissions ``{mode: allow_list|deny_list, model_ids}`` are
replaced whole by each update (idempotent) and reset by DELETE to the initial value,
``deny_list`` of no models (every model allowed). They take effect: ``GET /v1/models``
with a key of the project lists only the models the project may use. Hosted-tool
permissions (``file_search``, ``web_search``, ``image_generation``, ``mcp``,
``code_interpreter``, each ``{enabled}``, all enabled initially) merge per tool: an
update changes only the tools it names; there is no DELETE.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict
from starlette.responses import JSONResponse

from airflow_provider_openai_projects.emulator.families._listing import chained as _next
from airflow_provider_openai_projects.emulator.state.core import StateCore, check_choice, locked

MODEL_PERMISSION_MODES = ("allow_list", "deny_list")
HOSTED_TOOLS = ("file_search", "web_search", "image_generation", "mcp", "code_interpreter")


@dataclass(frozen=True)
class ModelPermissions:
    mode: str = "deny_list"
    model_ids: tuple[str, ...] = ()

    def allows(self, model_id: str) -> bool:
        return (model_id in self.model_ids) == (self.mode == "allow_list")

    def render(self) -> dict[str, Any]:
        """The spec's ``ProjectModelPermissions``."""
        return {"object": "project.model_permissions", "mode": self.mode, "model_ids": list(self.model_ids)}


class PermissionOps(StateCore):
    """Model and hosted-tool permissions, per project."""

    model_permissions: dict[str, ModelPermissions]
    hosted_tool_permissions: dict[str, dict[str, bool]]

    @locked
    def reset(self) -> None:
        super().reset()
        self.model_permissions = {}
        self.hosted_tool_permissions = {}

    def _tools(self, project_id: str) -> dict[str, bool]:
        return self.hosted_tool_permissions.get(project_id, dict.fromkeys(HOSTED_TOOLS, True))

    @locked
    def get_project_model_permissions(self, project_id: str) -> dict[str, Any]:
        project = self._active_project(project_id)
        return self.model_permissions.get(project.id, ModelPermissions()).render()

    @locked
    def update_project_model_permissions(self, project_id: str, mode: str, model_ids: list[str]) -> dict[str, Any]:
        """Replace the whole setting (idempotent)."""
        project = self._active_project(project_id)
        check_choice(mode, MODEL_PERMISSION_MODES, "mode")
        self.model_permissions[project.id] = ModelPermissions(mode, tuple(dict.fromkeys(model_ids)))
        return self.model_permissions[project.id].render()

    @locked
    def delete_project_model_permissions(self, project_id: str) -> dict[str, Any]:
        """Back to the initial value (every model allowed); idempotent."""
        project = self._active_project(project_id)
        self.model_permissions.pop(project.id, None)
        return {"object": "project.model_permissions.deleted", "deleted": True}

    @locked
    def get_project_hosted_tool_permissions(self, project_id: str) -> dict[str, Any]:
        project = self._active_project(project_id)
        return {tool: {"enabled": enabled} for tool, enabled in self._tools(project.id).items()}

    @locked
    def update_project_hosted_tool_permissions(self, project_id: str, changes: dict[str, bool]) -> dict[str, Any]:
        """Set ``enabled`` of the tools named in ``changes``; the others keep theirs."""
        project = self._active_project(project_id)
        for tool in changes:
            check_choice(tool, HOSTED_TOOLS, "tool")
        self.hosted_tool_permissions[project.id] = {**self._tools(project.id), **changes}
        return self.get_project_hosted_tool_permissions(project.id)

    @locked
    def use_key(self, value: str) -> dict[str, Any]:
        """The model list, without the models the key's project may not use."""
        listing: dict[str, Any] = _next(super()).use_key(value)
        location = self._keys.get(value)
        permissions = self.model_permissions.get(location[0]) if location else None
        if permissions is None:
            return listing
        return {**listing, "data": [m for m in listing["data"] if permissions.allows(m["id"])]}

    @locked
    def snapshot(self) -> dict[str, Any]:
        return {
            **_next(super()).snapshot(),
            "model_permissions": {
                p.id: self.model_permissions.get(p.id, ModelPermissions()).render() for p in self.projects
            },
            "hosted_tool_permissions": {p.id: self._tools(p.id) for p in self.projects},
        }


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)


class ProjectModelPermissionsUpdateRequest(_Body):
    mode: str
    model_ids: list[str]


class HostedToolPermissionUpdate(_Body):
    enabled: bool


class ProjectHostedToolPermissionsUpdateRequest(_Body):
    file_search: HostedToolPermissionUpdate | None = None
    web_search: HostedToolPermissionUpdate | None = None
    image_generation: HostedToolPermissionUpdate | None = None
    mcp: HostedToolPermissionUpdate | None = None
    code_interpreter: HostedToolPermissionUpdate | None = None


def routes(state: PermissionOps) -> APIRouter:
    router = APIRouter(prefix="/v1")
    models = "/organization/projects/{project_id}/model_permissions"
    tools = "/organization/projects/{project_id}/hosted_tool_permissions"

    @router.get(models)
    async def get_models(project_id: str) -> JSONResponse:
        return JSONResponse(state.get_project_model_permissions(project_id))

    @router.post(models)
    async def update_models(project_id: str, body: ProjectModelPermissionsUpdateRequest) -> JSONResponse:
        return JSONResponse(state.update_project_model_permissions(project_id, body.mode, body.model_ids))

    @router.delete(models)
    async def delete_models(project_id: str) -> JSONResponse:
        return JSONResponse(state.delete_project_model_permissions(project_id))

    @router.get(tools)
    async def get_tools(project_id: str) -> JSONResponse:
        return JSONResponse(state.get_project_hosted_tool_permissions(project_id))

    @router.post(tools)
    async def update_tools(project_id: str, body: ProjectHostedToolPermissionsUpdateRequest) -> JSONResponse:
        changes = {tool: update.enabled for tool in HOSTED_TOOLS if (update := getattr(body, tool)) is not None}
        return JSONResponse(state.update_project_hosted_tool_permissions(project_id, changes))

    return router
