"""Operator for inviting a person to the organization (optionally into projects).

The API takes no idempotency key and refuses a second pending invite for an email, so
the operator looks before it creates: a member or a pending invite is success.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from airflow_provider_openai_projects.client.errors import InvalidInputError
from airflow_provider_openai_projects.domain.people import person_email
from airflow_provider_openai_projects.domain.validation import (
    ORGANIZATION_ROLES,
    PROJECT_ROLES,
    require_choice,
    require_email,
    require_id,
)
from airflow_provider_openai_projects.operators.base import OpenAIAdminBaseOperator

if TYPE_CHECKING:
    from airflow.sdk import Context

    from airflow_provider_openai_projects.client.types import Invite, InviteProject, User


def find_pending_invite(invites: Sequence[Invite], email: str) -> Invite | None:
    """The newest pending invite for ``email`` (case-insensitive); expired/accepted ones do not count."""
    matches = [i for i in invites if i.get("status") == "pending" and (i.get("email") or "").lower() == email.lower()]
    return max(matches, key=lambda i: (i.get("created_at", 0), i["id"])) if matches else None


def find_member(users: Sequence[User], email: str) -> User | None:
    """The organization user with this email (case-insensitive)."""
    return next((u for u in users if (u.get("email") or "").lower() == email.lower()), None)


def validate_invite_projects(value: object) -> list[InviteProject] | None:
    """``None``, or a list of ``{"id": <project id>, "role": "member"|"owner"}`` without repeats."""

    if value is None:
        return None
    if not isinstance(value, list | tuple):
        raise InvalidInputError("projects", f'must be a list of {{"id": ..., "role": ...}}, got {value!r}')
    grants: list[InviteProject] = []
    seen: set[str] = set()
    for index, entry in enumerate(value):
        field = f"projects[{index}]"
        if not isinstance(entry, dict):
            raise InvalidInputError(field, f'must be a mapping {{"id": ..., "role": ...}}, got {entry!r}')
        unknown = sorted(set(entry) - {"id", "role"})
        if unknown:
            raise InvalidInputError(field, f"unknown key(s) {', '.join(map(repr, unknown))}; allowed: 'id', 'role'")
        project_id = require_id(f"{field}.id", entry.get("id"))
        role = require_choice(f"{field}.role", entry.get("role"), PROJECT_ROLES)
        if project_id in seen:
            raise InvalidInputError(f"{field}.id", f"project {project_id} is listed more than once")
        seen.add(project_id)
        grants.append({"id": project_id, "role": role})  # type: ignore[typeddict-item]
    return grants


class InviteUserOperator(OpenAIAdminBaseOperator):
    """Invite a person to the organization, optionally with project memberships.

    Idempotent: the email (compared case-insensitively) is looked up first. An existing
    organization member is success without a write (``status="member"``); so is an
    existing pending invite (``status="pending"``; a warning is logged if its role or
    projects differ from the ones asked for: the invite is not replaced). Expired or
    accepted invites do not count. Otherwise one invite is created
    (``status="invited"``); a create whose response is lost is reconciled by looking for
    the pending invite again, never by inviting blindly.

    API calls: 1 read (organization users by email) when already a member; otherwise
    + the invite list (1 read per 100 invites) + at most 1 write.

    :param email: the person's email (templated).
    :param role: organization role, ``reader`` (default) or ``owner`` (templated).
    :param projects: optional list of ``{"id": project_id, "role": "member"|"owner"}`` the
        person joins on acceptance (templated). ``None`` leaves it to the API (which adds
        the default project); ``[]`` means no project.
    :return: ``{"status": "invited"|"pending"|"member", "invite": <invite> or None,
        "user": <organization user> or None, "email": <email as given>}``.
    """

    template_fields: Sequence[str] = (*OpenAIAdminBaseOperator.template_fields, "user_email", "role", "projects")

    def __init__(
        self,
        *,
        email: str,
        role: str = "reader",
        projects: list[dict[str, str]] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        # Not ``self.email``: that is BaseOperator's alert address (see person_email).
        self.user_email = person_email(email, kwargs)
        self.role = role
        self.projects = projects

    def run(self, context: Context) -> dict[str, Any]:
        from airflow_provider_openai_projects.domain.idempotency import create_once

        email = require_email("email", self.user_email)
        role = require_choice("role", self.role, ORGANIZATION_ROLES)
        projects = validate_invite_projects(self.projects)

        user = find_member(self.hook.list_users(emails=[email]), email)
        if user is not None:
            self.log.info("%r is already a member of the organization (%s); not inviting.", email, user["id"])
            return {"status": "member", "invite": None, "user": user, "email": email}

        invite = find_pending_invite(self.hook.list_invites(), email)
        if invite is not None:
            self.log.info("An invite for %r is already pending (%s); not inviting again.", email, invite["id"])
            self._warn_if_different(invite, role, projects)
            return {"status": "pending", "invite": invite, "user": None, "email": email}

        invite = create_once(
            lambda: self.hook.create_invite(email=email, role=role, projects=projects),
            lambda: find_pending_invite(self.hook.list_invites(), email),
            what=f"invite for {email!r}",
        )
        self.log_change("invited %r to the organization as %s (%s)", email, role, invite["id"])
        return {"status": "invited", "invite": invite, "user": None, "email": email}

    def _warn_if_different(self, invite: Invite, role: str, projects: list[InviteProject] | None) -> None:
        differences = []
        if invite.get("role") != role:
            differences.append(f"role {invite.get('role')!r} instead of {role!r}")
        if projects is not None:
            have = sorted((p.get("id"), p.get("role")) for p in invite.get("projects") or [])
            want = sorted((p["id"], p["role"]) for p in projects)
            if have != want:
                differences.append(f"projects {have} instead of {want}")
        if differences:
            self.log.warning(
                "The pending invite %s differs from what was asked: %s. It is kept as it is; delete it "
                "to invite again with the new settings.",
                invite["id"],
                "; ".join(differences),
            )
