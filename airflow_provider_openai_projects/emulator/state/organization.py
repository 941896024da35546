"""Invites, organization users, and the whole-state snapshot."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from airflow_provider_openai_projects.emulator.errors import ApiError, not_found
from airflow_provider_openai_projects.emulator.ids import random_id
from airflow_provider_openai_projects.emulator.pagination import list_body
from airflow_provider_openai_projects.emulator.records import Invite, Membership, deleted

from .core import INVITE_TTL_SECONDS, ORG_ROLES, PROJECT_ROLES, StateCore, check_choice, check_email, check_name, locked


class OrganizationOps(StateCore):
    """Invites, organization users, and the whole-state snapshot."""

    # -- invites ---------------------------------------------------------------------------

    def _invite(self, invite_id: str) -> Invite:
        invite = self.invites.get(invite_id)
        if invite is None:
            raise not_found("invite", invite_id, "invite_id")
        return invite

    @locked
    def list_invites(self, limit: int = 20, after: str | None = None) -> dict[str, Any]:
        page = self.invites.page(limit, after)
        return list_body([i.render(self.now()) for i in page.items], page.has_more)

    @locked
    def create_invite(
        self, email: str, role: str, projects: Sequence[Mapping[str, str]] | None = None
    ) -> dict[str, Any]:
        """Invite ``email`` as ``reader``/``owner``, expiring in 7 days.

        ``projects`` (``[{"id", "role"}]``) are joined on acceptance; omitted means the
        default project as ``member`` (the API's legacy behaviour), ``[]`` means none.
        400 if the email is malformed, already a member, or already has a pending invite
        (the API has no idempotency key: look before you create).
        """
        check_email(email)
        check_choice(role, ORG_ROLES, "role")
        if self._user_by_email(email) is not None:
            raise ApiError(400, f"'{email}' is already a member of this organization.", param="email")
        now = self.now()
        pending = [i for i in self.invites if i.email.lower() == email.lower() and i.status(now) == "pending"]
        if pending:
            raise ApiError(400, f"An invite for '{email}' is already pending ({pending[0].id}).", param="email")
        if projects is None:
            grants = [{"id": self.default_project_id, "role": "member"}]
        else:
            grants = []
            for index, grant in enumerate(projects):
                check_choice(grant["role"], PROJECT_ROLES, f"projects[{index}].role")
                project = self.projects.get(grant["id"])
                if project is None or project.archived:
                    state = "archived" if project else "not found"
                    raise ApiError(400, f"Project '{grant['id']}' is {state}.", param=f"projects[{index}].id")
                grants.append({"id": grant["id"], "role": grant["role"]})
        invite = Invite(random_id("invite-"), email, role, now, now + INVITE_TTL_SECONDS, grants)
        self.invites.add(invite.id, invite)
        return invite.render(now)

    @locked
    def get_invite(self, invite_id: str) -> dict[str, Any]:
        return self._invite(invite_id).render(self.now())

    @locked
    def delete_invite(self, invite_id: str) -> dict[str, Any]:
        """Delete a pending or expired invite; an accepted one cannot be deleted (400)."""
        if self._invite(invite_id).accepted_at is not None:
            raise ApiError(400, f"Invite '{invite_id}' has been accepted and cannot be deleted.", param="invite_id")
        self.invites.remove(invite_id)
        return deleted("organization.invite", invite_id)

    @locked
    def accept_invite(self, invite_id: str) -> dict[str, Any]:
        """What the invited person does in the browser (not part of the Admin API).

        They become an organization user with the invite's role and join the invite's
        projects that are still active. Returns the ``User``. 400 unless pending.
        """
        invite = self._invite(invite_id)
        now = self.now()
        if invite.status(now) != "pending":
            raise ApiError(400, f"Invite '{invite_id}' is {invite.status(now)}.", param="invite_id")
        if self._user_by_email(invite.email) is not None:
            raise ApiError(400, f"'{invite.email}' is already a member of this organization.", param="invite_id")
        user = self._new_user(invite.email, None, invite.role)
        for grant in invite.projects:
            project = self.projects.get(grant["id"])
            if project is not None and not project.archived:
                project.users.add(user.id, Membership(user.id, grant["role"], now))
        invite.accepted_at = now
        return user.render()

    # -- organization users ----------------------------------------------------------------

    @locked
    def list_users(
        self, limit: int = 20, after: str | None = None, emails: Sequence[str] | None = None
    ) -> dict[str, Any]:
        """Users in creation order; ``emails`` keeps exact (case-insensitive) matches only."""
        wanted = {e.lower() for e in emails} if emails else None
        page = self.users.page(limit, after, where=None if wanted is None else lambda u: u.email.lower() in wanted)
        return list_body([u.render() for u in page.items], page.has_more)

    @locked
    def get_user(self, user_id: str) -> dict[str, Any]:
        return self._user(user_id).render()

    @locked
    def update_user(
        self,
        user_id: str,
        role: str | None = None,
        *,
        technical_level: str | None = None,
        developer_persona: str | None = None,
    ) -> dict[str, Any]:
        """Set the given fields: the organization ``role`` (``owner`` or ``reader``; ``member``
        is accepted as an alias of ``reader``; the last owner cannot be demoted: 400) and the
        ``technical_level``/``developer_persona`` metadata. All checked before any change."""
        user = self._user(user_id)
        if role is not None:
            role = "reader" if role == "member" else role
            check_choice(role, ORG_ROLES, "role")
            if user.role == "owner" and role != "owner" and len(self._owners()) == 1:
                raise ApiError(400, "The organization must keep at least one owner.", param="role")
        for name, value in (("technical_level", technical_level), ("developer_persona", developer_persona)):
            if value is not None:
                check_name(value, name)
        if role is not None:
            user.role = role
        if technical_level is not None:
            user.technical_level = technical_level
        if developer_persona is not None:
            user.developer_persona = developer_persona
        return user.render()

    @locked
    def delete_user(self, user_id: str) -> dict[str, Any]:
        """Remove the user from the organization and every project, and delete the API keys
        they own (which stop working at once). The last owner cannot be deleted (400)."""
        user = self._user(user_id)
        if user.role == "owner" and len(self._owners()) == 1:
            raise ApiError(400, "The organization must keep at least one owner.", param="user_id")
        for project in self.projects:
            for key in project.api_keys:
                if key.owner_type == "user" and key.owner_id == user_id:
                    self._drop_key(project, key)
            if user_id in project.users:
                project.users.remove(user_id)
        self.users.remove(user_id)
        return deleted("organization.user", user_id)

    @locked
    def add_user(self, email: str, name: str | None = None, role: str = "reader") -> dict[str, Any]:
        """Make ``email`` an organization member directly (seeding; not part of the Admin API)."""
        check_email(email)
        check_choice(role, ORG_ROLES, "role")
        if name is not None:
            check_name(name)
        if self._user_by_email(email) is not None:
            raise ApiError(400, f"'{email}' is already a member of this organization.", param="email")
        return self._new_user(email, name, role).render()

    # -- inspection ------------------------------------------------------------------------

    @locked
    def snapshot(self) -> dict[str, Any]:
        """Everything, as JSON-able data, with keys only in redacted form."""
        projects = []
        for project in self.projects:
            projects.append(
                {
                    **project.render(),
                    "users": [m.render(self._user(m.user_id)) for m in project.users],
                    "service_accounts": [a.render() for a in project.service_accounts],
                    "api_keys": [self._render_key(project, k) for k in project.api_keys],
                    "rate_limits": [r.render() for r in project.rate_limits],
                }
            )
        return {
            "default_project_id": self.default_project_id,
            "users": [u.render() for u in self.users],
            "projects": projects,
            "invites": [i.render(self.now()) for i in self.invites],
            "models": [m.id for m in self.models],
        }
