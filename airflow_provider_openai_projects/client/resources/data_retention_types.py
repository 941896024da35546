"""Typed shapes of data-retention settings (the response names the setting ``type``)."""

from __future__ import annotations

from typing import Literal, TypedDict

OrganizationRetentionType = Literal[
    "zero_data_retention",
    "modified_abuse_monitoring",
    "enhanced_zero_data_retention",
    "enhanced_modified_abuse_monitoring",
]
ProjectRetentionType = Literal[
    "organization_default",
    "none",
    "zero_data_retention",
    "modified_abuse_monitoring",
    "enhanced_zero_data_retention",
    "enhanced_modified_abuse_monitoring",
]


class OrganizationDataRetention(TypedDict):
    object: Literal["organization.data_retention"]
    type: OrganizationRetentionType


class ProjectDataRetention(TypedDict):
    object: Literal["project.data_retention"]
    type: ProjectRetentionType
