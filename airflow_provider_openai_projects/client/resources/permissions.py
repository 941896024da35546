"""A project's model permissions and hosted-tool permissions (DESIGN.md fact 12).

Model permissions ``{mode, model_ids}`` are replaced whole by an update (idempotent) and
reset by delete. Hosted-tool permissions merge per tool: an update changes only the tools
it names (each ``{"enabled": bool}``); there is no delete.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, cast

from airflow_provider_openai_projects.client.errors import InvalidInputError
from airflow_provider_openai_projects.client.resources._base import EndpointCaller
from airflow_provider_openai_projects.client.resources._checks import one_of, strings
from airflow_provider_openai_projects.client.resources.permissions_types import (
    HostedToolPermission,
    ModelPermissionMode,
    ProjectHostedToolPermissions,
    ProjectModelPermissions,
    ProjectModelPermissionsDeleted,
)

MODEL_PERMISSION_MODES = ("allow_list", "deny_list")
HOSTED_TOOLS = ("file_search", "web_search", "image_generation", "mcp", "code_interpreter")


def _tool(value: Any, tool: str) -> dict[str, bool]:
    if not isinstance(value, Mapping) or set(value) != {"enabled"} or not isinstance(value["enabled"], bool):
        raise InvalidInputError(tool, 'must be {"enabled": true} or {"enabled": false}')
    return {"enabled": value["enabled"]}


class PermissionsMixin(EndpointCaller):
    def get_project_model_permissions(self, project_id: str) -> ProjectModelPermissions:
        return cast(ProjectModelPermissions, self._call("get_project_model_permissions", project_id))

    def update_project_model_permissions(
        self, project_id: str, *, mode: ModelPermissionMode, model_ids: Sequence[str]
    ) -> ProjectModelPermissions:
        """Replace the project's model permissions whole (idempotent): ``allow_list`` allows
        only ``model_ids``, ``deny_list`` allows all but them."""
        fields = {
            "mode": one_of(mode, MODEL_PERMISSION_MODES, "mode"),
            "model_ids": strings(model_ids, "model_ids"),
        }
        return cast(ProjectModelPermissions, self._call("update_project_model_permissions", project_id, body=fields))

    def delete_project_model_permissions(self, project_id: str) -> ProjectModelPermissionsDeleted:
        """Reset the project's model permissions (idempotent)."""
        return cast(ProjectModelPermissionsDeleted, self._call("delete_project_model_permissions", project_id))

    def get_project_hosted_tool_permissions(self, project_id: str) -> ProjectHostedToolPermissions:
        return cast(ProjectHostedToolPermissions, self._call("get_project_hosted_tool_permissions", project_id))

    def update_project_hosted_tool_permissions(
        self,
        project_id: str,
        *,
        file_search: HostedToolPermission | None = None,
        web_search: HostedToolPermission | None = None,
        image_generation: HostedToolPermission | None = None,
        mcp: HostedToolPermission | None = None,
        code_interpreter: HostedToolPermission | None = None,
    ) -> ProjectHostedToolPermissions:
        """Set ``enabled`` of the tools given (at least one); the others keep theirs
        (idempotent). Returns every tool's permission."""
        given = {
            "file_search": file_search,
            "web_search": web_search,
            "image_generation": image_generation,
            "mcp": mcp,
            "code_interpreter": code_interpreter,
        }
        fields = {tool: _tool(value, tool) for tool, value in given.items() if value is not None}
        if not fields:
            raise InvalidInputError("tools", f"give at least one of {', '.join(HOSTED_TOOLS)}")
        return cast(
            ProjectHostedToolPermissions,
            self._call("update_project_hosted_tool_permissions", project_id, body=fields),
        )
