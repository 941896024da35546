"""The ``people`` family's plan: the changes that make the organization match the roster (reads only, through the run's
:class:`~..reader.LiveReader`, each list once).

- **Joiner** (active, not a member, not invited): one invite with ``organization_role`` and
  their team's project roles; added to the team's groups by a later run, once they accepted
  (an invite still pending is reported as pending).
- **Member** (active, in the organization): added to the team's projects (with the team's
  role) and groups they are not in; removed from the projects and groups that some team
  grants but theirs does not (a **mover**; destructive). The roles of memberships they
  keep are not changed, nor their organization role. A mover who is a project's only
  owner stays there, and is reported.
- **Leaver** (a ``leaver`` status), in the organization or invited: offboarded with the
  steps of :class:`~...domain.offboarding.OffboardingSteps`, as ``OffboardUserOperator``
  does; their manager (``manager`` column, who must be an active person of the roster and
  an organization member) takes over the projects they own alone. One destructive change
  each, risk ``high``. More leavers than ``max_leavers``: the whole plan is refused.
- Anyone else is untouched: a status that is neither active nor leaver, and members of the
  teams' projects or groups that the roster does not list (reported: a person who vanished
  from the export is never offboarded for that alone).

Changes carry ``target["kind"]`` (``joiner``/``mover``/``leaver``), ``target["row"]``,
``target["risk"]`` (``low``, ``medium`` for a mover's removal, ``high`` for an offboarding)
and ``target["objects"]`` (objects the change affects), for the plan's report and caps.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, cast

from airflow_provider_openai_projects.client.errors import InvalidInputError
from airflow_provider_openai_projects.domain.display import printable
from airflow_provider_openai_projects.domain.emails import same_email, skeleton
from airflow_provider_openai_projects.domain.offboarding import OffboardingRefusedError, OffboardingSteps
from airflow_provider_openai_projects.orgfile.changes import PHASE_ADD_MEMBER, PHASE_INVITE, PHASE_REMOVE, Change
from airflow_provider_openai_projects.orgfile.errors import OrgFileError, format_path
from airflow_provider_openai_projects.orgfile.handlers._rbac import (
    PHASE_GROUP_ADD,
    PHASE_GROUP_REMOVE,
    group_named,
    group_users,
    groups,
    project_groups,
)
from airflow_provider_openai_projects.orgfile.handlers.base import PlanContext
from airflow_provider_openai_projects.orgfile.handlers.projects import is_active, oldest_active
from airflow_provider_openai_projects.orgfile.people.config import FAMILY, SECTION, PeopleSpec
from airflow_provider_openai_projects.orgfile.people.roster import Person, Roster
from airflow_provider_openai_projects.orgfile.people.source import RosterError
from airflow_provider_openai_projects.orgfile.reader import LiveReader

if TYPE_CHECKING:
    from airflow_provider_openai_projects.client.resources import AdminMethods

#: After the movers' removals (60, 61), before archives (70): an offboarding's hand-over
#: adds the successor first, then removes the leaver.
PHASE_OFFBOARD = 62
_SHOWN = 20
"""At most this many people are named in one warning line."""

log = logging.getLogger(__name__)


class ReaderClient:
    """The reads :class:`OffboardingSteps` makes, served by the plan's reader: each list once
    per plan for every leaver, and part of the plan's fingerprint. No write method."""

    def __init__(self, reader: LiveReader) -> None:
        self.reader = reader

    def list_users(self, emails: list[str] | None = None) -> list[dict[str, Any]]:
        users = self.reader.users()
        if emails is None:
            return users
        wanted = {e.lower() for e in emails}
        return [u for u in users if str(u.get("email") or "").lower() in wanted]

    def list_invites(self) -> list[dict[str, Any]]:
        return self.reader.invites()

    def list_projects(self) -> list[dict[str, Any]]:
        return [p for p in self.reader.projects() if is_active(p)]

    def list_project_users(self, project_id: str) -> list[dict[str, Any]]:
        return self.reader.project_users(project_id)

    def list_groups(self) -> list[dict[str, Any]]:
        return groups(self.reader)

    def list_group_users(self, group_id: str) -> list[dict[str, Any]]:
        return group_users(self.reader, group_id)

    def list_project_groups(self, project_id: str) -> list[dict[str, Any]]:
        return project_groups(self.reader, project_id)

    def list_user_roles(self, user_id: str) -> list[dict[str, Any]]:
        client = self.reader.client
        return self.reader.read(
            f"user_roles/{user_id}", ("id", "name", "assignment_sources"), lambda: list(client.list_user_roles(user_id))
        )

    def list_project_api_keys(self, project_id: str) -> list[dict[str, Any]]:
        client = self.reader.client
        return self.reader.read(
            f"project_api_keys/{project_id}",
            ("id", "name", "redacted_value", "owner"),
            lambda: list(client.list_project_api_keys(project_id)),
        )


@dataclass
class _Targets:
    """The live projects and groups the teams grant: name -> live object, or ``None`` when
    the plan creates it (declared in the file's ``projects``/``groups``)."""

    projects: dict[str, dict[str, Any] | None] = field(default_factory=dict)
    groups: dict[str, dict[str, Any] | None] = field(default_factory=dict)


def plan_people(ctx: PlanContext, spec: PeopleSpec, roster: Roster) -> list[Change]:
    """Every change of the ``people`` section (module docstring); reads only.

    :raises RosterError: a look-alike of a member, a leaver whose projects have no usable
        successor (naming the row and the manager column).
    :raises OrgFileError: a team's project or group that does not exist; too many leavers; a
        leaver the file's ``projects.<name>.members`` or ``organization.members`` lists.
    """
    _refuse_listed_leavers(ctx, roster)
    targets = _targets(ctx, spec)
    users = {str(u.get("email") or "").lower(): u for u in ctx.reader.users() if u.get("email")}
    _refuse_live_look_alikes(roster, users, spec.columns["email"])
    changes: list[Change] = []
    for person in roster.of("active"):
        changes.extend(_plan_active(ctx, spec, person, users, targets))
    changes.extend(_plan_leavers(ctx, spec, roster, users))
    _refuse_ownerless_projects(ctx, spec, roster, changes)
    for person in roster.of("other"):
        ctx.warnings.append(
            f"people: row {person.row}: status {person.raw_status!r} is neither active nor leaver: "
            f"{printable(person.email)} is left untouched"
        )
    _report_not_in_roster(ctx, spec, roster, targets)
    return changes


# -- what the teams grant ---------------------------------------------------------------------


def _targets(ctx: PlanContext, spec: PeopleSpec) -> _Targets:
    """Resolve every project and group a team grants; one that exists nowhere is an error."""
    targets = _Targets()
    live_projects = ctx.reader.projects()
    for name, teams in spec.managed_projects.items():
        if name in ctx.projects:
            targets.projects[name] = ctx.projects[name]
            continue
        in_file = (ctx.spec.document.get("projects") or {}).get(name)
        project = oldest_active(live_projects, name) if in_file is None else None
        if project is None:
            why = "the file archives it" if in_file is not None else "no active project has this name"
            raise OrgFileError(
                ctx.spec.source, format_path([SECTION, "teams", teams[0], "projects", name]), f"unknown project: {why}"
            )
        targets.projects[name] = project
        ctx.projects[name] = project  # the organization handler's invites resolve it too
    declared: dict[str, Any] = ctx.spec.document.get("groups") or {}
    for name, teams in spec.managed_groups.items():
        group = group_named(ctx.reader, name)
        created = name in declared and (declared[name] or {}).get("absent") is not True
        if group is None and not created:
            raise OrgFileError(
                ctx.spec.source,
                format_path([SECTION, "teams", teams[0], "groups"]),
                f"no group is named {name!r} (declare it under groups, or create it)",
            )
        targets.groups[name] = group
    return targets


def _refuse_live_look_alikes(roster: Roster, users: dict[str, dict[str, Any]], column: str) -> None:
    """A roster email that is not a member's but looks like one (same skeleton) is an error."""
    for email in users:
        if email in roster.people:
            continue
        alike = roster.skeletons.get(skeleton(email))
        if alike is not None:
            person = roster.people[alike]
            raise RosterError(
                roster.name,
                f"{printable(alike)!r} looks like organization member {printable(email)!r} but is not the same "
                "address (a look-alike is someone else, or no one)",
                row=person.row,
                column=column,
            )


# -- active people: joiners and movers ------------------------------------------------------------


def _plan_active(
    ctx: PlanContext, spec: PeopleSpec, person: Person, users: dict[str, dict[str, Any]], targets: _Targets
) -> list[Change]:
    """A joiner's invite, or a member's adds and removals in the teams' projects and groups."""
    team = spec.teams.get(person.team or "")
    wanted_projects = dict(team.projects) if team is not None else {}
    user = users.get(person.email)
    if user is None:
        return _plan_joiner(ctx, spec, person, wanted_projects, targets)
    items = _project_moves(ctx, person, str(user["id"]), wanted_projects, targets)
    items += _group_moves(ctx, person, str(user["id"]), list(team.groups) if team is not None else [], targets)
    kind = "mover" if any(item["action"] == "remove" for item in items) else "joiner"
    items.sort(key=lambda item: item["action"] == "remove")  # adds first, as planned
    return [
        Change(
            FAMILY,
            item["action"],
            item["where"],
            person.email,
            item["before"],
            item["after"],
            item["action"] == "remove",
            item["phase"],
            target={
                **item["target"],
                "kind": kind,
                "row": person.row,
                "team": person.team,
                "risk": "medium" if item["action"] == "remove" else "low",
                "objects": 1,
            },
        )
        for item in items
    ]


def _project_moves(
    ctx: PlanContext, person: Person, user_id: str, wanted: dict[str, str], targets: _Targets
) -> list[dict[str, Any]]:
    """Adds to the team's projects, removals from the other teams' (never a project's only owner)."""
    items: list[dict[str, Any]] = []
    for name, project in targets.projects.items():
        members = ctx.reader.project_users(project["id"]) if project is not None else []
        member = next((m for m in members if m.get("id") == user_id), None)
        where = {"project_id": project["id"], "user_id": user_id} if project is not None else {"user_id": user_id}
        if name in wanted and member is None:
            items.append(_item("add", name, None, {"role": wanted[name]}, PHASE_ADD_MEMBER, where))
        elif name not in wanted and member is not None:
            owners = [m for m in members if m.get("role") == "owner"]
            if member.get("role") == "owner" and len(owners) == 1:
                ctx.warnings.append(
                    f"people: row {person.row}: {printable(person.email)} left the team of project {name!r} but is "
                    "its only owner: kept there (make someone else owner)"
                )
                continue
            items.append(_item("remove", name, {"role": member.get("role")}, None, PHASE_REMOVE, where))
    return items


def _group_moves(
    ctx: PlanContext, person: Person, user_id: str, wanted: list[str], targets: _Targets
) -> list[dict[str, Any]]:
    """Adds to the team's groups, removals from the other teams' (a SCIM-managed group: reported)."""
    items: list[dict[str, Any]] = []
    for name, group in targets.groups.items():
        members = group_users(ctx.reader, group["id"]) if group is not None else []
        inside = any(m.get("id") == user_id for m in members)
        if (name in wanted) == inside:
            continue
        if group is not None and group.get("is_scim_managed"):
            ctx.warnings.append(
                f"people: row {person.row}: group {name!r} is SCIM-managed: {printable(person.email)} must be "
                f"{'removed from' if inside else 'added to'} it in the identity provider"
            )
            continue
        where = {"group": name, "user_id": user_id, **({"group_id": group["id"]} if group is not None else {})}
        if inside:
            items.append(_item("remove", f"group {name}", {"member": True}, None, PHASE_GROUP_REMOVE, where))
        else:
            items.append(_item("add", f"group {name}", None, {"member": True}, PHASE_GROUP_ADD, where))
    return items


def _item(
    action: str, where: str, before: dict[str, Any] | None, after: dict[str, Any] | None, phase: int, target: Any
) -> dict[str, Any]:
    return {"action": action, "where": where, "before": before, "after": after, "phase": phase, "target": target}


def _plan_joiner(
    ctx: PlanContext, spec: PeopleSpec, person: Person, wanted_projects: dict[str, str], targets: _Targets
) -> list[Change]:
    """One invite with the organization role and the team's project roles; none when one is
    pending (reported), or when the file's other sections invite them already (merged)."""
    if ctx.reader.pending_invite(person.email) is not None:
        ctx.pending.append(
            {
                "where": "organization",
                "what": person.email,
                "role": spec.organization_role,
                "status": "joiner: invite pending",
            }
        )
        return []
    if person.email in ctx.invites_needed or person.email in (ctx.spec.organization_members or {}):
        # The file's other sections invite them too (the organization handler, planned after
        # this one, sends the invites it collects): one invite carries the team's roles as well.
        for name, role in wanted_projects.items():
            ctx.invites_needed.setdefault(person.email, {}).setdefault(name, role)
        if person.email not in (ctx.spec.organization_members or {}):
            ctx.org_roles.setdefault(person.email, spec.organization_role)
        ctx.pending.append(
            {
                "where": "organization",
                "what": person.email,
                "role": spec.organization_role,
                "status": "joiner: invited by the organization section's invite",
            }
        )
        return []
    grants = [
        {"name": name, "role": role, "project_id": (targets.projects.get(name) or {}).get("id")}
        for name, role in wanted_projects.items()
    ]
    return [
        Change(
            FAMILY,
            "invite",
            "organization",
            person.email,
            None,
            {"role": spec.organization_role, "projects": dict(wanted_projects)},
            False,
            PHASE_INVITE,
            target={
                "projects": grants,
                "kind": "joiner",
                "row": person.row,
                "team": person.team,
                "risk": "low",
                "objects": 1 + len(grants),
            },
        )
    ]


# -- leavers ------------------------------------------------------------------------------------


def _plan_leavers(ctx: PlanContext, spec: PeopleSpec, roster: Roster, users: dict[str, dict[str, Any]]) -> list[Change]:
    """One offboarding per leaver still in the organization or invited; too many: refused."""
    leaving = [p for p in roster.of("leaver") if p.email in users or ctx.reader.pending_invite(p.email) is not None]
    if len(leaving) > spec.max_leavers:
        raise OrgFileError(
            ctx.spec.source,
            format_path([SECTION, "max_leavers"]),
            f"the roster marks {len(leaving)} members as leavers, more than max_leavers ({spec.max_leavers}): the "
            "whole plan is refused and nothing was written (a bad export? raise max_leavers if it is right)",
        )
    steps = OffboardingSteps(
        cast("AdminMethods", ReaderClient(ctx.reader)), log, remove_from_organization=spec.remove_from_organization
    )
    return [_offboarding(ctx, spec, roster, person, steps) for person in leaving]


def _offboarding(ctx: PlanContext, spec: PeopleSpec, roster: Roster, person: Person, steps: OffboardingSteps) -> Change:
    manager = roster.people.get(person.manager or "")
    successor = ("email", manager.email) if manager is not None and manager.status == "active" else None
    try:
        offboarding = steps.plan(None, person.email, successor, dry_run=True)
    except InvalidInputError as refused:
        if refused.field != "successor_owner":
            raise RosterError(
                roster.name, printable(refused.message), row=person.row, column=spec.columns["email"]
            ) from None
        raise RosterError(
            roster.name, _no_successor(person, manager), row=person.row, column=spec.columns["manager"]
        ) from None
    except OffboardingRefusedError as refused:
        raise RosterError(
            roster.name, printable(refused.message), row=person.row, column=spec.columns["email"]
        ) from None
    data = offboarding.to_plan()
    data["remove_from_organization"] = spec.remove_from_organization
    objects = (
        1
        + len(offboarding.memberships)
        + len(offboarding.groups_left)
        + len(offboarding.roles_unassigned)
        + len(offboarding.invites)
        + len(offboarding.successor_changes)
    )
    before = {
        "status": person.raw_status,
        "projects": sorted(str(m["project_name"]) for m in offboarding.memberships),
        "groups": sorted(str(g["group_name"]) for g in offboarding.groups_left),
        "handed_over_to": (offboarding.successor or {}).get("email"),
    }
    if offboarding.successor_changes:  # which projects the successor becomes owner of
        before["handed_over"] = sorted(str(c["project_name"]) for c in offboarding.successor_changes)
    # what else the apply does, shown to the approver when there is any (the plan carries it all)
    if offboarding.roles_unassigned and not spec.remove_from_organization:
        before["roles"] = sorted(str(r.get("role_name") or r["role_id"]) for r in offboarding.roles_unassigned)
    if offboarding.invites:
        before["invites"] = len(offboarding.invites)
    if not spec.remove_from_organization:
        before["stays_in_organization"] = True
    return Change(
        FAMILY,
        "remove",
        "organization",
        person.email,
        before,
        None,
        True,
        PHASE_OFFBOARD,
        target={"kind": "leaver", "row": person.row, "risk": "high", "objects": objects, "offboarding": data},
    )


def _refuse_ownerless_projects(ctx: PlanContext, spec: PeopleSpec, roster: Roster, changes: list[Change]) -> None:
    """Refuse, naming a row, a project every owner of which this plan removes (leavers and
    movers together) with no successor made owner there: each person alone leaves another
    owner, so no offboarding handed it over, and the project would be left with none."""
    removed: dict[str, dict[str, Change]] = {}  # project id -> user id -> the change removing them
    gained: dict[str, set[str]] = {}  # project id -> successors made owner there
    for change in changes:
        data = change.target.get("offboarding")
        if isinstance(data, dict):
            for membership in data.get("memberships") or []:
                removed.setdefault(str(membership["project_id"]), {})[str(data.get("user_id"))] = change
            for handed in data.get("successor_changes") or []:
                gained.setdefault(str(handed["project_id"]), set()).add(str(handed["user_id"]))
        elif change.action == "remove" and change.target.get("project_id") and change.target.get("user_id"):
            removed.setdefault(str(change.target["project_id"]), {})[str(change.target["user_id"])] = change
    names = {str(p["id"]): str(p.get("name")) for p in ctx.reader.projects()}
    for project_id, gone in removed.items():
        owners = {str(u["id"]): u for u in ctx.reader.project_users(project_id) if u.get("role") == "owner"}
        if not owners or set(owners) - set(gone) or gained.get(project_id, set()) - set(gone):
            continue
        last = max((gone[user_id] for user_id in owners), key=lambda change: int(change.target.get("row") or 0))
        emails = ", ".join(sorted(printable(str(u.get("email") or u["id"])) for u in owners.values()))
        raise RosterError(
            roster.name,
            f"project {printable(names.get(project_id, project_id))!r} would be left with no owner: its owners "
            f"({emails}) all leave it in this plan and none hands it over; make someone else its owner first",
            row=int(last.target.get("row") or 0) or None,
            column=spec.columns["email"],
        )


def _refuse_listed_leavers(ctx: PlanContext, roster: Roster) -> None:
    """Refuse, naming the member entry and the leaver's row, a leaver of the roster whom the
    file lists in ``projects.<name>.members``, ``organization.members`` or
    ``groups.<name>.members``: the people section offboards them, the entry adds them back,
    and each run would undo the last."""
    leavers = roster.of("leaver")
    if not leavers:
        return
    document = ctx.spec.document
    entries: list[tuple[list[object], str]] = [
        (["projects", name, "members", email], email)
        for name, project in (document.get("projects") or {}).items()
        for email in ((project or {}).get("members") or {})
    ]
    entries += [
        (["organization", "members", email], email)
        for email in ((document.get("organization") or {}).get("members") or {})
    ]
    entries += [
        (["groups", name, "members", index], email)
        for name, group in (document.get("groups") or {}).items()
        for index, email in enumerate((group or {}).get("members") or [])
    ]
    for path, email in entries:
        leaver = next((person for person in leavers if same_email(person.email, email)), None)
        if leaver is not None:
            raise OrgFileError(
                ctx.spec.source,
                format_path(path),
                f"{printable(email)} is a leaver in roster {roster.name} (row {leaver.row}): the people section "
                "offboards them and this entry adds them back, so each run would undo the last; remove the entry "
                "(or correct the roster)",
            )


def _no_successor(person: Person, manager: Person | None) -> str:
    """Why the leaver's sole-owned projects have no successor, naming the one value at fault."""
    who = printable(person.email)
    if person.manager is None:
        return f"{who} owns projects alone, and has no manager to hand them over to"
    shown = printable(person.manager)
    if manager is None:
        why = "has no row in the roster"
    elif manager.status == "leaver":
        why = f"(row {manager.row}) is also leaving"
    elif manager.status == "other":
        why = f"(row {manager.row}) is not active"
    else:
        why = "is not an organization member yet"
    return f"{who} owns projects alone, and their manager {shown!r} {why}: nothing can be handed over"


# -- people to look at ------------------------------------------------------------------------------


def _report_not_in_roster(ctx: PlanContext, spec: PeopleSpec, roster: Roster, targets: _Targets) -> None:
    """Members of the teams' projects and groups that the roster does not list: untouched."""
    named = _named_elsewhere(ctx)
    missing: set[str] = set()
    for project in targets.projects.values():
        if project is not None:
            missing.update(str(m.get("email") or "").lower() for m in ctx.reader.project_users(project["id"]))
    for group in targets.groups.values():
        if group is not None:
            missing.update(str(m.get("email") or "").lower() for m in group_users(ctx.reader, group["id"]))
    missing -= set(roster.people) | named | {""}
    if missing:
        shown = ", ".join(printable(e) for e in sorted(missing)[:_SHOWN])
        more = f" and {len(missing) - _SHOWN} more" if len(missing) > _SHOWN else ""
        ctx.warnings.append(
            f"people: {len(missing)} member(s) of the teams' projects or groups are not in the roster (untouched; "
            f"look at them): {shown}{more}"
        )


def _named_elsewhere(ctx: PlanContext) -> set[str]:
    """Everyone the file's other sections name (organization, project and group members)."""
    document = ctx.spec.document
    named = set((document.get("organization") or {}).get("members") or {})
    for raw in (document.get("projects") or {}).values():
        named |= set((raw or {}).get("members") or {})
    for raw in (document.get("groups") or {}).values():
        named |= set((raw or {}).get("members") or [])
    return {str(e).strip().lower() for e in named}
