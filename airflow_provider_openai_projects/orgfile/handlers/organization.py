"""Organization members: roles of the people listed, and one invite per newcomer.

Not authoritative (people not listed keep their role and stay). A person the file names
(here or as a project member) who is neither a member nor invited gets one invite with
their organization role (``reader`` unless listed here) and every project role the file
gives them; the invite is sent after the projects it references are created.
"""

from __future__ import annotations

from typing import Any

from airflow_provider_openai_projects.domain.display import printable
from airflow_provider_openai_projects.domain.idempotency import create_once
from airflow_provider_openai_projects.orgfile.changes import PHASE_INVITE, PHASE_ORG_ROLE, Change
from airflow_provider_openai_projects.orgfile.errors import PlanRefusedError
from airflow_provider_openai_projects.orgfile.handlers.base import ApplyContext, PlanContext
from airflow_provider_openai_projects.orgfile.reader import LiveReader

FAMILY = "organization"


class OrganizationHandler:
    family = FAMILY

    def plan(self, ctx: PlanContext) -> list[Change]:
        changes: list[Change] = []
        for email, role in (ctx.spec.organization_members or {}).items():
            user = ctx.reader.user_by_email(email)
            if user is not None:
                if user.get("role") != role:
                    changes.append(
                        Change(
                            FAMILY,
                            "update",
                            "organization",
                            email,
                            {"role": user.get("role")},
                            {"role": role},
                            False,
                            PHASE_ORG_ROLE,
                            target={"user_id": user["id"]},
                        )
                    )
            elif ctx.pending_invite(email) is not None:
                ctx.pending.append({"where": "organization", "what": email, "role": role, "status": "invite pending"})
            else:
                ctx.invites_needed.setdefault(email, {})
                ctx.org_roles[email] = role
        for email, projects in ctx.invites_needed.items():
            role = ctx.org_roles.get(email, "reader")
            grants = [
                {"name": name, "role": project_role, "project_id": (ctx.projects.get(name) or {}).get("id")}
                for name, project_role in projects.items()
            ]
            changes.append(
                Change(
                    FAMILY,
                    "invite",
                    "organization",
                    email,
                    None,
                    {"role": role, "projects": dict(projects)},
                    False,
                    PHASE_INVITE,
                    target={"projects": grants},
                )
            )
        return changes

    def apply(self, change: Change, ctx: ApplyContext) -> int:
        client = ctx.client
        if change.action == "update":
            client.update_user(str(change.target["user_id"]), role=str((change.after or {})["role"]))
            return 1
        email = change.what
        projects: list[Any] = [
            {"id": grant["project_id"] or ctx.project_ids[grant["name"]], "role": grant["role"]}
            for grant in change.target["projects"]
        ]

        def find() -> Any:
            return next(
                (i for i in client.list_invites() if i["status"] == "pending" and i["email"].lower() == email), None
            )

        create_once(
            lambda: client.create_invite(email=email, role=str((change.after or {})["role"]), projects=projects),
            find,
            what=f"invite of {email}",
        )
        return 1


def refuse_no_owner_left(source: str, reader: LiveReader, changes: list[Change]) -> None:
    """Refuse a plan whose changes, taken together, leave the organization no owner: its
    owners all demoted (``organization`` updates) or offboarded out of it (the ``people``
    section's leavers). Each change alone may keep an owner; the API refuses the last one
    part-way through the apply. Reads the users only when some change demotes or removes."""
    demoted = {
        c.what
        for c in changes
        if c.family == FAMILY and c.action == "update" and (c.before or {}).get("role") == "owner"
    }
    removed = {
        c.what
        for c in changes
        if c.target.get("kind") == "leaver" and (c.target.get("offboarding") or {}).get("remove_from_organization")
    }
    if not demoted | removed:
        return
    owners = {str(u.get("email") or u["id"]).lower() for u in reader.users() if u.get("role") == "owner"}
    if owners and owners <= demoted | removed:
        what = "demotes the organization's last owner" if not owners & removed else "removes every organization owner"
        raise PlanRefusedError(
            f"{printable(source)}: the plan {what} ({printable(', '.join(sorted(owners)))}); an organization "
            "keeps at least one owner. Nothing was written."
        )
