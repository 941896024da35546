"""Audit logs: one read, filtered (docs/design.md fact 18)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any, cast

from airflow_provider_openai_projects.client.errors import InvalidInputError
from airflow_provider_openai_projects.client.resources._base import EndpointCaller
from airflow_provider_openai_projects.client.resources.observe_types import AuditLog

EFFECTIVE_AT_BOUNDS = ("gt", "gte", "lt", "lte")


def check_timestamp(value: object, field: str) -> int:
    """``value`` if it is a non-negative int of unix seconds (not a bool), else :class:`InvalidInputError`."""
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise InvalidInputError(field, f"must be a non-negative integer of unix seconds, got {value!r}")
    return value


def check_strings(values: Sequence[str] | None, field: str) -> list[str] | None:
    """A list of non-empty strings (a bare string is refused: it is not a list of ids)."""
    if values is None:
        return None
    if isinstance(values, str | bytes) or not all(isinstance(v, str) and v for v in values):
        raise InvalidInputError(field, "must be a list of non-empty strings")
    return list(values)


def audit_log_query(
    *,
    effective_at: Mapping[str, int] | None = None,
    project_ids: Sequence[str] | None = None,
    event_types: Sequence[str] | None = None,
    actor_ids: Sequence[str] | None = None,
    actor_emails: Sequence[str] | None = None,
    resource_ids: Sequence[str] | None = None,
    tenant_only: bool | None = None,
) -> dict[str, Any]:
    """The query of ``GET /organization/audit_logs``, encoded as the API reads it:
    ``effective_at[gte]=...`` (deep object) and ``project_ids[]=a&project_ids[]=b``.

    Shared by the sync client and (later) the async one. Raises
    :class:`InvalidInputError` naming the first bad argument.
    """
    query: dict[str, Any] = {}
    for bound, value in (effective_at or {}).items():
        if bound not in EFFECTIVE_AT_BOUNDS:
            raise InvalidInputError("effective_at", f"unknown bound {bound!r}; use gt, gte, lt or lte")
        query[f"effective_at[{bound}]"] = check_timestamp(value, f"effective_at[{bound}]")
    arrays = {
        "project_ids": project_ids,
        "event_types": event_types,
        "actor_ids": actor_ids,
        "actor_emails": actor_emails,
        "resource_ids": resource_ids,
    }
    for name, values in arrays.items():
        checked = check_strings(values, name)
        if checked:
            query[f"{name}[]"] = checked
    if tenant_only is not None:
        if not isinstance(tenant_only, bool):
            raise InvalidInputError("tenant_only", "must be a boolean")
        query["tenant_only"] = tenant_only
    return query


class AuditLogsMixin(EndpointCaller):
    def list_audit_logs(
        self,
        *,
        effective_at: Mapping[str, int] | None = None,
        project_ids: Sequence[str] | None = None,
        event_types: Sequence[str] | None = None,
        actor_ids: Sequence[str] | None = None,
        actor_emails: Sequence[str] | None = None,
        resource_ids: Sequence[str] | None = None,
        tenant_only: bool | None = None,
    ) -> list[AuditLog]:
        """Every audit-log event matching the filters, over every page (100 per page).

        A read (safe to repeat). ``effective_at``: ``{"gt"|"gte"|"lt"|"lte": unix seconds}``;
        the list filters match any of their values; ``actor_ids`` takes user, service
        account or API key tracking ids. The order is not documented: do not rely on it.
        Events name keys by tracking id only, never by value. Bad arguments raise
        :class:`InvalidInputError` before anything is sent.
        """
        query = audit_log_query(
            effective_at=effective_at,
            project_ids=project_ids,
            event_types=event_types,
            actor_ids=actor_ids,
            actor_emails=actor_emails,
            resource_ids=resource_ids,
            tenant_only=tenant_only,
        )
        return cast(list[AuditLog], self._list("list_audit_logs", params=query))

    def iter_audit_logs(
        self,
        *,
        effective_at: Mapping[str, int] | None = None,
        project_ids: Sequence[str] | None = None,
        event_types: Sequence[str] | None = None,
        actor_ids: Sequence[str] | None = None,
        actor_emails: Sequence[str] | None = None,
        resource_ids: Sequence[str] | None = None,
        tenant_only: bool | None = None,
    ) -> Iterator[AuditLog]:
        """:meth:`list_audit_logs`, streamed: one page (100 events) in memory at a time,
        the next page fetched as the last is consumed (exports of any size)."""
        query = audit_log_query(
            effective_at=effective_at,
            project_ids=project_ids,
            event_types=event_types,
            actor_ids=actor_ids,
            actor_emails=actor_emails,
            resource_ids=resource_ids,
            tenant_only=tenant_only,
        )
        return cast(Iterator[AuditLog], self._iter("list_audit_logs", params=query))
