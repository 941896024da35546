"""Operators of the OpenAI Admin API provider (one module per resource).

Every operator is idempotent (a second run with the same inputs changes nothing),
returns JSON-able dicts for XCom, and never returns, logs or raises a key value.
"""

from airflow_provider_openai_projects.operators.api_keys import DeleteProjectApiKeyOperator
from airflow_provider_openai_projects.operators.groups import AddGroupUserOperator, RemoveGroupUserOperator
from airflow_provider_openai_projects.operators.invites import InviteUserOperator
from airflow_provider_openai_projects.operators.offboarding import OffboardUserOperator
from airflow_provider_openai_projects.operators.org import OrgApplyOperator, OrgPlanOperator
from airflow_provider_openai_projects.operators.project_users import (
    AddProjectUserOperator,
    RemoveProjectUserOperator,
)
from airflow_provider_openai_projects.operators.projects import (
    ArchiveProjectOperator,
    CreateProjectOperator,
    EnsureProjectsOperator,
    UpdateProjectOperator,
)
from airflow_provider_openai_projects.operators.rate_limits import SyncRateLimitsOperator
from airflow_provider_openai_projects.operators.rotation import (
    DeleteServiceAccountGenerationsOperator,
    KeyVerificationError,
    RotateServiceAccountOperator,
)
from airflow_provider_openai_projects.operators.service_accounts import (
    CreateServiceAccountOperator,
    DeleteServiceAccountOperator,
)

__all__ = [
    "AddGroupUserOperator",
    "AddProjectUserOperator",
    "ArchiveProjectOperator",
    "CreateProjectOperator",
    "CreateServiceAccountOperator",
    "DeleteProjectApiKeyOperator",
    "DeleteServiceAccountGenerationsOperator",
    "DeleteServiceAccountOperator",
    "EnsureProjectsOperator",
    "InviteUserOperator",
    "KeyVerificationError",
    "OffboardUserOperator",
    "OrgApplyOperator",
    "OrgPlanOperator",
    "RemoveGroupUserOperator",
    "RemoveProjectUserOperator",
    "RotateServiceAccountOperator",
    "SyncRateLimitsOperator",
    "UpdateProjectOperator",
]
