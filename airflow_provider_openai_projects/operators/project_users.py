"""Operators for project membership: add (or set the role of) a member, remove a member.

A person must be a member of the organization before a project can take them (docs/design.md,
fact 8): onboarding is ``InviteUserOperator`` -> ``OrganizationUserSensor`` ->
``AddProjectUserOperator``. Members are found by user id or (case-insensitively) by email
in the project's user list, read once per run.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from airflow.sdk.exceptions import AirflowFailException

from airflow_provider_openai_projects.client.errors import BadRequestError, NotFoundError
from airflow_provider_openai_projects.domain.people import (
    describe_person,
    find_project_user,
    person_email,
    require_person,
)
from airflow_provider_openai_projects.domain.validation import PROJECT_ROLES, require_choice, require_id
from airflow_provider_openai_projects.operators.base import OpenAIAdminBaseOperator
from airflow_provider_openai_projects.operators.links import PROJECT_ID_XCOM_KEY, OpenAIProjectLink

if TYPE_CHECKING:
    from airflow.sdk import Context

    from airflow_provider_openai_projects.client.types import ProjectUser
    from airflow_provider_openai_projects.hooks.admin import OpenAIAdminHook


def is_organization_member(hook: OpenAIAdminHook, *, user_id: str | None, email: str | None) -> bool:
    """Whether the person is a member of the organization (one read)."""
    if user_id is not None:
        try:
            hook.get_user(user_id)
        except NotFoundError:
            return False
        return True
    assert email is not None
    return any((u.get("email") or "").lower() == email.lower() for u in hook.list_users(emails=[email]))


class AddProjectUserOperator(OpenAIAdminBaseOperator):
    """Make an organization member a member of a project with the given role.

    Idempotent: the project's users are read once; a person already there with this role
    is left alone (no write), one there with another role gets the role set
    (``update_project_user``), one absent is added. An add whose response is lost is
    reconciled by reading the project's users again, never by adding blindly.

    The person must already be an organization member: if the API refuses because they
    are not, the task fails telling the DAG author to invite them first
    (``InviteUserOperator``, then ``OrganizationUserSensor`` to wait for acceptance).

    API calls: 1 read (the project's users) + at most 1 write; on a refused add, 1 more
    read to tell "not an organization member" from other refusals.

    :param project_id: the project (templated).
    :param role: ``owner`` or ``member`` (templated).
    :param user_id: the person's user id; give exactly one of ``user_id`` and ``email`` (templated).
    :param email: the person's email (templated).
    :return: the project user (``id``, ``email``, ``name``, ``role``, ``added_at``) plus
        ``project_id`` and ``changed``: ``"added"``, ``"role_updated"`` or ``None`` when
        nothing had to change. ``project_id`` is also pushed to XCom for the dashboard link.
    """

    template_fields: Sequence[str] = (
        *OpenAIAdminBaseOperator.template_fields,
        "project_id",
        "role",
        "user_id",
        "user_email",
    )
    operator_extra_links = (OpenAIProjectLink(),)

    def __init__(
        self,
        *,
        project_id: str,
        role: str,
        user_id: str | None = None,
        email: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.project_id = project_id
        self.role = role
        self.user_id = user_id
        # Not ``self.email``: that is BaseOperator's alert address (see person_email).
        self.user_email = person_email(email, kwargs)

    def run(self, context: Context) -> dict[str, Any]:
        project_id = require_id("project_id", self.project_id)
        role = require_choice("role", self.role, PROJECT_ROLES)
        user_id, email = require_person(self.user_id, self.user_email)
        who = describe_person(user_id, email)

        current = find_project_user(self.hook.list_project_users(project_id), user_id=user_id, email=email)
        changed: str | None
        if current is not None and current.get("role") == role:
            self.log.info("%s is already %s of project %s.", who, role, project_id)
            member, changed = current, None
        elif current is not None:
            member = self.hook.update_project_user(project_id, current["id"], role=role)
            changed = "role_updated"
            self.log_change(
                "set the role of %s in project %s from %s to %s", who, project_id, current.get("role"), role
            )
        else:
            member = self._add(project_id, role, user_id, email)
            changed = "added"
            self.log_change("added %s (%s) to project %s as %s", who, member["id"], project_id, role)
        context["ti"].xcom_push(key=PROJECT_ID_XCOM_KEY, value=project_id)
        return {**member, "project_id": project_id, "changed": changed}

    def _add(self, project_id: str, role: str, user_id: str | None, email: str | None) -> ProjectUser:
        from airflow_provider_openai_projects.domain.idempotency import create_once

        who = describe_person(user_id, email)
        try:
            return create_once(
                lambda: self.hook.add_project_user(project_id, role=role, user_id=user_id, email=email),
                lambda: find_project_user(self.hook.list_project_users(project_id), user_id=user_id, email=email),
                what=f"membership of {who} in project {project_id}",
            )
        except BadRequestError as error:
            if is_organization_member(self.hook, user_id=user_id, email=email):
                raise
            raise AirflowFailException(
                f"Cannot add {who} to project {project_id}: they are not a member of the organization. "
                "Invite them first (InviteUserOperator), wait until they accept (OrganizationUserSensor), "
                f"then add them to the project. The API said: {error.message}"
            ) from error


class RemoveProjectUserOperator(OpenAIAdminBaseOperator):
    """Remove a person from a project.

    Idempotent: the project's users are read once (an email is resolved there, not
    against the organization); a person who is not a member is success without a write,
    and a removal answered with 404 (already gone) is success too. Their user-owned keys
    in the project stay but stop working (the API makes them ``inactive``).

    API calls: 1 read (the project's users) + at most 1 write.

    :param project_id: the project (templated).
    :param user_id: the person's user id; give exactly one of ``user_id`` and ``email`` (templated).
    :param email: the person's email (templated).
    :return: ``{"project_id", "user_id", "email", "removed"}``; ``removed`` is true when
        the person was a member at the start of this run and no longer is. ``user_id`` /
        ``email`` are ``None`` when unknown (not a member and not given).
    """

    template_fields: Sequence[str] = (*OpenAIAdminBaseOperator.template_fields, "project_id", "user_id", "user_email")
    operator_extra_links = (OpenAIProjectLink(),)

    def __init__(
        self,
        *,
        project_id: str,
        user_id: str | None = None,
        email: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.project_id = project_id
        self.user_id = user_id
        # Not ``self.email``: that is BaseOperator's alert address (see person_email).
        self.user_email = person_email(email, kwargs)

    def run(self, context: Context) -> dict[str, Any]:
        project_id = require_id("project_id", self.project_id)
        user_id, email = require_person(self.user_id, self.user_email)
        who = describe_person(user_id, email)
        context["ti"].xcom_push(key=PROJECT_ID_XCOM_KEY, value=project_id)

        current = find_project_user(self.hook.list_project_users(project_id), user_id=user_id, email=email)
        if current is None:
            self.log.info("%s is not a member of project %s; nothing to remove.", who, project_id)
            return {"project_id": project_id, "user_id": user_id, "email": email, "removed": False}
        try:
            self.hook.remove_project_user(project_id, current["id"])
        except NotFoundError:
            self.log.info("%s (%s) was already gone from project %s.", who, current["id"], project_id)
        else:
            self.log_change("removed %s (%s) from project %s", who, current["id"], project_id)
        return {
            "project_id": project_id,
            "user_id": current["id"],
            "email": current.get("email") or email,
            "removed": True,
        }
