"""Per-model rate limits: only the models the file lists (globs included) are managed.

Precedence between keys is :mod:`airflow_provider_openai_projects.domain.ratelimit_policy`'s (exact
name, then the most literal characters, then declaration order, per field). A field a
model's limit does not carry is never sent. A key that matches no model of its project
is a file error, raised after the reads and before any write.
"""

from __future__ import annotations

from typing import Any

from airflow_provider_openai_projects.domain.ratelimit_policy import RateLimitPolicy, parse_policy
from airflow_provider_openai_projects.orgfile.changes import PHASE_SETTINGS, Change
from airflow_provider_openai_projects.orgfile.errors import OrgFileError, format_path
from airflow_provider_openai_projects.orgfile.handlers.base import ApplyContext, PlanContext

FAMILY = "rate_limits"
NEW_PROJECT = "(every listed model)"


def differences(policy: RateLimitPolicy, limit: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """(before, after) of the fields of ``limit`` that the policy sets to another value."""
    before: dict[str, Any] = {}
    after: dict[str, Any] = {}
    for name, (value, _key) in policy.desired(str(limit["model"])).items():
        if name in limit and limit[name] != value:
            before[name] = limit[name]
            after[name] = value
    return before, after


class RateLimitsHandler:
    family = FAMILY

    def plan(self, ctx: PlanContext) -> list[Change]:
        changes: list[Change] = []
        for name, spec in ctx.spec.projects.items():
            if spec.rate_limits is None or name not in ctx.projects:
                continue
            project = ctx.projects[name]
            if project is None:
                document = ctx.spec.document["projects"][name]["rate_limits"]
                changes.append(Change(FAMILY, "update", name, NEW_PROJECT, None, dict(document), False, PHASE_SETTINGS))
                continue
            limits = ctx.reader.rate_limits(project["id"])
            unknown = spec.rate_limits.unknown_keys(str(limit["model"]) for limit in limits)
            if unknown:
                raise OrgFileError(
                    ctx.spec.source,
                    format_path(["projects", name, "rate_limits", unknown[0]]),
                    f"matches no model of this project ({len(limits)} models, e.g. "
                    f"{', '.join(sorted(str(limit['model']) for limit in limits)[:5])})",
                )
            for limit in limits:
                before, after = differences(spec.rate_limits, limit)
                if after:
                    changes.append(
                        Change(
                            FAMILY,
                            "update",
                            name,
                            str(limit["model"]),
                            before,
                            after,
                            False,
                            PHASE_SETTINGS,
                            target={"project_id": project["id"], "rate_limit_id": limit["id"]},
                        )
                    )
        return changes

    def apply(self, change: Change, ctx: ApplyContext) -> int:
        project_id = ctx.project_id(change)
        if "rate_limit_id" in change.target:
            ctx.client.update_rate_limit(project_id, change.target["rate_limit_id"], **(change.after or {}))
            return 1
        # A project created by this run: its models are known only now.
        policy = parse_policy(change.after or {}, f"projects.{change.where}.rate_limits")
        writes = 0
        for limit in ctx.client.list_rate_limits(project_id):
            _before, after = differences(policy, dict(limit))
            if after:
                ctx.client.update_rate_limit(project_id, limit["id"], **after)
                writes += 1
        return writes
