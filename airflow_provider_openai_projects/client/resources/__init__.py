"""The Admin API's methods, one mixin per resource family, shared by client and hook.

:class:`AdminMethods` combines every family; :class:`~..admin.OpenAIAdminClient` and
:class:`~airflow_provider_openai_projects.hooks.admin.OpenAIAdminHook` inherit it and
implement :meth:`~._base.EndpointCaller._call` and :meth:`~._base.EndpointCaller._list`.
Adding an endpoint: a row in :data:`..endpoints.ENDPOINTS` and a method in its family's
mixin here; the hook has it at once.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from airflow_provider_openai_projects.client.config import validate_id
from airflow_provider_openai_projects.client.endpoints import ENDPOINTS
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


def _ids_checked_first(method: Callable[..., Any], names: tuple[str, ...]) -> Callable[..., Any]:
    """``method`` with its path ids checked before anything else it does (its own checks of
    body fields included): an id that climbs out of its route is refused, naming the id,
    by every method of the table, whatever else is wrong with the call."""

    @functools.wraps(method)
    def checked(self: Any, *args: Any, **kwargs: Any) -> Any:
        for name, value in zip(names, args, strict=False):
            validate_id(name, value)
        for name in names[len(args) :]:
            if name in kwargs:
                validate_id(name, kwargs[name])
        return method(self, *args, **kwargs)

    return checked


for _row in ENDPOINTS:
    _method = getattr(AdminMethods, _row.method_name, None)
    if _method is not None and _row.path_params:
        setattr(AdminMethods, _row.method_name, _ids_checked_first(_method, _row.path_params))

__all__ = ["AdminMethods"]
