"""Spend limits: ``organization.spend_limit`` and ``projects.<name>.spend_limit``.

``{threshold_amount: <cents>}`` (the spec's field and unit; ``currency: USD`` and
``interval: month``, the only values, may be written out) sets the scope's one hard limit,
created or replaced whole by one idempotent write; ``none`` means no limit: a set one is
deleted (destructive: it lifts a cap on spending); absent = unmanaged. The limit and the
scope's spend alerts are independent: nothing here writes an alert. The organization's
limit is exported; projects' are not (one read per project).
"""

from __future__ import annotations

import contextlib
from typing import Any

from airflow_provider_openai_projects.client.errors import NotFoundError
from airflow_provider_openai_projects.orgfile.changes import PHASE_REMOVE, PHASE_SETTINGS, Change
from airflow_provider_openai_projects.orgfile.handlers._scopes import Scope, project_of, scope_reads, scopes
from airflow_provider_openai_projects.orgfile.handlers.base import ApplyContext, PlanContext
from airflow_provider_openai_projects.orgfile.model import OrgSpec
from airflow_provider_openai_projects.orgfile.reader import LiveReader
from airflow_provider_openai_projects.orgfile.scoped import NO_LIMIT, SPEND_LIMIT

FAMILY = SPEND_LIMIT
FIELDS = ("threshold_amount", "currency", "interval")
DEFAULTS = {"currency": "USD", "interval": "month"}


def live_limit(reader: LiveReader, scope: Scope) -> dict[str, Any] | None:
    """The scope's limit (the fields that matter), ``None`` when none is set (the API's 404)."""
    client = reader.client
    project_id = str(scope.project["id"]) if scope.project is not None else None

    def fetch() -> list[Any]:
        try:
            limit = (
                client.get_organization_spend_limit()
                if project_id is None
                else client.get_project_spend_limit(project_id)
            )
        except NotFoundError:
            return []
        return [limit]

    read = reader.read(f"{FAMILY}{scope.read_key}", FIELDS, fetch)
    return read[0] if read else None


def _wanted(value: dict[str, Any]) -> dict[str, Any]:
    return {"threshold_amount": value["threshold_amount"], **{k: value.get(k, v) for k, v in DEFAULTS.items()}}


class SpendLimitHandler:
    family = FAMILY

    def plan(self, ctx: PlanContext) -> list[Change]:
        changes: list[Change] = []
        for scope, wanted in scopes(ctx, FAMILY):
            live = None if scope.is_new else live_limit(ctx.reader, scope)
            if wanted == NO_LIMIT:
                if live is not None:
                    before = {"threshold_amount": live.get("threshold_amount")}
                    changes.append(
                        Change(FAMILY, "remove", scope.where, "spend limit", before, None, True, PHASE_REMOVE,
                               target=scope.target())
                    )  # fmt: skip
                continue
            after = _wanted(wanted)
            if live is None:
                diff_before: dict[str, Any] = {"threshold_amount": None}
                diff_after: dict[str, Any] = {"threshold_amount": after["threshold_amount"]}
            else:
                names = [name for name in FIELDS if live.get(name) != after[name]]
                diff_before = {name: live.get(name) for name in names}
                diff_after = {name: after[name] for name in names}
            if diff_after:
                changes.append(
                    Change(
                        FAMILY,
                        "update",
                        scope.where,
                        "spend limit",
                        diff_before,
                        diff_after,
                        False,
                        PHASE_SETTINGS,
                        target={**scope.target(), "set": after},
                    )
                )
        return changes

    def count_reads(self, spec: OrgSpec, reader: LiveReader) -> int:
        """One read for the organization when it declares the key, one per live project that does."""
        return scope_reads(spec, reader, SPEND_LIMIT)

    def apply(self, change: Change, ctx: ApplyContext) -> int:
        project_id = project_of(change, ctx)
        client = ctx.client
        if change.action == "remove":
            with contextlib.suppress(NotFoundError):  # already gone: the rerun of an interrupted delete
                if project_id is None:
                    client.delete_organization_spend_limit()
                else:
                    client.delete_project_spend_limit(project_id)
            return 1
        wanted = change.target["set"]
        if project_id is None:
            client.update_organization_spend_limit(**wanted)
        else:
            client.update_project_spend_limit(project_id, **wanted)
        return 1

    def export(self, reader: LiveReader, document: dict[str, Any]) -> None:
        live = live_limit(reader, Scope("organization", ("organization", FAMILY), False, None))
        value: Any = NO_LIMIT if live is None else {"threshold_amount": live["threshold_amount"]}
        document.setdefault("organization", {})[FAMILY] = value
