"""Operator for offboarding a person: hand over sole-owned projects, report keys, leave
groups, unassign roles, remove. A thin Airflow wrapper of :mod:`...domain.offboarding`'s
steps (the org file's roster offboards leavers with the same steps).

There is no "projects of a user" endpoint (docs/design.md, fact 10): memberships are found
by listing every active project's users, once each. Everything is read and checked
before the first write, so a refusal (a sole-owned project without a successor, a
successor who is not an organization member) changes nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from airflow.sdk.exceptions import AirflowFailException

from airflow_provider_openai_projects.client.errors import InvalidInputError
from airflow_provider_openai_projects.domain.people import person_email, require_person
from airflow_provider_openai_projects.domain.validation import (
    refuse_near_match,
    require_bool,
    require_email,
    require_id,
)
from airflow_provider_openai_projects.operators.base import OpenAIAdminBaseOperator

if TYPE_CHECKING:
    from airflow.sdk import Context

__all__ = ["OffboardUserOperator"]


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
            from airflow_provider_openai_projects.domain.emails import same_email

            if successor[1] == user_id or same_email(successor[1] if successor[0] == "email" else None, email):
                raise InvalidInputError("successor_owner", "must not be the person being offboarded")
        return user_id, email, successor

    # -- the run ------------------------------------------------------------------------

    def run(self, context: Context) -> dict[str, Any]:
        """Discover -> hand over -> report keys -> remove (the steps of
        :mod:`...domain.offboarding`); every check before the first write."""
        user_id, email, successor = self._validate()
        from airflow_provider_openai_projects.domain.offboarding import OffboardingRefusedError, OffboardingSteps

        steps = OffboardingSteps(self.hook, self.log, remove_from_organization=self.remove_from_organization)
        try:
            offboarding = steps.plan(user_id, email, successor, dry_run=self.plan_only)
        except OffboardingRefusedError as refused:
            raise AirflowFailException(str(refused)) from refused
        if offboarding.user is None and email is not None:  # a look-alike of a member is not "already gone"
            refuse_near_match("email", email, (u.get("email") or "" for u in self.hook.list_users()))
        if not offboarding.found:
            self.log.info("%s is not in the organization and has no pending invite: nothing to do.", offboarding.person)
            return offboarding.report()
        if offboarding.dry_run:
            steps.log_dry_run(offboarding)
            return offboarding.report()
        steps.carry_out(offboarding)
        return offboarding.report()
