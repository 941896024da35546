"""``AuditEventSensor``: wait until an audit event matching a filter occurs after a time."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

from airflow_provider_openai_projects.domain.audit_events import AuditEventFilter
from airflow_provider_openai_projects.sensors.base import OpenAIAdminBaseSensor

if TYPE_CHECKING:
    from airflow_provider_openai_projects.triggers.audit_event import AuditEventTrigger


class AuditEventSensor(OpenAIAdminBaseSensor):
    """Wait for an audit event (``invite.accepted`` of a person, ``api_key.created`` in a
    protected project...) that occurs strictly after ``after``.

    Returns the earliest matching event as the API sent it (audit events carry ids and
    redacted values, never a key value). Deferrable: with ``deferrable=True`` the waiting
    happens in the triggerer, one filtered list call per poll.

    :param after: a ``datetime`` or Unix seconds (templated; default: the task's
        ``data_interval_start``, else the DAG run's logical date).
    :param event_types: spec event types (``invite.accepted``, ``api_key.created``...).
    :param project_ids: / ``actor_ids`` / ``actor_emails`` / ``resource_ids``: further filters.

    ``project_ids`` matches the project an action "was scoped to": what people do in that
    project in the dashboard. It does not catch what an admin key changes there (this
    automation's or another's): the spec associates "any admin actions taken via Admin
    API keys" with the Default project. To catch every change of a project, whoever
    makes it, use ``resource_ids`` (the project's id for ``project.updated``/
    ``project.archived``; a member's, key's or service account's id for its events).
    """

    template_fields: Sequence[str] = (
        *OpenAIAdminBaseSensor.template_fields,
        "after",
        "event_types",
        "project_ids",
        "actor_ids",
        "actor_emails",
        "resource_ids",
    )

    def __init__(
        self,
        *,
        after: datetime | int | float | str | None = None,
        event_types: list[str] | None = None,
        project_ids: list[str] | None = None,
        actor_ids: list[str] | None = None,
        actor_emails: list[str] | None = None,
        resource_ids: list[str] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.after = after
        self.event_types = event_types
        self.project_ids = project_ids
        self.actor_ids = actor_ids
        self.actor_emails = actor_emails
        self.resource_ids = resource_ids
        self._filter: AuditEventFilter | None = None

    def execute(self, context: Any) -> Any:
        if self.after is None:
            self.after = context.get("data_interval_start") or context.get("logical_date")
        return super().execute(context)

    def validate(self) -> None:
        after: object = self.after
        if isinstance(after, datetime):
            after = int(after.timestamp())
        elif isinstance(after, str) and after.strip().isdigit():
            after = int(after.strip())
        elif isinstance(after, str) and after.strip():
            import pendulum

            try:
                parsed = pendulum.parse(after.strip())
                after = int(parsed.timestamp()) if isinstance(parsed, datetime) else after
            except (ValueError, TypeError):
                pass
        self._filter = AuditEventFilter.from_inputs(
            after,
            event_types=self.event_types,
            project_ids=self.project_ids,
            actor_ids=self.actor_ids,
            actor_emails=self.actor_emails,
            resource_ids=self.resource_ids,
        )

    @property
    def filter(self) -> AuditEventFilter:
        assert self._filter is not None, "validate() runs first"
        return self._filter

    def check(self) -> dict[str, Any] | None:
        return self.filter.first_match(self.hook.list_audit_logs(**self.filter.query()))

    def make_trigger(self) -> AuditEventTrigger:
        from airflow_provider_openai_projects.triggers.audit_event import AuditEventTrigger

        f = self.filter
        return AuditEventTrigger(
            after=f.after,
            event_types=list(f.event_types) or None,
            project_ids=list(f.project_ids) or None,
            actor_ids=list(f.actor_ids) or None,
            actor_emails=list(f.actor_emails) or None,
            resource_ids=list(f.resource_ids) or None,
            openai_admin_conn_id=self.openai_admin_conn_id,
            poll_interval=float(self.poke_interval),
        )

    def result_from_event(self, event: dict[str, Any]) -> Any:
        return event.get("event")
