"""Operator for offboarding a person: hand over sole-owned projects, report keys, leave
groups, unassign roles, remove.

There is no "projects of a user" endpoint (docs/design.md, fact 10): memberships are found
by listing every active project's users, once each. Everything is read and checked
before the first write, so a refusal (a sole-owned project without a successor, a
successor who is not an organization member) changes nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from airflow.sdk.exceptions import AirflowFailException

from airflow_provider_openai_projects.client.errors import InvalidInputError, NotFoundError
from airflow_provider_openai_projects.domain.people import (
    describe_person,
    find_project_user,
    person_email,
    require_person,
)
from airflow_provider_openai_projects.domain.validation import (
    refuse_near_match,
    require_bool,
    require_email,
    require_id,
)
from airflow_provider_openai_projects.operators.base import OpenAIAdminBaseOperator

if TYPE_CHECKING:
    from airflow.sdk import Context

    from airflow_provider_openai_projects.client.types import Invite, ProjectUser, User


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


class OffboardUserOperator(OpenAIAdminBaseOperator):
    """Offboard a person from the organization, idempotently.

    Steps (every read and check happens before the first write):

    1. Resolve the person: ``user_id`` with ``get_user`` (404 = already gone), or
       ``email`` with ``list_users(emails=[email])``; and their pending invites by email
       (an invite must not outlive the offboarding, so they are deleted too). With only a
       ``user_id`` of a person already gone the email is unknown and invites cannot be
       looked up. An ``email`` no member has exactly is checked against every member's
       (one more ``list_users``): a look-alike (Unicode skeleton, case, ``+tag``, trailing
       dot) fails the task before any write, naming the near match escaped, instead of
       succeeding with ``found=False`` while the real person keeps access.
    2. Memberships: every active project's users are listed once (archived projects are
       skipped); for each membership the role and whether the person is the project's
       only owner (no other user has the role ``owner``).
    3. Sole-owned projects: with ``successor_owner`` (an email or user id of an
       organization member, not the person) that person is made an owner there first
       (role updated if already a member, else added as owner). Without a successor the
       task refuses, naming the projects; a successor who is not an organization member
       is refused too. Both refusals happen before any write. The successor is looked up
       only when a sole-owned project needs one.
    3a. Groups and roles (docs/design.md, fact 14: project access is direct membership OR
       membership of a group added to the project): the person's groups (every group's
       members are read: there is no "groups of a user" endpoint), the projects those
       groups reach (one project-groups list per active project, only when the person is
       in a group), and the organization roles assigned to them directly (roles held
       through a group are the group's and are not touched). Planned before any write:
       leaving the organization takes them out of every group; staying in it, they leave
       every group that is not SCIM-managed. A SCIM-managed group cannot be left through
       the API: if one gives access to a project, the task fails before any write, naming
       the groups and projects (the identity provider must remove the person); one that
       gives no project access is kept (``groups_kept``).
    4. The person's own project API keys (owner type ``user``) in the projects they reach
       (directly or through a group) are reported: they stop working with the removal.
       Only ids, names, ``redacted_value`` and ``last_used_at`` are reported; never a key
       value.
    5. Removal: with ``remove_from_organization`` one ``delete_user`` (the API removes
       them from every project and group, drops their role assignments, and their keys
       stop working; the organization's only owner is refused before any write);
       otherwise one ``remove_group_user`` per group left, one ``unassign_user_role`` per
       direct role and one ``remove_project_user`` per membership, after which no project
       is reachable (``projects_still_reachable`` is empty). 404 (already gone) is success.

    Idempotent: a second run makes zero writes (the person is gone, or in no group, role
    or project any more; sole-owned projects already have the successor as owner). A
    person already gone with no pending invite is success with ``found=False`` and no
    write. After a lost response on any write a re-run converges. ``dry_run=True`` does
    all the reads and checks (refusals included) and no write, and returns the plan.

    API calls, when the person is an organization member (lists of at most 100 items,
    groups, group members and roles 1000): ``1`` (resolve) ``+ ceil(invites / 100)``
    (pending invites) ``+ ceil(P / 100)`` (active projects) ``+ P`` (one users list per
    active project) ``+ ceil(G / 1000) + G`` (groups, and each group's members) ``+ (P if
    the person is in a group, else 0)`` (each project's groups) ``+ 1`` (the person's
    roles) ``+ o`` (the organization's users, ``ceil(users / 100)``, only when an
    organization owner is to be removed from the organization: the last owner cannot be)
    ``+ s`` (successor lookup: 1 if a sole-owned project needs a successor who is in none
    of the listed projects, else 0) ``+ K`` (one API-keys list per project reached: M
    memberships plus the projects reached only through a group) ``+ writes``, where
    writes = successor changes + pending invites + (1 if ``remove_from_organization``
    else M + groups left + direct roles). A person already gone: 1 read, + the invite
    list when the email is known.

    :param email: the person's email; give exactly one of ``email`` and ``user_id`` (templated).
    :param user_id: the person's user id (templated).
    :param remove_from_organization: remove from the organization (default) or only from
        each project.
    :param successor_owner: email or user id of the organization member who becomes owner
        of the projects the person owns alone (templated).
    :param dry_run: read and plan only.
    :return: a JSON-able report: ``user_id``, ``email``, ``found``, ``dry_run``,
        ``memberships`` (``[{project_id, project_name, role, sole_owner}]``),
        ``successor_owner`` (``{user_id, email}`` or ``None``), ``successor_changes``
        (``[{project_id, project_name, user_id, action: "added"|"role_updated"}]``),
        ``api_keys`` (``[{id, name, redacted_value, last_used_at, project_id,
        project_name}]``), ``invites_deleted`` (invite ids), ``removed_from_projects``
        (project ids), ``removed_from_organization``, ``groups`` (``[{group_id,
        group_name, scim_managed}]``, the person's groups), ``projects_through_groups``
        (``[{project_id, project_name, group_ids, direct_member}]``), ``groups_left`` (as
        ``groups``), ``groups_kept`` (SCIM-managed groups with no project access, kept when
        staying in the organization), ``roles_unassigned`` (``[{role_id, role_name}]``,
        direct assignments only), ``projects_still_reachable`` (project ids; always empty
        in a report: a plan that would leave one fails). With ``dry_run`` the change fields
        describe what a real run would do. Never a key value.
    """

    template_fields: Sequence[str] = (
        *OpenAIAdminBaseOperator.template_fields,
        "user_email",
        "user_id",
        "successor_owner",
    )

    def __init__(
        self,
        *,
        email: str | None = None,
        user_id: str | None = None,
        remove_from_organization: bool = True,
        successor_owner: str | None = None,
        dry_run: bool = False,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        # Not ``self.email``: that is BaseOperator's alert address (see person_email).
        self.user_email = person_email(email, kwargs)
        self.user_id = user_id
        self.remove_from_organization = remove_from_organization
        self.successor_owner = successor_owner
        # Not ``self.dry_run``: that is BaseOperator's method (render templates only).
        self.plan_only = dry_run

    # -- validation ---------------------------------------------------------------------

    def _validate(self) -> tuple[str | None, str | None, tuple[str, str] | None]:
        """``(user_id, email, successor)`` where successor is ``("email"|"user_id", value)``."""
        from airflow_provider_openai_projects.domain.emails import same_email

        user_id, email = require_person(self.user_id, self.user_email)
        require_bool("remove_from_organization", self.remove_from_organization)
        require_bool("dry_run", self.plan_only)
        successor: tuple[str, str] | None = None
        if self.successor_owner not in (None, ""):
            raw = self.successor_owner
            if isinstance(raw, str) and "@" in raw:
                successor = ("email", require_email("successor_owner", raw))
            else:
                successor = ("user_id", require_id("successor_owner", raw))
            if successor[1] == user_id or same_email(successor[1] if successor[0] == "email" else None, email):
                raise InvalidInputError("successor_owner", "must not be the person being offboarded")
        return user_id, email, successor

    # -- reads --------------------------------------------------------------------------

    def _find_user(self, user_id: str | None, email: str | None) -> User | None:
        from airflow_provider_openai_projects.domain.emails import same_email

        if user_id is not None:
            try:
                return self.hook.get_user(user_id)
            except NotFoundError:
                return None
        return next((u for u in self.hook.list_users(emails=[email or ""]) if same_email(u.get("email"), email)), None)

    def _pending_invites(self, email: str | None) -> list[Invite]:
        from airflow_provider_openai_projects.domain.emails import same_email

        if email is None:
            return []
        return [
            i for i in self.hook.list_invites() if i.get("status") == "pending" and same_email(i.get("email"), email)
        ]

    def _resolve_successor(
        self, successor: tuple[str, str], project_users: dict[str, list[ProjectUser]]
    ) -> dict[str, Any] | None:
        """``{"user_id", "email"}`` of the successor if an organization member, else ``None``.

        A member of any listed project is an organization member: no request then.
        """
        from airflow_provider_openai_projects.domain.emails import same_email

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
                user = self.hook.get_user(value)
            except NotFoundError:
                user = None
        else:
            user = next((u for u in self.hook.list_users(emails=[value]) if same_email(u.get("email"), value)), None)
        return {"user_id": user["id"], "email": user.get("email")} if user is not None else None

    # -- the run ------------------------------------------------------------------------

    def run(self, context: Context) -> dict[str, Any]:
        """Discover -> hand over -> report keys -> remove; every check before the first write."""
        user_id, email, successor = self._validate()
        offboarding = self._discover(user_id, email)
        if offboarding.user is None and email is not None:  # a look-alike of a member is not "already gone"
            refuse_near_match("email", email, (u.get("email") or "" for u in self.hook.list_users()))
        if not offboarding.found:
            self.log.info("%s is not in the organization and has no pending invite: nothing to do.", offboarding.person)
            return offboarding.report()
        self._find_memberships(offboarding)
        self._find_groups(offboarding)
        self._find_projects_through_groups(offboarding)
        self._find_direct_roles(offboarding)
        self._require_an_organization_owner_remains(offboarding)
        self._plan_access_removal(offboarding)
        self._plan_handover(offboarding, successor)
        self._report_keys(offboarding)
        if offboarding.dry_run:
            self._log_dry_run(offboarding)
            return offboarding.report()
        self._hand_over(offboarding)
        self._delete_invites(offboarding)
        self._leave_groups(offboarding)
        self._unassign_roles(offboarding)
        self._remove(offboarding)
        return offboarding.report()

    # -- discover (reads only) ------------------------------------------------------------

    def _discover(self, user_id: str | None, email: str | None) -> Offboarding:
        """The person (``None`` if already gone) and their pending invites."""
        user = self._find_user(user_id, email)
        address = (user.get("email") if user is not None else None) or email
        return Offboarding(
            person=describe_person(user_id, email),
            user=user,
            user_id=user["id"] if user is not None else user_id,
            email=address,
            dry_run=self.plan_only,
            invites=self._pending_invites(address),
        )

    def _find_memberships(self, offboarding: Offboarding) -> None:
        """One users list per active project (no "projects of a user" endpoint)."""
        if offboarding.user is None:
            return
        person_id = offboarding.user_id
        for project in self.hook.list_projects():
            offboarding.project_names[project["id"]] = project.get("name")
            users = self.hook.list_project_users(project["id"])
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

    def _find_groups(self, offboarding: Offboarding) -> None:
        """The person's groups: one groups list (1000 a page), then one members list per group.

        There is no "groups of a user" endpoint, and a role's ``assignment_sources`` name
        only the groups that hold a role: every group's members are read.
        """
        if offboarding.user is None:
            return
        for group in self.hook.list_groups():
            members = self.hook.list_group_users(group["id"])
            if any(m.get("id") == offboarding.user_id for m in members):
                offboarding.groups.append(
                    {
                        "group_id": group["id"],
                        "group_name": group.get("name"),
                        "scim_managed": bool(group.get("is_scim_managed")),
                    }
                )

    def _find_projects_through_groups(self, offboarding: Offboarding) -> None:
        """One project-groups list per active project, only when the person is in a group."""
        if not offboarding.groups:
            return
        mine = {g["group_id"] for g in offboarding.groups}
        direct = {m["project_id"] for m in offboarding.memberships}
        for project_id, name in offboarding.project_names.items():
            via = [g["group_id"] for g in self.hook.list_project_groups(project_id) if g["group_id"] in mine]
            if via:
                offboarding.projects_through_groups.append(
                    {
                        "project_id": project_id,
                        "project_name": name,
                        "group_ids": via,
                        "direct_member": project_id in direct,
                    }
                )

    def _find_direct_roles(self, offboarding: Offboarding) -> None:
        """The organization roles assigned to the person directly (one roles list, 1000 a page).

        A role held only through a group is the group's: it is not unassigned (it goes with
        the group when the person leaves it). A role without ``assignment_sources`` counts
        as direct: unassigning a role that is not is answered 404, which is success.
        """
        if offboarding.user is None or offboarding.user_id is None:
            return
        for role in self.hook.list_user_roles(offboarding.user_id):
            sources = role.get("assignment_sources")
            if sources is None or any(s.get("principal_type") == "user" for s in sources):
                offboarding.roles_unassigned.append({"role_id": role["id"], "role_name": role.get("name")})

    def _plan_access_removal(self, offboarding: Offboarding) -> None:
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
            raise AirflowFailException(
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

    def _require_an_organization_owner_remains(self, offboarding: Offboarding) -> None:
        """The API would refuse removing the last owner after our other writes: refuse first."""
        user = offboarding.user
        if user is None or not self.remove_from_organization or user.get("role") != "owner":
            return
        owners = [u for u in self.hook.list_users() if u.get("role") == "owner" and u.get("id") != user["id"]]
        if not owners:
            raise InvalidInputError(
                "remove_from_organization",
                f"{offboarding.person} is the organization's only owner and cannot be removed from it; make "
                "another member an organization owner first. Nothing was changed.",
            )

    # -- hand over (planned here, checked before any write) -------------------------------

    def _plan_handover(self, offboarding: Offboarding, successor: tuple[str, str] | None) -> None:
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

    def _report_keys(self, offboarding: Offboarding) -> None:
        """The person's own keys in the projects they reach, which stop working (redacted only)."""
        projects = [(m["project_id"], m["project_name"]) for m in offboarding.memberships]
        projects += [
            (p["project_id"], p["project_name"]) for p in offboarding.projects_through_groups if not p["direct_member"]
        ]
        for project_id, project_name in projects:
            for key in self.hook.list_project_api_keys(project_id):
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

    def _log_dry_run(self, offboarding: Offboarding) -> None:
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

    def _hand_over(self, offboarding: Offboarding) -> None:
        for change in offboarding.successor_changes:
            project_id, successor_id = change["project_id"], change["user_id"]
            if change["action"] == "role_updated":
                self.hook.update_project_user(project_id, successor_id, role="owner")
            else:
                self._add_owner(project_id, successor_id)
            self.log_change(
                "made successor %s owner of project %s (%r, %s)",
                successor_id,
                project_id,
                change["project_name"],
                change["action"],
            )

    def _delete_invites(self, offboarding: Offboarding) -> None:
        for invite in offboarding.invites:
            try:
                self.hook.delete_invite(invite["id"])
            except NotFoundError:
                self.log.info("Invite %s was already gone.", invite["id"])
            else:
                self.log_change("deleted pending invite %s for %r", invite["id"], invite.get("email"))

    def _leave_groups(self, offboarding: Offboarding) -> None:
        """One removal per group left; 404 (already gone) is success. None when leaving the
        organization: its ``delete_user`` takes the person out of every group."""
        person, person_id = offboarding.person, offboarding.user_id
        if self.remove_from_organization or person_id is None:
            return
        for group in offboarding.groups_left:
            try:
                self.hook.remove_group_user(group["group_id"], person_id)
            except NotFoundError:
                self.log.info("%s was already gone from group %r.", person, group["group_name"])
            else:
                self.log_change(
                    "removed %s (%s) from group %r (%s)", person, person_id, group["group_name"], group["group_id"]
                )

    def _unassign_roles(self, offboarding: Offboarding) -> None:
        """One unassignment per direct role; 404 (already gone) is success. None when leaving
        the organization: its ``delete_user`` drops the person's assignments."""
        person, person_id = offboarding.person, offboarding.user_id
        if self.remove_from_organization or person_id is None:
            return
        for role in offboarding.roles_unassigned:
            try:
                self.hook.unassign_user_role(person_id, role["role_id"])
            except NotFoundError:
                self.log.info("Role %r was already unassigned from %s.", role["role_name"], person)
            else:
                self.log_change(
                    "unassigned role %r (%s) from %s (%s)", role["role_name"], role["role_id"], person, person_id
                )

    def _remove(self, offboarding: Offboarding) -> None:
        """One ``delete_user``, or one removal per membership; 404 (already gone) is success."""
        person, person_id = offboarding.person, offboarding.user_id
        if offboarding.user is None or person_id is None:
            return
        if self.remove_from_organization:
            try:
                self.hook.delete_user(person_id)
            except NotFoundError:
                self.log.info("%s was already gone from the organization.", person)
            else:
                self.log_change("removed %s (%s) from the organization", person, person_id)
            return
        for m in offboarding.memberships:
            try:
                self.hook.remove_project_user(m["project_id"], person_id)
            except NotFoundError:
                self.log.info("%s was already gone from project %s.", person, m["project_id"])
            else:
                self.log_change("removed %s (%s) from project %s", person, person_id, m["project_id"])

    def _add_owner(self, project_id: str, user_id: str) -> None:
        """Add the successor as owner; a lost response is reconciled by looking again."""
        from airflow_provider_openai_projects.domain.idempotency import create_once

        create_once(
            lambda: self.hook.add_project_user(project_id, role="owner", user_id=user_id),
            lambda: find_project_user(self.hook.list_project_users(project_id), user_id=user_id),
            what=f"membership of successor {user_id} in project {project_id}",
        )
