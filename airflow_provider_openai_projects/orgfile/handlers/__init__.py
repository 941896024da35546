"""The registry of resource handlers, in planning order.

Planning order matters only for what handlers tell each other through the
:class:`~.base.PlanContext`: projects first (they resolve names to ids), organization last
(it turns the collected newcomers into invites). Apply order is each change's phase.
"""

from __future__ import annotations

from airflow_provider_openai_projects.orgfile.handlers.base import ApplyContext, Handler, PlanContext
from airflow_provider_openai_projects.orgfile.handlers.certificates import CertificatesHandler
from airflow_provider_openai_projects.orgfile.handlers.data_retention import DataRetentionHandler
from airflow_provider_openai_projects.orgfile.handlers.groups import GroupsHandler
from airflow_provider_openai_projects.orgfile.handlers.hosted_tools import HostedToolsHandler
from airflow_provider_openai_projects.orgfile.handlers.members import MembersHandler
from airflow_provider_openai_projects.orgfile.handlers.model_permissions import ModelPermissionsHandler
from airflow_provider_openai_projects.orgfile.handlers.organization import OrganizationHandler
from airflow_provider_openai_projects.orgfile.handlers.people import PeopleHandler
from airflow_provider_openai_projects.orgfile.handlers.project_groups import ProjectGroupsHandler
from airflow_provider_openai_projects.orgfile.handlers.projects import ProjectsHandler
from airflow_provider_openai_projects.orgfile.handlers.rate_limits import RateLimitsHandler
from airflow_provider_openai_projects.orgfile.handlers.roles import RolesHandler
from airflow_provider_openai_projects.orgfile.handlers.service_accounts import ServiceAccountsHandler
from airflow_provider_openai_projects.orgfile.handlers.spend_alerts import SpendAlertsHandler
from airflow_provider_openai_projects.orgfile.handlers.spend_limit import SpendLimitHandler

HANDLERS: tuple[Handler, ...] = (
    ProjectsHandler(),
    RolesHandler(),
    GroupsHandler(),
    ProjectGroupsHandler(),
    RateLimitsHandler(),
    ModelPermissionsHandler(),
    HostedToolsHandler(),
    DataRetentionHandler(),
    ServiceAccountsHandler(),
    SpendLimitHandler(),
    SpendAlertsHandler(),
    CertificatesHandler(),
    MembersHandler(),
    PeopleHandler(),  # before organization: a joiner the file also invites gets one invite
    OrganizationHandler(),
)

BY_FAMILY: dict[str, Handler] = {handler.family: handler for handler in HANDLERS}

__all__ = ["BY_FAMILY", "HANDLERS", "ApplyContext", "Handler", "PlanContext"]
