"""Typed shapes of a project's model and hosted-tool permissions."""

from __future__ import annotations

from typing import Literal, TypedDict

ModelPermissionMode = Literal["allow_list", "deny_list"]


class ProjectModelPermissions(TypedDict):
    object: Literal["project.model_permissions"]
    mode: ModelPermissionMode
    model_ids: list[str]


class ProjectModelPermissionsDeleted(TypedDict):
    object: Literal["project.model_permissions.deleted"]
    deleted: bool


class HostedToolPermission(TypedDict):
    enabled: bool


class ProjectHostedToolPermissions(TypedDict):
    file_search: HostedToolPermission
    web_search: HostedToolPermission
    image_generation: HostedToolPermission
    mcp: HostedToolPermission
    code_interpreter: HostedToolPermission
