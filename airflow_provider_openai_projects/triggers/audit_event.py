"""``AuditEventTrigger``: wait, in the triggerer, for a matching audit-log event."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from airflow_provider_openai_projects import DEFAULT_CONN_ID
from airflow_provider_openai_projects.domain.audit_events import AuditEventFilter
from airflow_provider_openai_projects.triggers.base import OpenAIAdminPollingTrigger

if TYPE_CHECKING:
    from airflow_provider_openai_projects.client.aio import AsyncOpenAIAdminClient


class AuditEventTrigger(OpenAIAdminPollingTrigger):
    """Poll ``GET /organization/audit_logs`` (filtered by the API) until an event matches.

    One list per poll (events after ``after`` only, so pages stay few). Events:
    ``{"status": "success", "event": <the audit event>}`` or ``{"status": "error", ...}``.
    ``project_ids`` never matches an admin key's action outside the Default project (see
    :mod:`airflow_provider_openai_projects.domain.audit_events`); ``resource_ids`` does.
    """

    def __init__(
        self,
        *,
        after: int,
        event_types: list[str] | None = None,
        project_ids: list[str] | None = None,
        actor_ids: list[str] | None = None,
        actor_emails: list[str] | None = None,
        resource_ids: list[str] | None = None,
        openai_admin_conn_id: str = DEFAULT_CONN_ID,
        poll_interval: float = 60.0,
    ) -> None:
        super().__init__(openai_admin_conn_id=openai_admin_conn_id, poll_interval=poll_interval)
        self.filter = AuditEventFilter.from_inputs(
            after,
            event_types=event_types,
            project_ids=project_ids,
            actor_ids=actor_ids,
            actor_emails=actor_emails,
            resource_ids=resource_ids,
        )

    def trigger_kwargs(self) -> dict[str, Any]:
        f = self.filter
        return {
            "after": f.after,
            "event_types": list(f.event_types) or None,
            "project_ids": list(f.project_ids) or None,
            "actor_ids": list(f.actor_ids) or None,
            "actor_emails": list(f.actor_emails) or None,
            "resource_ids": list(f.resource_ids) or None,
        }

    def describe(self) -> str:
        return f"waiting for an audit event {self.filter.query()}"

    async def poll(self, client: AsyncOpenAIAdminClient) -> dict[str, Any] | None:
        event = self.filter.first_match(await client.list_audit_logs(**self.filter.query()))
        return None if event is None else {"event": event}
