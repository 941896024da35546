"""Data retention: ``organization.data_retention`` and ``projects.<name>.data_retention``.

A retention type (see the schema; a project also takes ``organization_default``, its
initial value, and ``none``); absent = unmanaged. One idempotent write per scope that
differs. The organization's value is exported; projects' are not (one read per project).
"""

from __future__ import annotations

from typing import Any

from airflow_provider_openai_projects.orgfile.changes import PHASE_SETTINGS, Change
from airflow_provider_openai_projects.orgfile.handlers._project_settings import declaring, read_one, target
from airflow_provider_openai_projects.orgfile.handlers.base import ApplyContext, PlanContext
from airflow_provider_openai_projects.orgfile.reader import LiveReader

FAMILY = "data_retention"
PROJECT_INITIAL = "organization_default"


def _organization(reader: LiveReader) -> str:
    read = reader.read("data_retention", ("type",), lambda: [reader.client.get_organization_data_retention()])
    return str(read[0]["type"])


class DataRetentionHandler:
    family = FAMILY

    def plan(self, ctx: PlanContext) -> list[Change]:
        changes: list[Change] = []
        wanted_org = (ctx.spec.document.get("organization") or {}).get(FAMILY)
        if wanted_org is not None:
            live = _organization(ctx.reader)
            if live != wanted_org:
                changes.append(
                    Change(
                        FAMILY,
                        "update",
                        "organization",
                        "data retention",
                        {"type": live},
                        {"type": wanted_org},
                        False,
                        PHASE_SETTINGS,
                    )
                )
        for name, project, wanted in declaring(ctx, FAMILY):
            if project is None:
                current = PROJECT_INITIAL
            else:
                read = [
                    read_one(ctx, FAMILY, ("type",), ctx.reader.client.get_project_data_retention, str(project["id"]))
                ]
                current = str(read[0]["type"])
            if current != wanted:
                changes.append(
                    Change(
                        FAMILY,
                        "update",
                        name,
                        "data retention",
                        {"type": current},
                        {"type": wanted},
                        False,
                        PHASE_SETTINGS,
                        target={**target(project), "project": True},
                    )
                )
        return changes

    def apply(self, change: Change, ctx: ApplyContext) -> int:
        value: Any = (change.after or {})["type"]
        if change.target.get("project"):
            ctx.client.update_project_data_retention(ctx.project_id(change), retention_type=value)
        else:
            ctx.client.update_organization_data_retention(retention_type=value)
        return 1

    def export(self, reader: LiveReader, document: dict[str, Any]) -> None:
        document.setdefault("organization", {})[FAMILY] = _organization(reader)
