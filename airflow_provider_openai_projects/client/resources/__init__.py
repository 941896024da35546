"""The Admin API's methods, one mixin per resource family, shared by client and hook.

:class:`AdminMethods` combines every family; :class:`~..admin.OpenAIAdminClient` and
:class:`~airflow_provider_openai_projects.hooks.admin.OpenAIAdminHook` inherit it and
implement :meth:`~._base.EndpointCaller._call` and :meth:`~._base.EndpointCaller._list`.
Adding an endpoint: a row in :data:`..endpoints.ENDPOINTS` and a method in its family's
mixin here; the hook has it at once.
"""

from __future__ import annotations

from airflow_provider_openai_projects.client.resources.admin_api_keys import AdminApiKeysMixin
from airflow_provider_openai_projects.client.resources.audit_logs import AuditLogsMixin
from airflow_provider_openai_projects.client.resources.certificates import CertificatesMixin
from airflow_provider_openai_projects.client.resources.data_retention import DataRetentionMixin
from airflow_provider_openai_projects.client.resources.groups import GroupsMixin, GroupUsersMixin
from airflow_provider_openai_projects.client.resources.invites import InvitesMixin
from airflow_provider_openai_projects.client.resources.permissions import PermissionsMixin
from airflow_provider_openai_projects.client.resources.project_api_keys import ProjectApiKeysMixin
from airflow_provider_openai_projects.client.resources.project_groups import ProjectGroupsMixin
from airflow_provider_openai_projects.client.resources.project_users import ProjectUsersMixin
from airflow_provider_openai_projects.client.resources.projects import ProjectsMixin
from airflow_provider_openai_projects.client.resources.rate_limits import RateLimitsMixin
from airflow_provider_openai_projects.client.resources.roles import GroupRolesMixin, RolesMixin, UserRolesMixin
from airflow_provider_openai_projects.client.resources.service_accounts import ServiceAccountsMixin
from airflow_provider_openai_projects.client.resources.spend import SpendMixin
from airflow_provider_openai_projects.client.resources.usage import UsageMixin
from airflow_provider_openai_projects.client.resources.users import UsersMixin


class AdminMethods(
    ProjectsMixin,
    ProjectUsersMixin,
    ServiceAccountsMixin,
    ProjectApiKeysMixin,
    RateLimitsMixin,
    InvitesMixin,
    UsersMixin,
    AuditLogsMixin,
    UsageMixin,
    GroupsMixin,
    GroupUsersMixin,
    GroupRolesMixin,
    ProjectGroupsMixin,
    RolesMixin,
    UserRolesMixin,
    AdminApiKeysMixin,
    CertificatesMixin,
    DataRetentionMixin,
    PermissionsMixin,
    SpendMixin,
):
    """Every Admin API method (see :data:`..endpoints.ENDPOINTS`)."""


__all__ = ["AdminMethods"]
