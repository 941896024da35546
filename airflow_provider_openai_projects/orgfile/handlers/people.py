"""People: joiners, movers and leavers from the roster the file's ``people`` section names.

Planning reads the roster (:mod:`..people.source`), checks every row
(:mod:`..people.roster`) and plans with :mod:`._people_plan`; nothing is read or planned
when the file has no ``people`` section. Applying: an invite, an add or a removal
(project or group) as the members and groups families make them, and a leaver's
offboarding with :meth:`~...domain.offboarding.OffboardingSteps.carry_out`, exactly as
``OffboardUserOperator`` does it (hand over, delete invites, leave groups, unassign roles,
remove). Each write is idempotent: a create looks before it repeats; a removal answered
404 is done.
"""

from __future__ import annotations

import contextlib
import logging
from typing import Any

from airflow_provider_openai_projects.client.errors import NotFoundError
from airflow_provider_openai_projects.domain.idempotency import create_once
from airflow_provider_openai_projects.domain.offboarding import Offboarding, OffboardingSteps
from airflow_provider_openai_projects.orgfile.changes import Change
from airflow_provider_openai_projects.orgfile.handlers._people_plan import plan_people
from airflow_provider_openai_projects.orgfile.handlers.base import ApplyContext, PlanContext
from airflow_provider_openai_projects.orgfile.handlers.groups import group_id
from airflow_provider_openai_projects.orgfile.handlers.members import add_member_once
from airflow_provider_openai_projects.orgfile.people.config import FAMILY, people_spec
from airflow_provider_openai_projects.orgfile.people.roster import build_roster
from airflow_provider_openai_projects.orgfile.people.source import read_rows

log = logging.getLogger(__name__)


class PeopleHandler:
    family = FAMILY

    def plan(self, ctx: PlanContext) -> list[Change]:
        spec = people_spec(ctx.spec.document)
        if spec is None:
            return []
        roster = build_roster(read_rows(spec), spec)
        return plan_people(ctx, spec, roster)

    def apply(self, change: Change, ctx: ApplyContext) -> int:
        if change.target.get("kind") == "leaver":
            data = change.target["offboarding"]
            steps = OffboardingSteps(ctx.client, log, remove_from_organization=bool(data["remove_from_organization"]))
            steps.carry_out(Offboarding.from_plan(data))
            return steps.writes
        if change.action == "invite":
            return _invite(change, ctx)
        if change.where.startswith("group "):
            return _group_membership(change, ctx)
        return _project_membership(change, ctx)


def _invite(change: Change, ctx: ApplyContext) -> int:
    client, email = ctx.client, change.what
    projects: list[Any] = [
        {"id": grant["project_id"] or ctx.project_ids[grant["name"]], "role": grant["role"]}
        for grant in change.target["projects"]
    ]

    def find() -> Any:
        return next(
            (i for i in client.list_invites() if i["status"] == "pending" and str(i["email"]).lower() == email), None
        )

    role = str((change.after or {})["role"])
    create_once(
        lambda: client.create_invite(email=email, role=role, projects=projects), find, what=f"invite of {email}"
    )
    return 1


def _project_membership(change: Change, ctx: ApplyContext) -> int:
    client = ctx.client
    project_id = ctx.project_id(change)
    user_id = str(change.target["user_id"])
    if change.action == "remove":
        with contextlib.suppress(NotFoundError):  # already gone: done
            client.remove_project_user(project_id, user_id)
        return 1
    add_member_once(client, project_id, user_id, str((change.after or {})["role"]), change)
    return 1


def _group_membership(change: Change, ctx: ApplyContext) -> int:
    client = ctx.client
    gid = group_id(ctx, change, str(change.target["group"]))
    user_id = str(change.target["user_id"])
    if change.action == "remove":
        with contextlib.suppress(NotFoundError):
            client.remove_group_user(gid, user_id)
        return 1

    def find() -> Any:
        try:
            return client.get_group_user(gid, user_id)
        except NotFoundError:
            return None

    create_once(lambda: client.add_group_user(gid, user_id=user_id), find, what=change.describe())
    return 1
