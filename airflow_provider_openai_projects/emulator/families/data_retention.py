"""Data retention of the organization and of each project (``.../data_retention``).

DESIGN.md fact 12: the request names the setting ``retention_type``, the response
``type``; a project also takes ``organization_default`` (follow the organization, its
initial value) and ``none``. Setting a value is idempotent and replaces the old one.
The organization starts at ``modified_abuse_monitoring`` (the spec's example).
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict
from starlette.responses import JSONResponse

from airflow_provider_openai_projects.emulator.families._listing import chained as _next
from airflow_provider_openai_projects.emulator.state.core import StateCore, check_choice, locked

ORGANIZATION_RETENTION_TYPES = (
    "zero_data_retention",
    "modified_abuse_monitoring",
    "enhanced_zero_data_retention",
    "enhanced_modified_abuse_monitoring",
)
PROJECT_RETENTION_TYPES = ("organization_default", "none", *ORGANIZATION_RETENTION_TYPES)
INITIAL_ORGANIZATION_RETENTION = "modified_abuse_monitoring"
INITIAL_PROJECT_RETENTION = "organization_default"


class DataRetentionOps(StateCore):
    """The organization's and each project's data-retention setting."""

    organization_data_retention: str
    project_data_retention: dict[str, str]

    @locked
    def reset(self) -> None:
        super().reset()
        self.organization_data_retention = INITIAL_ORGANIZATION_RETENTION
        self.project_data_retention = {}

    @locked
    def get_organization_data_retention(self) -> dict[str, Any]:
        return {"object": "organization.data_retention", "type": self.organization_data_retention}

    @locked
    def update_organization_data_retention(self, retention_type: str) -> dict[str, Any]:
        check_choice(retention_type, ORGANIZATION_RETENTION_TYPES, "retention_type")
        self.organization_data_retention = retention_type
        return self.get_organization_data_retention()

    @locked
    def get_project_data_retention(self, project_id: str) -> dict[str, Any]:
        project = self._active_project(project_id)
        value = self.project_data_retention.get(project.id, INITIAL_PROJECT_RETENTION)
        return {"object": "project.data_retention", "type": value}

    @locked
    def update_project_data_retention(self, project_id: str, retention_type: str) -> dict[str, Any]:
        project = self._active_project(project_id)
        check_choice(retention_type, PROJECT_RETENTION_TYPES, "retention_type")
        self.project_data_retention[project.id] = retention_type
        return self.get_project_data_retention(project.id)

    @locked
    def snapshot(self) -> dict[str, Any]:
        return {
            **_next(super()).snapshot(),
            "data_retention": {
                "organization": self.organization_data_retention,
                "projects": {
                    p.id: self.project_data_retention.get(p.id, INITIAL_PROJECT_RETENTION) for p in self.projects
                },
            },
        }


class UpdateDataRetentionBody(BaseModel):
    """The spec's ``UpdateOrganizationDataRetentionBody`` / ``UpdateProjectDataRetentionBody``."""

    model_config = ConfigDict(extra="forbid", strict=True)

    retention_type: str


def routes(state: DataRetentionOps) -> APIRouter:
    router = APIRouter(prefix="/v1")

    @router.get("/organization/data_retention")
    async def get_organization() -> JSONResponse:
        return JSONResponse(state.get_organization_data_retention())

    @router.post("/organization/data_retention")
    async def update_organization(body: UpdateDataRetentionBody) -> JSONResponse:
        return JSONResponse(state.update_organization_data_retention(body.retention_type))

    @router.get("/organization/projects/{project_id}/data_retention")
    async def get_project(project_id: str) -> JSONResponse:
        return JSONResponse(state.get_project_data_retention(project_id))

    @router.post("/organization/projects/{project_id}/data_retention")
    async def update_project(project_id: str, body: UpdateDataRetentionBody) -> JSONResponse:
        return JSONResponse(state.update_project_data_retention(project_id, body.retention_type))

    return router
