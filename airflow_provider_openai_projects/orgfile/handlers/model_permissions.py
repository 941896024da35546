"""Per-project model permissions: ``projects.<name>.model_permissions``.

``{mode: allow_list|deny_list, model_ids: [...]}`` replaces the project's permissions
whole (model ids compared as a set); the string ``reset`` deletes them, back to the
API's initial value (``deny_list`` of no model: every model allowed), destructive since it
widens access; absent = unmanaged. Both writes are idempotent. Not exported (one read per
project): add the key by hand to manage it.
"""

from __future__ import annotations

from typing import Any

from airflow_provider_openai_projects.orgfile.changes import PHASE_SETTINGS, Change
from airflow_provider_openai_projects.orgfile.handlers._project_settings import declaring, read_one, target
from airflow_provider_openai_projects.orgfile.handlers.base import ApplyContext, PlanContext

FAMILY = "model_permissions"
RESET = "reset"
INITIAL: dict[str, Any] = {"mode": "deny_list", "model_ids": []}


def _normal(value: dict[str, Any]) -> dict[str, Any]:
    return {"mode": value.get("mode"), "model_ids": sorted(set(value.get("model_ids") or []))}


class ModelPermissionsHandler:
    family = FAMILY

    def plan(self, ctx: PlanContext) -> list[Change]:
        changes: list[Change] = []
        for name, project, wanted in declaring(ctx, FAMILY):
            if project is None:
                live = dict(INITIAL)
            else:
                read = [
                    read_one(
                        ctx,
                        FAMILY,
                        ("mode", "model_ids"),
                        ctx.reader.client.get_project_model_permissions,
                        str(project["id"]),
                    )
                ]
                live = _normal(read[0])
            after = _normal(INITIAL if wanted == RESET else wanted)
            if live == after:
                continue
            before = {k: live[k] for k in after if live[k] != after[k]}
            reset = wanted == RESET
            changes.append(
                Change(
                    FAMILY,
                    "remove" if reset else "update",
                    name,
                    "model permissions",
                    before,
                    {k: after[k] for k in before} if not reset else None,
                    reset,
                    PHASE_SETTINGS,
                    target={**target(project), "set": after, "reset": reset},
                )
            )
        return changes

    def apply(self, change: Change, ctx: ApplyContext) -> int:
        project_id = ctx.project_id(change)
        if change.target["reset"]:
            ctx.client.delete_project_model_permissions(project_id)
        else:
            wanted = change.target["set"]
            ctx.client.update_project_model_permissions(project_id, mode=wanted["mode"], model_ids=wanted["model_ids"])
        return 1
