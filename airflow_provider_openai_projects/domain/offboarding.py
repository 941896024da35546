"""Offboarding a person, free of Airflow: discover, plan the hand-over, report keys, remove.

The phases of :class:`~airflow_provider_openai_projects.operators.offboarding.OffboardUserOperator`
as named steps over a client (the hook or :class:`~...client.OpenAIAdminClient`: both have
the same methods), so the org file's roster (``people``) offboards a leaver exactly as the
operator does.

- :meth:`OffboardingSteps.plan` runs every read and check (refusals included) and returns
  the :class:`Offboarding` state; it never writes.
- :meth:`OffboardingSteps.carry_out` makes the writes of a planned :class:`Offboarding`:
  hand over, delete invites, leave groups, unassign roles, remove. A 404 (already gone) is
  success; a lost response of the successor's add is reconciled by looking again.

There is no "projects of a user" endpoint (docs/design.md, fact 10): memberships are found
by listing every active project's users, once each. Everything is read and checked before
the first write, so a refusal (a sole-owned project without a successor, a successor who
is not an organization member, a project reachable only through a SCIM-managed group)
changes nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from airflow_provider_openai_projects.client.errors import InvalidInputError, NotFoundError, OpenAIAdminError
from airflow_provider_openai_projects.domain.change_log import Log, log_change
from airflow_provider_openai_projects.domain.emails import same_email
from airflow_provider_openai_projects.domain.idempotency import create_once
from airflow_provider_openai_projects.domain.people import describe_person, find_project_user

if TYPE_CHECKING:
    from airflow_provider_openai_projects.client.resources import AdminMethods
    from airflow_provider_openai_projects.client.types import Invite, ProjectUser, User

#: A successor as the caller names them: ``("email" | "user_id", value)``.
Successor = tuple[str, str]


class OffboardingRefusedError(OpenAIAdminError):
    """The offboarding cannot be done as asked; nothing was changed (the message says why)."""


@dataclass
class Offboarding:
    """What one offboarding run found and plans, phase after phase; :meth:`report` is its result."""

    #: ``user <id>`` or the quoted email, as the caller named the person (for messages).
    person: str
    user: User | None
    user_id: str | None
    email: str | None
    dry_run: bool
    invites: list[Invite]
    memberships: list[dict[str, Any]] = field(default_factory=list)
    #: Each active project's users, as listed once (project id -> users).
    project_users: dict[str, list[ProjectUser]] = field(default_factory=dict)
    successor: dict[str, Any] | None = None
    successor_changes: list[dict[str, Any]] = field(default_factory=list)
    api_keys: list[dict[str, Any]] = field(default_factory=list)
    removed_from_projects: list[str] = field(default_factory=list)
    removed_from_organization: bool = False
    #: Every active project listed (id -> name), for the projects reached through groups.
    project_names: dict[str, str | None] = field(default_factory=dict)
    #: The person's groups: ``{group_id, group_name, scim_managed}``.
    groups: list[dict[str, Any]] = field(default_factory=list)
    #: Projects the person reaches through a group: ``{project_id, project_name, group_ids, direct_member}``.
    projects_through_groups: list[dict[str, Any]] = field(default_factory=list)
    groups_left: list[dict[str, Any]] = field(default_factory=list)
    #: SCIM-managed groups the person stays in (only when staying in the organization; none grants a project).
    groups_kept: list[dict[str, Any]] = field(default_factory=list)
    roles_unassigned: list[dict[str, Any]] = field(default_factory=list)
    projects_still_reachable: list[str] = field(default_factory=list)

    def to_plan(self) -> dict[str, Any]:
        """What :meth:`OffboardingSteps.carry_out` needs, JSON-able (for a saved plan): the
        planned writes, and the keys that stop working (ids, names and redacted values only;
        no ``last_used_at``, which changes while a plan waits for approval)."""
        return {
            "person": self.person,
            "user_id": self.user_id if self.user is not None else None,
            "email": self.email,
            "invites": [{"id": i["id"], "email": i.get("email")} for i in self.invites],
            "memberships": self.memberships,
            "successor": self.successor,
            "successor_changes": self.successor_changes,
            "api_keys": [{k: v for k, v in key.items() if k != "last_used_at"} for key in self.api_keys],
            "groups_left": self.groups_left,
            "groups_kept": self.groups_kept,
            "roles_unassigned": self.roles_unassigned,
        }

    @classmethod
    def from_plan(cls, data: dict[str, Any]) -> Offboarding:
        """The state :meth:`to_plan` wrote, ready for :meth:`OffboardingSteps.carry_out`."""
        user_id = data.get("user_id")
        user: Any = {"id": user_id, "email": data.get("email")} if user_id is not None else None
        return cls(
            person=str(data["person"]),
            user=user,
            user_id=user_id,
            email=data.get("email"),
            dry_run=False,
            invites=list(data.get("invites") or []),
            memberships=list(data.get("memberships") or []),
            successor=data.get("successor"),
            successor_changes=list(data.get("successor_changes") or []),
            api_keys=list(data.get("api_keys") or []),
            removed_from_projects=[m["project_id"] for m in data.get("memberships") or []],
            groups_left=list(data.get("groups_left") or []),
            groups_kept=list(data.get("groups_kept") or []),
            roles_unassigned=list(data.get("roles_unassigned") or []),
        )

    @property
    def found(self) -> bool:
        return self.user is not None or bool(self.invites)

    def report(self) -> dict[str, Any]:
        return {
            "user_id": self.user_id,
            "email": self.email,
            "found": self.found,
            "dry_run": self.dry_run,
            "memberships": self.memberships,
            "successor_owner": self.successor,
            "successor_changes": self.successor_changes,
            "api_keys": self.api_keys,
            "invites_deleted": [i["id"] for i in self.invites],
            "removed_from_projects": self.removed_from_projects,
            "removed_from_organization": self.removed_from_organization,
            "groups": self.groups,
            "projects_through_groups": self.projects_through_groups,
            "groups_left": self.groups_left,
            "groups_kept": self.groups_kept,
            "roles_unassigned": self.roles_unassigned,
            "projects_still_reachable": self.projects_still_reachable,
        }


class OffboardingSteps:
    """The offboarding's steps over ``client`` (a client or the hook), logging to ``log``.

    :param remove_from_organization: remove the person from the organization (one
        ``delete_user``) or only from each project, group and direct role.
    """

    def __init__(self, client: AdminMethods, log: Log, *, remove_from_organization: bool = True) -> None:
        self.client = client
        self.log = log
        self.remove_from_organization = remove_from_organization
        self.writes = 0
        """Write requests sent by :meth:`carry_out` (404s included)."""

    def _write(self, method: Callable[..., Any]) -> Callable[..., Any]:
        """``method``, counted in :attr:`writes` when called."""

        def counted(*args: Any, **kwargs: Any) -> Any:
            self.writes += 1
            return method(*args, **kwargs)

        return counted

    def _change(self, message: str, *args: Any) -> None:
        log_change(self.log, message, *args)

    # -- the two halves -------------------------------------------------------------------

    def plan(
        self, user_id: str | None, email: str | None, successor: Successor | None, *, dry_run: bool = False
    ) -> Offboarding:
        """Every read and check, in the operator's order; raises before any write.

        :raises InvalidInputError: a sole-owned project without a usable successor, or the
            organization's only owner to be removed from it.
        :raises OffboardingRefusedError: a project still reachable through a SCIM-managed group.
        """
        offboarding = self.discover(user_id, email, dry_run=dry_run)
        if not offboarding.found:
            return offboarding
        self.find_memberships(offboarding)
        self.find_groups(offboarding)
        self.find_projects_through_groups(offboarding)
        self.find_direct_roles(offboarding)
        self.require_an_organization_owner_remains(offboarding)
        self.plan_access_removal(offboarding)
        self.plan_handover(offboarding, successor)
        self.report_keys(offboarding)
        return offboarding

    def carry_out(self, offboarding: Offboarding) -> None:
        """The writes of a planned offboarding: hand over, then remove."""
        self.hand_over(offboarding)
        self.delete_invites(offboarding)
        self.leave_groups(offboarding)
        self.unassign_roles(offboarding)
        self.remove(offboarding)

    # -- reads ----------------------------------------------------------------------------

    def _find_user(self, user_id: str | None, email: str | None) -> User | None:
        if user_id is not None:
            try:
                return self.client.get_user(user_id)
            except NotFoundError:
                return None
        return next(
            (u for u in self.client.list_users(emails=[email or ""]) if same_email(u.get("email"), email)), None
        )

    def _pending_invites(self, email: str | None) -> list[Invite]:
        if email is None:
            return []
        return [
            i for i in self.client.list_invites() if i.get("status") == "pending" and same_email(i.get("email"), email)
        ]

    def _resolve_successor(
        self, successor: tuple[str, str], project_users: dict[str, list[ProjectUser]]
    ) -> dict[str, Any] | None:
        """``{"user_id", "email"}`` of the successor if an organization member, else ``None``.

        A member of any listed project is an organization member: no request then.
        """
        kind, value = successor
        for users in project_users.values():
            for member in users:
                if (kind == "user_id" and member.get("id") == value) or (
                    kind == "email" and same_email(member.get("email"), value)
                ):
                    return {"user_id": member["id"], "email": member.get("email")}
        user: User | None
        if kind == "user_id":
            try:
                user = self.client.get_user(value)
            except NotFoundError:
                user = None
        else:
            user = next((u for u in self.client.list_users(emails=[value]) if same_email(u.get("email"), value)), None)
        return {"user_id": user["id"], "email": user.get("email")} if user is not None else None

    # -- discover (reads only) ------------------------------------------------------------

    def discover(self, user_id: str | None, email: str | None, *, dry_run: bool = False) -> Offboarding:
        """The person (``None`` if already gone) and their pending invites."""
        user = self._find_user(user_id, email)
        address = (user.get("email") if user is not None else None) or email
        return Offboarding(
            person=describe_person(user_id, email),
            user=user,
            user_id=user["id"] if user is not None else user_id,
            email=address,
            dry_run=dry_run,
            invites=self._pending_invites(address),
        )

    def find_memberships(self, offboarding: Offboarding) -> None:
        """One users list per active project (no "projects of a user" endpoint)."""
        if offboarding.user is None:
            return
        person_id = offboarding.user_id
        for project in self.client.list_projects():
            offboarding.project_names[project["id"]] = project.get("name")
            users = self.client.list_project_users(project["id"])
            offboarding.project_users[project["id"]] = users
            membership = next((u for u in users if u.get("id") == person_id), None)
            if membership is None:
                continue
            others_own = any(u.get("role") == "owner" and u.get("id") != person_id for u in users)
            offboarding.memberships.append(
                {
                    "project_id": project["id"],
                    "project_name": project.get("name"),
                    "role": membership.get("role"),
                    "sole_owner": membership.get("role") == "owner" and not others_own,
                }
            )

    # -- groups and roles (reads only) ------------------------------------------------------

    def find_groups(self, offboarding: Offboarding) -> None:
        """The person's groups: one groups list (1000 a page), then one members list per group.

        There is no "groups of a user" endpoint, and a role's ``assignment_sources`` name
        only the groups that hold a role: every group's members are read.
        """
        if offboarding.user is None:
            return
        for group in self.client.list_groups():
            members = self.client.list_group_users(group["id"])
            if any(m.get("id") == offboarding.user_id for m in members):
                offboarding.groups.append(
                    {
                        "group_id": group["id"],
                        "group_name": group.get("name"),
                        "scim_managed": bool(group.get("is_scim_managed")),
                    }
                )

    def find_projects_through_groups(self, offboarding: Offboarding) -> None:
        """One project-groups list per active project, only when the person is in a group."""
        if not offboarding.groups:
            return
        mine = {g["group_id"] for g in offboarding.groups}
        direct = {m["project_id"] for m in offboarding.memberships}
        for project_id, name in offboarding.project_names.items():
            via = [g["group_id"] for g in self.client.list_project_groups(project_id) if g["group_id"] in mine]
            if via:
                offboarding.projects_through_groups.append(
                    {
                        "project_id": project_id,
                        "project_name": name,
                        "group_ids": via,
                        "direct_member": project_id in direct,
                    }
                )

    def find_direct_roles(self, offboarding: Offboarding) -> None:
        """The organization roles assigned to the person directly (one roles list, 1000 a page).

        A role held only through a group is the group's: it is not unassigned (it goes with
        the group when the person leaves it). A role without ``assignment_sources`` counts
        as direct: unassigning a role that is not is answered 404, which is success.
        """
        if offboarding.user is None or offboarding.user_id is None:
            return
        for role in self.client.list_user_roles(offboarding.user_id):
            sources = role.get("assignment_sources")
            if sources is None or any(s.get("principal_type") == "user" for s in sources):
                offboarding.roles_unassigned.append({"role_id": role["id"], "role_name": role.get("name")})

    def plan_access_removal(self, offboarding: Offboarding) -> None:
        """What the removal takes away; refuses, before any write, to leave a project reachable.

        Leaving the organization (one ``delete_user``) takes the person out of every group and
        drops their role assignments. Staying in it, they leave each group that is not
        SCIM-managed. A SCIM-managed group cannot be left through the API (the identity
        provider owns its members): one that gives access to a project fails the task, naming
        the groups and projects, before any write (a partial offboarding that looks done is
        worse for a security team than a clear refusal); one that gives no project access is
        kept and reported in ``groups_kept``.
        """
        if offboarding.user is None:
            return
        offboarding.removed_from_organization = self.remove_from_organization
        offboarding.removed_from_projects = [m["project_id"] for m in offboarding.memberships]
        scim = {g["group_id"] for g in offboarding.groups if g["scim_managed"]}
        kept = set() if self.remove_from_organization else scim
        offboarding.groups_left = [g for g in offboarding.groups if g["group_id"] not in kept]
        offboarding.groups_kept = [g for g in offboarding.groups if g["group_id"] in kept]
        still = [p for p in offboarding.projects_through_groups if kept.intersection(p["group_ids"])]
        offboarding.projects_still_reachable = [p["project_id"] for p in still]
        if still:
            blocking = {g for p in still for g in p["group_ids"]} & kept
            groups = ", ".join(
                f"{g['group_name']!r} ({g['group_id']})" for g in offboarding.groups_kept if g["group_id"] in blocking
            )
            projects = ", ".join(f"{p['project_id']} ({p['project_name']!r})" for p in still)
            raise OffboardingRefusedError(
                f"{offboarding.person} reaches {len(still)} project(s) through SCIM-managed group(s) {groups}: "
                f"{projects}. The identity provider manages these groups' members; the API cannot change them. "
                "Remove the person from these groups in the identity provider (or offboard with "
                "remove_from_organization=True), then run again. Nothing was changed."
            )
        if scim and self.remove_from_organization:
            self.log.warning(
                "%s is in SCIM-managed group(s) %s: remove them in the identity provider too, or it may "
                "provision them again.",
                offboarding.person,
                sorted(scim),
            )

    def require_an_organization_owner_remains(self, offboarding: Offboarding) -> None:
        """The API would refuse removing the last owner after our other writes: refuse first."""
        user = offboarding.user
        if user is None or not self.remove_from_organization or user.get("role") != "owner":
            return
        owners = [u for u in self.client.list_users() if u.get("role") == "owner" and u.get("id") != user["id"]]
        if not owners:
            raise InvalidInputError(
                "remove_from_organization",
                f"{offboarding.person} is the organization's only owner and cannot be removed from it; make "
                "another member an organization owner first. Nothing was changed.",
            )

    # -- hand over (planned here, checked before any write) -------------------------------

    def plan_handover(self, offboarding: Offboarding, successor: tuple[str, str] | None) -> None:
        """Sole-owned projects need a successor who is an organization member."""
        sole = [m for m in offboarding.memberships if m["sole_owner"]]
        if not sole:
            return
        named = ", ".join(f"{m['project_id']} ({m['project_name']!r})" for m in sole)
        if successor is None:
            raise InvalidInputError(
                "successor_owner",
                f"{offboarding.person} is the only owner of {len(sole)} project(s): {named}. Give successor_owner "
                "(an organization member's email or user id) to make them owner there first. Nothing was changed.",
            )
        new_owner = self._resolve_successor(successor, offboarding.project_users)
        if new_owner is None:
            raise InvalidInputError(
                "successor_owner",
                f"{successor[1]!r} is not a member of the organization; invite them first or choose another "
                f"successor for {named}. Nothing was changed.",
            )
        if new_owner["user_id"] == offboarding.user_id:
            raise InvalidInputError("successor_owner", "must not be the person being offboarded")
        offboarding.successor = new_owner
        for m in sole:
            already_member = any(
                u.get("id") == new_owner["user_id"] for u in offboarding.project_users[m["project_id"]]
            )
            offboarding.successor_changes.append(
                {
                    "project_id": m["project_id"],
                    "project_name": m["project_name"],
                    "user_id": new_owner["user_id"],
                    "action": "role_updated" if already_member else "added",
                }
            )

    # -- report keys ----------------------------------------------------------------------

    def report_keys(self, offboarding: Offboarding) -> None:
        """The person's own keys in the projects they reach, which stop working (redacted only)."""
        projects = [(m["project_id"], m["project_name"]) for m in offboarding.memberships]
        projects += [
            (p["project_id"], p["project_name"]) for p in offboarding.projects_through_groups if not p["direct_member"]
        ]
        for project_id, project_name in projects:
            for key in self.client.list_project_api_keys(project_id):
                owner = key.get("owner") or {}
                if owner.get("type") == "user" and (owner.get("user") or {}).get("id") == offboarding.user_id:
                    offboarding.api_keys.append(
                        {
                            "id": key["id"],
                            "name": key.get("name"),
                            "redacted_value": key.get("redacted_value"),
                            "last_used_at": key.get("last_used_at"),
                            "project_id": project_id,
                            "project_name": project_name,
                        }
                    )
        keys = offboarding.api_keys
        if keys:
            self.log.info(
                "%d API key(s) owned by %s will stop working: %s",
                len(keys),
                offboarding.person,
                [k["id"] for k in keys],
            )

    def log_dry_run(self, offboarding: Offboarding) -> None:
        self.log.info(
            "DRY RUN, nothing changed. Would: make %s owner of %s; delete invites %s; leave groups %s; "
            "unassign roles %s; remove %s from %s%s.",
            (offboarding.successor or {}).get("user_id"),
            [c["project_id"] for c in offboarding.successor_changes],
            [i["id"] for i in offboarding.invites],
            [g["group_id"] for g in offboarding.groups_left],
            [r["role_id"] for r in offboarding.roles_unassigned],
            offboarding.person,
            offboarding.removed_from_projects,
            " and from the organization" if offboarding.removed_from_organization else "",
        )

    # -- writes: hand over, then remove -----------------------------------------------------

    def hand_over(self, offboarding: Offboarding) -> None:
        for change in offboarding.successor_changes:
            project_id, successor_id = change["project_id"], change["user_id"]
            if change["action"] == "role_updated":
                self._write(self.client.update_project_user)(project_id, successor_id, role="owner")
            else:
                self._add_owner(project_id, successor_id)
            self._change(
                "made successor %s owner of project %s (%r, %s)",
                successor_id,
                project_id,
                change["project_name"],
                change["action"],
            )

    def delete_invites(self, offboarding: Offboarding) -> None:
        for invite in offboarding.invites:
            try:
                self._write(self.client.delete_invite)(invite["id"])
            except NotFoundError:
                self.log.info("Invite %s was already gone.", invite["id"])
            else:
                self._change("deleted pending invite %s for %r", invite["id"], invite.get("email"))

    def leave_groups(self, offboarding: Offboarding) -> None:
        """One removal per group left; 404 (already gone) is success. None when leaving the
        organization: its ``delete_user`` takes the person out of every group."""
        person, person_id = offboarding.person, offboarding.user_id
        if self.remove_from_organization or person_id is None:
            return
        for group in offboarding.groups_left:
            try:
                self._write(self.client.remove_group_user)(group["group_id"], person_id)
            except NotFoundError:
                self.log.info("%s was already gone from group %r.", person, group["group_name"])
            else:
                self._change(
                    "removed %s (%s) from group %r (%s)", person, person_id, group["group_name"], group["group_id"]
                )

    def unassign_roles(self, offboarding: Offboarding) -> None:
        """One unassignment per direct role; 404 (already gone) is success. None when leaving
        the organization: its ``delete_user`` drops the person's assignments."""
        person, person_id = offboarding.person, offboarding.user_id
        if self.remove_from_organization or person_id is None:
            return
        for role in offboarding.roles_unassigned:
            try:
                self._write(self.client.unassign_user_role)(person_id, role["role_id"])
            except NotFoundError:
                self.log.info("Role %r was already unassigned from %s.", role["role_name"], person)
            else:
                self._change(
                    "unassigned role %r (%s) from %s (%s)", role["role_name"], role["role_id"], person, person_id
                )

    def remove(self, offboarding: Offboarding) -> None:
        """One ``delete_user``, or one removal per membership; 404 (already gone) is success."""
        person, person_id = offboarding.person, offboarding.user_id
        if offboarding.user is None or person_id is None:
            return
        if self.remove_from_organization:
            try:
                self._write(self.client.delete_user)(person_id)
            except NotFoundError:
                self.log.info("%s was already gone from the organization.", person)
            else:
                self._change("removed %s (%s) from the organization", person, person_id)
            return
        for m in offboarding.memberships:
            try:
                self._write(self.client.remove_project_user)(m["project_id"], person_id)
            except NotFoundError:
                self.log.info("%s was already gone from project %s.", person, m["project_id"])
            else:
                self._change("removed %s (%s) from project %s", person, person_id, m["project_id"])

    def _add_owner(self, project_id: str, user_id: str) -> None:
        """Add the successor as owner; a lost response is reconciled by looking again."""
        create_once(
            lambda: self._write(self.client.add_project_user)(project_id, role="owner", user_id=user_id),
            lambda: find_project_user(self.client.list_project_users(project_id), user_id=user_id),
            what=f"membership of successor {user_id} in project {project_id}",
        )
