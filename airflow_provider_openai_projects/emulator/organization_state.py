"""The emulated organization and the Admin API's semantics, in pure Python (no HTTP).

One :class:`EmulatorState` is one organization: users, projects (with their members,
service accounts, API keys and rate limits), invites, the admin key and the model
catalog. Each public method is one API operation: it returns the spec's response body as
a dict or raises :class:`ApiError`, and it either applies its whole change or none
of it (every check runs before the first mutation). Methods hold a re-entrant lock, so
the state is consistent whichever thread calls it.

Seed state (also after :meth:`EmulatorState.reset`): one organization owner
(``owner@example.com``) and the default project ("Default project"), of which the owner
is a project owner. Every project gets one rate limit per catalog model.
"""

from __future__ import annotations

from airflow_provider_openai_projects.emulator.families import (
    admin_api_keys,
    certificates,
    data_retention,
    permissions,
    spend,
)
from airflow_provider_openai_projects.emulator.families.audit_logs import AuditOps
from airflow_provider_openai_projects.emulator.families.project_groups import ProjectGroupOps
from airflow_provider_openai_projects.emulator.families.usage import UsageOps

from .state.core import (
    DEFAULT_ADMIN_KEY,
    DEFAULT_PROJECT_NAME,
    INVITE_TTL_SECONDS,
    ORG_ROLES,
    PROJECT_ROLES,
    RESIDENCIES,
    SEED_OWNER_EMAIL,
    KeyKind,
)
from .state.credentials import CredentialOps
from .state.organization import OrganizationOps
from .state.projects import ProjectOps

__all__ = [
    "DEFAULT_ADMIN_KEY",
    "DEFAULT_PROJECT_NAME",
    "INVITE_TTL_SECONDS",
    "ORG_ROLES",
    "PROJECT_ROLES",
    "RESIDENCIES",
    "SEED_OWNER_EMAIL",
    "EmulatorState",
    "KeyKind",
]


class EmulatorState(
    admin_api_keys.AdminApiKeyOps,  # first: its key ids are what audit events name as actors
    AuditOps,
    UsageOps,
    certificates.CertificateOps,
    data_retention.DataRetentionOps,
    permissions.PermissionOps,
    spend.SpendOps,
    ProjectGroupOps,
    ProjectOps,
    CredentialOps,
    OrganizationOps,
):
    """One emulated organization (see the package docstring).

    ``EmulatorState(admin_key=DEFAULT_ADMIN_KEY, models=None, clock=time.time)``:
    ``models`` is the catalog (default ``catalog.DEFAULT_MODELS``), ``clock`` the
    time source in seconds; :meth:`advance_clock` moves the emulated time forward.
    """
