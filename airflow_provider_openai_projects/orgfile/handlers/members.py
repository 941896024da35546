"""Project members: authoritative per project that declares ``members``.

People of the organization are added by user id; people not in it are collected for one
invite each (planned by the organization handler) carrying every project role the file
gives them; someone already invited is shown as pending. Members not listed are removed
(destructive). A pending invite that gives a role in such a project that the file does not
(an outsider, or another role) is part of the plan: it is deleted (before any invite is
sent) and, when the file lists the person, they are invited anew with the file's roles; an
invite never bypasses the file. Adds and promotions run before demotions and removals, and the last owner
of a project is never removed or demoted: when the file would leave a project without an
owner, the oldest live owner is kept and the plan says so.
"""

from __future__ import annotations

import contextlib
from typing import Any

from airflow_provider_openai_projects.client.errors import NotFoundError
from airflow_provider_openai_projects.domain.idempotency import create_once
from airflow_provider_openai_projects.orgfile.changes import (
    PHASE_ADD_MEMBER,
    PHASE_DEMOTE,
    PHASE_PROMOTE,
    PHASE_REMOVE,
    PHASE_REVOKE_INVITE,
    Change,
)
from airflow_provider_openai_projects.orgfile.handlers.base import ApplyContext, PlanContext

FAMILY = "members"


def _email(member: dict[str, Any]) -> str:
    return str(member.get("email") or member["id"]).lower()


class MembersHandler:
    family = FAMILY

    def plan(self, ctx: PlanContext) -> list[Change]:
        """Per project that declares ``members``: role updates, adds (or invites for people
        not yet in the organization), removals of those not listed; never the last owner."""
        changes: list[Change] = self._plan_invite_revocations(ctx)
        for name, spec in ctx.spec.projects.items():
            if spec.members is None or name not in ctx.projects:
                continue
            project = ctx.projects[name]
            target = {"project_id": project["id"]} if project is not None else {}
            live = {_email(m): m for m in ctx.reader.project_users(project["id"])} if project is not None else {}
            planned, future_owners = self._plan_declared(ctx, name, spec.members, live, target)
            planned += self._plan_removals(name, spec.members, live, target)
            if project is not None and future_owners == 0:
                planned = self._keep_last_owner(ctx, name, live, planned)
            changes.extend(planned)
        return changes

    @staticmethod
    def _plan_invite_revocations(ctx: PlanContext) -> list[Change]:
        """Deletes of the pending invites that give a role the file does not: in a project
        whose members the file lists, or an organization role other than the one
        ``organization.members`` gives the person (once per invite). The person is then
        invited anew with the file's roles."""
        changes: list[Change] = []
        declared = {
            str(project["id"]): (name, spec.members)
            for name, spec in ctx.spec.projects.items()
            if spec.members is not None and (project := ctx.projects.get(name)) is not None
        }
        org_roles = {
            email.lower(): role
            for email, role in (ctx.spec.organization_members or {}).items()
            if ctx.reader.user_by_email(email) is None  # only a non-member can be invited
        }
        if not declared and not org_roles:
            return changes
        for invite in ctx.reader.invites():
            if invite.get("status") != "pending":
                continue
            email = str(invite["email"]).lower()
            before: dict[str, Any] | None = None
            for grant in invite.get("projects") or []:
                found = declared.get(str(grant.get("id")))
                if found is not None and (found[1] or {}).get(email) != grant.get("role"):
                    where = found[0]
                    before = {"invite": "pending", "role": grant.get("role"), "organization_role": invite.get("role")}
                    break
            if before is None and email in org_roles and invite.get("role") != org_roles[email]:
                where, before = "organization", {"invite": "pending", "organization_role": invite.get("role")}
            if before is None:
                continue
            ctx.revoked_invites.add(email)
            changes.append(
                Change(
                    FAMILY,
                    "remove",
                    where,
                    email,
                    before,
                    None,
                    True,
                    PHASE_REVOKE_INVITE,
                    target={"invite_id": invite["id"]},
                )
            )
        return changes

    @staticmethod
    def _plan_declared(
        ctx: PlanContext,
        name: str,
        declared: dict[str, str],
        live: dict[str, dict[str, Any]],
        target: dict[str, Any],
    ) -> tuple[list[Change], int]:
        """Updates and adds for the declared members; the number of owners after them."""
        planned: list[Change] = []
        future_owners = 0
        for email, role in declared.items():
            member = live.get(email)
            if member is not None:
                future_owners += role == "owner"
                if member["role"] != role:
                    phase = PHASE_PROMOTE if role == "owner" else PHASE_DEMOTE
                    where = {**target, "user_id": member["id"]}
                    before, after = {"role": member["role"]}, {"role": role}
                    planned.append(Change(FAMILY, "update", name, email, before, after, False, phase, target=where))
                continue
            user = ctx.reader.user_by_email(email)
            if user is not None:
                future_owners += role == "owner"
                where = {**target, "user_id": user["id"]}
                planned.append(
                    Change(FAMILY, "add", name, email, None, {"role": role}, False, PHASE_ADD_MEMBER, target=where)
                )
            elif ctx.pending_invite(email) is not None:
                ctx.pending.append({"where": name, "what": email, "role": role, "status": "invite pending"})
            else:
                ctx.invites_needed.setdefault(email, {})[name] = role
        return planned, future_owners

    @staticmethod
    def _plan_removals(
        name: str, declared: dict[str, str], live: dict[str, dict[str, Any]], target: dict[str, Any]
    ) -> list[Change]:
        """The members of the project that the file does not list (authoritative)."""
        return [
            Change(
                FAMILY,
                "remove",
                name,
                email,
                {"role": member["role"]},
                None,
                True,
                PHASE_REMOVE,
                target={**target, "user_id": member["id"]},
            )
            for email, member in live.items()
            if email not in declared
        ]

    @staticmethod
    def _keep_last_owner(
        ctx: PlanContext, name: str, live: dict[str, dict[str, Any]], planned: list[Change]
    ) -> list[Change]:
        owners = [email for email, member in live.items() if member["role"] == "owner"]
        if not owners:
            return planned
        kept = owners[0]
        ctx.warnings.append(
            f"project {name!r}: the file leaves no owner; {kept} stays owner (the last owner is never removed)"
        )
        return [c for c in planned if c.what != kept]

    def apply(self, change: Change, ctx: ApplyContext) -> int:
        client = ctx.client
        if "invite_id" in change.target:
            with contextlib.suppress(NotFoundError):  # already gone: done
                client.delete_invite(str(change.target["invite_id"]))
            return 1
        project_id = ctx.project_id(change)
        user_id = str(change.target["user_id"])
        if change.action == "add":
            add_member_once(client, project_id, user_id, str((change.after or {})["role"]), change)
        elif change.action == "update":
            client.update_project_user(project_id, user_id, role=str((change.after or {})["role"]))
        else:
            with contextlib.suppress(NotFoundError):  # already gone: done
                client.remove_project_user(project_id, user_id)
        return 1


def add_member_once(client: Any, project_id: str, user_id: str, role: str, change: Change) -> None:
    """Add ``user_id`` to the project with ``role``; a lost response is reconciled by looking the
    member up, never by adding again (docs/design.md, fact 5). Idempotent."""

    def find() -> Any:
        try:
            return client.get_project_user(project_id, user_id)
        except NotFoundError:
            return None

    create_once(
        lambda: client.add_project_user(project_id, role=role, user_id=user_id),
        find,
        what=f"member {change.what} of project {change.where!r}",
    )
