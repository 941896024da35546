"""Data retention of the organization and of each project (DESIGN.md fact 12).

The request field is ``retention_type``, the response field ``type``. A project also
takes ``organization_default`` and ``none``. Updates set the whole value: idempotent.
"""

from __future__ import annotations

from typing import cast, get_args

from airflow_provider_openai_projects.client.resources._base import EndpointCaller
from airflow_provider_openai_projects.client.resources._checks import one_of
from airflow_provider_openai_projects.client.resources.data_retention_types import (
    OrganizationDataRetention,
    OrganizationRetentionType,
    ProjectDataRetention,
    ProjectRetentionType,
)

ORGANIZATION_RETENTION_TYPES: tuple[str, ...] = get_args(OrganizationRetentionType)
PROJECT_RETENTION_TYPES: tuple[str, ...] = get_args(ProjectRetentionType)


class DataRetentionMixin(EndpointCaller):
    def get_organization_data_retention(self) -> OrganizationDataRetention:
        return cast(OrganizationDataRetention, self._call("get_organization_data_retention"))

    def update_organization_data_retention(
        self, *, retention_type: OrganizationRetentionType
    ) -> OrganizationDataRetention:
        """Set the organization's data retention (idempotent); the answer names it ``type``."""
        value = one_of(retention_type, ORGANIZATION_RETENTION_TYPES, "retention_type")
        return cast(
            OrganizationDataRetention,
            self._call("update_organization_data_retention", body={"retention_type": value}),
        )

    def get_project_data_retention(self, project_id: str) -> ProjectDataRetention:
        return cast(ProjectDataRetention, self._call("get_project_data_retention", project_id))

    def update_project_data_retention(
        self, project_id: str, *, retention_type: ProjectRetentionType
    ) -> ProjectDataRetention:
        """Set a project's data retention (idempotent); ``organization_default`` follows the
        organization's setting."""
        value = one_of(retention_type, PROJECT_RETENTION_TYPES, "retention_type")
        return cast(
            ProjectDataRetention,
            self._call("update_project_data_retention", project_id, body={"retention_type": value}),
        )
