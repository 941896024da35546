"""Spend alerts: ``organization.spend_alerts`` and ``projects.<name>.spend_alerts``.

A list of ``{threshold_amount: <cents>, recipients: [emails], subject_prefix?: text}`` (the
spec's fields; the channel is always email, the interval always month): the scope's
alerts, authoritative when the key is present (absent = unmanaged; ``[]`` removes every
alert). Alerts have no natural key, so a live alert is the file's when threshold,
recipients (as a set) and subject prefix are all equal. The file's alerts that match none
take over the live ones that match none, one idempotent update each (an alert of the same
threshold first, else the oldest), so a changed alert is reported field by field; the
file's alerts left over are created (looking before a retry: creates are not idempotent),
the live ones left over are removed (destructive). Nothing here writes the spend limit.
The organization's alerts are exported (two identical live alerts once: the plan then
removes the copy); projects' are not (one read per project).
"""

from __future__ import annotations

import contextlib
from typing import Any

from airflow_provider_openai_projects.client.errors import NotFoundError
from airflow_provider_openai_projects.client.resources.spend import same_spend_alert
from airflow_provider_openai_projects.domain.idempotency import create_once
from airflow_provider_openai_projects.orgfile.changes import PHASE_REMOVE, PHASE_SETTINGS, Change
from airflow_provider_openai_projects.orgfile.handlers._scopes import Scope, project_of, scope_reads, scopes
from airflow_provider_openai_projects.orgfile.handlers.base import ApplyContext, PlanContext
from airflow_provider_openai_projects.orgfile.model import OrgSpec
from airflow_provider_openai_projects.orgfile.reader import LiveReader
from airflow_provider_openai_projects.orgfile.scoped import SPEND_ALERTS, file_alert, live_alert

FAMILY = SPEND_ALERTS
FIELDS = ("id", "threshold_amount", "currency", "interval", "notification_channel")


def live_alerts(reader: LiveReader, scope: Scope) -> list[dict[str, Any]]:
    """The scope's alerts, oldest first (one list read per run)."""
    client = reader.client
    project_id = str(scope.project["id"]) if scope.project is not None else None

    def fetch() -> list[Any]:
        if project_id is None:
            return list(client.list_organization_spend_alerts())
        return list(client.list_project_spend_alerts(project_id))

    return reader.read(f"{FAMILY}{scope.read_key}", FIELDS, fetch)


def _pairs(
    wanted: list[dict[str, Any]], live: list[dict[str, Any]]
) -> tuple[list[tuple[int, dict[str, Any]]], list[tuple[int, dict[str, Any]]], list[dict[str, Any]]]:
    """(updates: (file index, live alert), creates: (file index, alert), removals: live alerts)."""
    free = list(live)
    unmatched: list[int] = []
    for index, alert in enumerate(wanted):
        same = next((item for item in free if live_alert(item) == alert), None)
        if same is None:
            unmatched.append(index)
        else:
            free.remove(same)
    updates: list[tuple[int, dict[str, Any]]] = []
    creates: list[tuple[int, dict[str, Any]]] = []
    for index in unmatched:
        threshold = wanted[index]["threshold_amount"]
        other = next((item for item in free if item.get("threshold_amount") == threshold), None)
        if other is None and free:
            other = free[0]
        if other is not None:
            free.remove(other)
            updates.append((index, other))
        else:
            creates.append((index, wanted[index]))
    return updates, creates, free


class SpendAlertsHandler:
    family = FAMILY

    def plan(self, ctx: PlanContext) -> list[Change]:
        changes: list[Change] = []
        for scope, declared in scopes(ctx, FAMILY):
            wanted = [file_alert(alert) for alert in declared]
            live = [] if scope.is_new else live_alerts(ctx.reader, scope)
            updates, creates, removals = _pairs(wanted, live)
            for index, alert in updates:
                before = live_alert(alert)
                names = [name for name in wanted[index] if before[name] != wanted[index][name]]
                changes.append(
                    Change(
                        FAMILY,
                        "update",
                        scope.where,
                        f"{FAMILY}[{index}]",
                        {name: before[name] for name in names},
                        {name: wanted[index][name] for name in names},
                        False,
                        PHASE_SETTINGS,
                        target={**scope.target(), "alert_id": alert["id"], "set": wanted[index]},
                    )
                )
            for index, alert in creates:
                changes.append(
                    Change(FAMILY, "add", scope.where, f"{FAMILY}[{index}]", None, alert, False, PHASE_SETTINGS,
                           target={**scope.target(), "set": alert})
                )  # fmt: skip
            for alert in removals:
                changes.append(
                    Change(
                        FAMILY,
                        "remove",
                        scope.where,
                        f"alert at {alert.get('threshold_amount')} cents (not in the file)",
                        live_alert(alert),
                        None,
                        True,
                        PHASE_REMOVE,
                        target={**scope.target(), "alert_id": alert["id"]},
                    )
                )
        return changes

    def count_reads(self, spec: OrgSpec, reader: LiveReader) -> int:
        """One read for the organization when it declares the key, one per live project that does."""
        return scope_reads(spec, reader, SPEND_ALERTS)

    def apply(self, change: Change, ctx: ApplyContext) -> int:
        project_id = project_of(change, ctx)
        client = ctx.client
        if change.action == "remove":
            with contextlib.suppress(NotFoundError):  # already gone: the rerun of an interrupted delete
                if project_id is None:
                    client.delete_organization_spend_alert(change.target["alert_id"])
                else:
                    client.delete_project_spend_alert(project_id, change.target["alert_id"])
            return 1
        wanted = change.target["set"]
        channel: Any = {
            "type": "email",
            "recipients": wanted["recipients"],
            **({"subject_prefix": wanted["subject_prefix"]} if wanted["subject_prefix"] is not None else {}),
        }
        amount = int(wanted["threshold_amount"])
        if change.action == "update":
            alert_id = change.target["alert_id"]
            if project_id is None:
                client.update_organization_spend_alert(alert_id, threshold_amount=amount, notification_channel=channel)
            else:
                client.update_project_spend_alert(
                    project_id, alert_id, threshold_amount=amount, notification_channel=channel
                )
            return 1

        def create() -> Any:
            if project_id is None:
                return client.create_organization_spend_alert(threshold_amount=amount, notification_channel=channel)
            return client.create_project_spend_alert(project_id, threshold_amount=amount, notification_channel=channel)

        def find() -> Any:
            alerts = (
                client.list_organization_spend_alerts()
                if project_id is None
                else client.list_project_spend_alerts(project_id)
            )
            return next(
                (a for a in alerts if same_spend_alert(a, threshold_amount=amount, notification_channel=channel)),
                None,
            )

        create_once(create, find, what=f"spend alert {change.what} of {change.where}")
        return 1

    def export(self, reader: LiveReader, document: dict[str, Any]) -> None:
        alerts: list[dict[str, Any]] = []
        for alert in live_alerts(reader, Scope("organization", ("organization", FAMILY), False, None)):
            normal = live_alert(alert)
            entry = {"threshold_amount": normal["threshold_amount"], "recipients": normal["recipients"]}
            if normal["subject_prefix"] is not None:
                entry["subject_prefix"] = normal["subject_prefix"]
            if entry not in alerts:
                alerts.append(entry)
        document.setdefault("organization", {})[FAMILY] = alerts
