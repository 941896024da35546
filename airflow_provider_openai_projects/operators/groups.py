"""Operators for group membership: add a person to a group, remove them from it.

A group added to a project gives every member access to the project (docs/design.md, fact
14), so group membership is access. The group is named by ``group_id`` or (exactly) by
``group_name``; the person by ``user_id`` or (case-insensitively) by ``email``. Both are
idempotent: the group's members are read once, and a run that finds nothing to change
writes nothing. A SCIM-managed group belongs to the identity provider: a change it would
need fails clearly without being sent.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from airflow_provider_openai_projects.domain.people import person_email, require_person
from airflow_provider_openai_projects.operators.base import OpenAIAdminBaseOperator

if TYPE_CHECKING:
    from airflow.sdk import Context

    from airflow_provider_openai_projects.client.resources.rbac_types import Group, GroupUser
    from airflow_provider_openai_projects.hooks.admin import OpenAIAdminHook


def resolve_group(hook: OpenAIAdminHook, *, group_id: str | None, group_name: str | None) -> Group:
    """The group with this id (one read), or the only one with this exact name (one list).

    :raises AirflowFailException: no group has that name, or several do.
    """
    from airflow.sdk.exceptions import AirflowFailException

    if group_id is not None:
        return hook.get_group(group_id)
    named = [g for g in hook.list_groups() if g.get("name") == group_name]
    if not named:
        raise AirflowFailException(
            f"invalid group_name: no group is named {group_name!r}; create it first or pass group_id."
        )
    if len(named) > 1:
        ids = ", ".join(g["id"] for g in named)
        raise AirflowFailException(
            f"invalid group_name: {len(named)} groups are named {group_name!r} ({ids}); pass group_id instead."
        )
    return named[0]


def find_group_user(members: Sequence[GroupUser], *, user_id: str | None, email: str | None) -> GroupUser | None:
    """The member with this user id, or with this email (compared case-insensitively)."""
    for member in members:
        if user_id is not None and member.get("id") == user_id:
            return member
        if email is not None and (member.get("email") or "").lower() == email.lower():
            return member
    return None


def _organization_user_id(hook: OpenAIAdminHook, email: str) -> str | None:
    """The id of the organization member with this email (one read), or ``None``."""
    for user in hook.list_users(emails=[email]):
        if (user.get("email") or "").lower() == email.lower():
            return user["id"]
    return None


def _inputs(
    group_id: object, group_name: object, user_id: object, email: object
) -> tuple[str | None, str | None, str | None, str | None]:
    """Validate "exactly one of group_id/group_name" and "exactly one of user_id/email"."""
    from airflow_provider_openai_projects.domain.validation import require_id, require_name, require_one_of

    field, value = require_one_of({"group_id": group_id, "group_name": group_name})
    gid = require_id("group_id", value) if field == "group_id" else None
    gname = require_name("group_name", value, max_length=255) if field == "group_name" else None
    uid, mail = require_person(user_id, email)
    return gid, gname, uid, mail


def _scim_refusal(group: Group, action: str) -> Exception:
    from airflow.sdk.exceptions import AirflowFailException

    return AirflowFailException(
        f"Cannot {action}: group {group['name']!r} ({group['id']}) is managed by the identity provider (SCIM); "
        "change its members there."
    )


class _GroupUserOperator(OpenAIAdminBaseOperator):
    template_fields: Sequence[str] = (
        *OpenAIAdminBaseOperator.template_fields,
        "group_id",
        "group_name",
        "user_id",
        "user_email",
    )

    def __init__(
        self,
        *,
        group_id: str | None = None,
        group_name: str | None = None,
        user_id: str | None = None,
        email: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.group_id = group_id
        self.group_name = group_name
        self.user_id = user_id
        # Not ``self.email``: that is BaseOperator's alert address (see person_email).
        self.user_email = person_email(email, kwargs)


class AddGroupUserOperator(_GroupUserOperator):
    """Make an organization member a member of a group (and so of its projects).

    Idempotent: the group's members are read once; a person already there is left alone
    (no write). An add whose response is lost is reconciled by reading the members
    again, never by adding blindly. The person must be an organization member (the task
    fails telling the DAG author to invite them first); a SCIM-managed group fails
    without a write.

    API calls: 1 read to resolve the group (``get_group`` or ``list_groups``), 1 read of
    its members, 1 more read for a person given by email who is not yet a member, and at
    most 1 write.

    :param group_id: the group's id; give exactly one of ``group_id`` and ``group_name`` (templated).
    :param group_name: the group's exact name; must name exactly one group (templated).
    :param user_id: the person's user id; give exactly one of ``user_id`` and ``email`` (templated).
    :param email: the person's email (templated).
    :return: ``{"group_id", "group_name", "user_id", "email", "added"}``; ``added`` is
        true when this run added the person, false when they already were a member.
    """

    def run(self, context: Context) -> dict[str, Any]:
        from airflow.sdk.exceptions import AirflowFailException

        from airflow_provider_openai_projects.domain.idempotency import create_once

        group_id, group_name, user_id, email = _inputs(self.group_id, self.group_name, self.user_id, self.user_email)
        group = resolve_group(self.hook, group_id=group_id, group_name=group_name)
        who = user_id or email
        result = {"group_id": group["id"], "group_name": group["name"], "user_id": user_id, "email": email}

        current = find_group_user(self.hook.list_group_users(group["id"]), user_id=user_id, email=email)
        if current is not None:
            self.log.info("%s is already a member of group %r.", who, group["name"])
            return {**result, "user_id": current["id"], "email": current.get("email") or email, "added": False}
        if group["is_scim_managed"]:
            raise _scim_refusal(group, f"add {who} to it")
        if user_id is None:
            assert email is not None
            user_id = _organization_user_id(self.hook, email)
            if user_id is None:
                raise AirflowFailException(
                    f"Cannot add email {email!r} to group {group['name']!r}: they are not a member of the "
                    "organization. Invite them first (InviteUserOperator) and wait until they accept "
                    "(OrganizationUserSensor)."
                )
        member_id = user_id
        create_once(
            lambda: self.hook.add_group_user(group["id"], user_id=member_id),
            lambda: find_group_user(self.hook.list_group_users(group["id"]), user_id=member_id, email=None),
            what=f"membership of {who} in group {group['name']!r}",
        )
        self.log_change("added %s (%s) to group %r (%s)", who, member_id, group["name"], group["id"])
        return {**result, "user_id": member_id, "added": True}


class RemoveGroupUserOperator(_GroupUserOperator):
    """Remove a person from a group (and so from the projects they reached through it).

    Idempotent: the group's members are read once; a person who is not a member (or not
    in the organization at all) is success without a write, and a removal answered with
    404 (already gone) is success too. A SCIM-managed group fails without a write when
    the person is a member.

    API calls: 1 read to resolve the group, 1 read of its members, at most 1 write.

    :param group_id: the group's id; give exactly one of ``group_id`` and ``group_name`` (templated).
    :param group_name: the group's exact name; must name exactly one group (templated).
    :param user_id: the person's user id; give exactly one of ``user_id`` and ``email`` (templated).
    :param email: the person's email (templated).
    :return: ``{"group_id", "group_name", "user_id", "email", "removed"}``; ``removed``
        is true when the person was a member at the start of this run and no longer is.
    """

    def run(self, context: Context) -> dict[str, Any]:
        from airflow_provider_openai_projects.client.errors import NotFoundError

        group_id, group_name, user_id, email = _inputs(self.group_id, self.group_name, self.user_id, self.user_email)
        group = resolve_group(self.hook, group_id=group_id, group_name=group_name)
        who = user_id or email
        result = {"group_id": group["id"], "group_name": group["name"], "user_id": user_id, "email": email}

        current = find_group_user(self.hook.list_group_users(group["id"]), user_id=user_id, email=email)
        if current is None:
            self.log.info("%s is not a member of group %r; nothing to remove.", who, group["name"])
            return {**result, "removed": False}
        if group["is_scim_managed"]:
            raise _scim_refusal(group, f"remove {who} from it")
        try:
            self.hook.remove_group_user(group["id"], current["id"])
        except NotFoundError:
            self.log.info("%s (%s) was already gone from group %r.", who, current["id"], group["name"])
        else:
            self.log_change("removed %s (%s) from group %r (%s)", who, current["id"], group["name"], group["id"])
        return {**result, "user_id": current["id"], "email": current.get("email") or email, "removed": True}
