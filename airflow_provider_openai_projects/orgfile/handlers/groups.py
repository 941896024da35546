"""Groups: ``groups: {name: {members: [emails], roles: [role names], absent: true?}}``.

Only the groups named are managed. A named group that does not exist is created;
``members`` (when given) is authoritative: people not listed are removed (destructive),
people listed who are organization members are added, others are reported pending (a
group holds organization members only; invite them through ``organization.members``).
``roles`` (when given, organization role names, predefined or custom) is authoritative the
same way. ``absent: true`` deletes the group (destructive). A SCIM-managed group belongs
to the identity provider: its members cannot be changed nor the group deleted, so a file
that would do either is refused in the plan (an :class:`OrgFileError`, before any write);
its roles stay ours to manage.
"""

from __future__ import annotations

import contextlib
from typing import Any

from airflow_provider_openai_projects.client.errors import NotFoundError
from airflow_provider_openai_projects.domain.idempotency import create_once
from airflow_provider_openai_projects.orgfile.changes import Change
from airflow_provider_openai_projects.orgfile.errors import OrgFileError, format_path
from airflow_provider_openai_projects.orgfile.handlers import _rbac
from airflow_provider_openai_projects.orgfile.handlers.base import ApplyContext, PlanContext
from airflow_provider_openai_projects.orgfile.handlers.roles import role_id
from airflow_provider_openai_projects.orgfile.reader import LiveReader
from airflow_provider_openai_projects.orgfile.risk import is_owner_role

FAMILY = "groups"


def group_id(ctx: ApplyContext, change: Change, name: str) -> str:
    """The id of group ``name``: planned, or created by this run."""
    found = change.target.get("group_id") or ctx.ids.get(f"group:{name}")
    if not found:
        raise RuntimeError(f"group {name!r} has no id: its create did not run before {change.describe()}")
    return str(found)


def _email(user: dict[str, Any]) -> str:
    return str(user.get("email") or user["id"]).lower()


class GroupsHandler:
    family = FAMILY

    def plan(self, ctx: PlanContext) -> list[Change]:
        declared: dict[str, Any] = ctx.spec.document.get("groups") or {}
        changes: list[Change] = []
        for name, raw in declared.items():
            raw = raw or {}
            live = _rbac.group_named(ctx.reader, name)
            where = f"group {name}"
            target = {"group_id": live["id"]} if live is not None else {}
            scim = bool(live and live.get("is_scim_managed"))
            if raw.get("absent") is True:
                if live is not None:
                    self._refuse_scim(ctx, scim, name, "absent", "it cannot be deleted here")
                    changes.append(
                        Change(
                            FAMILY,
                            "remove",
                            "organization",
                            name,
                            {"group": name},
                            None,
                            True,
                            _rbac.PHASE_DELETE_GROUP,
                            target=target,
                        )
                    )
                continue
            if live is None:
                changes.append(
                    Change(
                        FAMILY, "create", "organization", name, None, {"name": name}, False, _rbac.PHASE_CREATE_GROUP
                    )
                )
            if "members" in raw:
                owner_roles = sorted({str(r) for r in raw.get("roles") or [] if is_owner_role(r)})
                member_changes = self._members(ctx, name, where, live, raw["members"], target, owner_roles)
                if member_changes:
                    self._refuse_scim(ctx, scim, name, "members", "its members cannot be changed here")
                changes.extend(member_changes)
            if "roles" in raw:
                changes.extend(self._roles(ctx, name, where, live, raw["roles"], target))
        return changes

    @staticmethod
    def _refuse_scim(ctx: PlanContext, scim: bool, name: str, key: str, problem: str) -> None:
        if scim:
            raise OrgFileError(
                ctx.spec.source,
                format_path(["groups", name, key]),
                f"the group is SCIM-managed (it belongs to the identity provider): {problem}; "
                "change it in the identity provider or match the file to it",
            )

    @staticmethod
    def _members(
        ctx: PlanContext,
        name: str,
        where: str,
        live: dict[str, Any] | None,
        emails: list[str],
        target: dict[str, Any],
        owner_roles: list[str],
    ) -> list[Change]:
        """Adds and removals of members; an add to a group the file gives an owner role says
        so (``owner_via_group``: a critical change, as making the person owner is)."""
        wanted = list(dict.fromkeys(e.strip().lower() for e in emails))
        added: dict[str, Any] = {"member": True, **({"owner_via_group": owner_roles} if owner_roles else {})}
        current = {_email(u): u for u in _rbac.group_users(ctx.reader, live["id"])} if live is not None else {}
        changes: list[Change] = []
        for email in wanted:
            if email in current:
                continue
            user = ctx.reader.user_by_email(email)
            if user is None:
                ctx.pending.append(
                    {"where": where, "what": email, "role": "member", "status": "not an organization member yet"}
                )
                continue
            changes.append(
                Change(
                    FAMILY,
                    "add",
                    where,
                    email,
                    None,
                    added,
                    False,
                    _rbac.PHASE_GROUP_ADD,
                    target={**target, "group": name, "user_id": user["id"]},
                )
            )
        for email, user in current.items():
            if email not in wanted:
                changes.append(
                    Change(
                        FAMILY,
                        "remove",
                        where,
                        email,
                        {"member": True},
                        None,
                        True,
                        _rbac.PHASE_GROUP_REMOVE,
                        target={**target, "group": name, "user_id": user["id"]},
                    )
                )
        return changes

    @staticmethod
    def _roles(
        ctx: PlanContext,
        name: str,
        where: str,
        live: dict[str, Any] | None,
        role_names: list[str],
        target: dict[str, Any],
    ) -> list[Change]:
        declared_roles: dict[str, Any] = ctx.spec.document.get("roles") or {}
        current = {str(r["name"]): r for r in _rbac.group_roles(ctx.reader, live["id"])} if live is not None else {}
        changes: list[Change] = []
        wanted = list(dict.fromkeys(role_names))
        for index, role_name in enumerate(wanted):
            if role_name in current:
                continue
            role = _rbac.role_named(ctx.reader, role_name, _rbac.ORGANIZATION_RESOURCE)
            created_here = (
                role is None
                and role_name in declared_roles
                and (declared_roles[role_name] or {}).get("absent") is not True
            )
            if role is None and not created_here:
                raise OrgFileError(
                    ctx.spec.source,
                    format_path(["groups", name, "roles", index]),
                    f"no organization role is named {role_name!r} (declare it under roles, or use a predefined one)",
                )
            role_target = {"role_id": role["id"]} if role is not None else {}
            changes.append(
                Change(
                    FAMILY,
                    "add",
                    where,
                    f"role {role_name}",
                    None,
                    {"role": role_name},
                    False,
                    _rbac.PHASE_GROUP_ADD,
                    target={**target, **role_target, "group": name, "role": role_name},
                )
            )
        for role_name, role in current.items():
            if role_name not in wanted:
                changes.append(
                    Change(
                        FAMILY,
                        "remove",
                        where,
                        f"role {role_name}",
                        {"role": role_name},
                        None,
                        True,
                        _rbac.PHASE_GROUP_REMOVE,
                        target={**target, "role_id": role["id"], "group": name, "role": role_name},
                    )
                )
        return changes

    def apply(self, change: Change, ctx: ApplyContext) -> int:
        client = ctx.client
        if change.action == "create":
            name = change.what

            def find_group() -> Any:
                return next((g for g in client.list_groups() if g["name"] == name), None)

            group = create_once(lambda: client.create_group(name=name), find_group, what=f"group {name!r}")
            ctx.ids[f"group:{name}"] = group["id"]
            return 1
        if change.action == "remove" and change.where == "organization":
            with contextlib.suppress(NotFoundError):  # already gone: done
                client.delete_group(group_id(ctx, change, change.what))
            return 1
        gid = group_id(ctx, change, str(change.target["group"]))
        if "role" in change.target:
            rid = role_id(ctx, change, str(change.target["role"]))
            if change.action == "add":

                def find_role() -> Any:
                    try:
                        return client.get_group_role(gid, rid)
                    except NotFoundError:
                        return None

                create_once(lambda: client.assign_group_role(gid, role_id=rid), find_role, what=change.describe())
            else:
                with contextlib.suppress(NotFoundError):
                    client.unassign_group_role(gid, rid)
            return 1
        user_id = str(change.target["user_id"])
        if change.action == "add":

            def find_user() -> Any:
                try:
                    return client.get_group_user(gid, user_id)
                except NotFoundError:
                    return None

            create_once(lambda: client.add_group_user(gid, user_id=user_id), find_user, what=change.describe())
        else:
            with contextlib.suppress(NotFoundError):
                client.remove_group_user(gid, user_id)
        return 1

    def export(self, reader: LiveReader, document: dict[str, Any]) -> None:
        exported: dict[str, Any] = {}
        for group in _rbac.groups(reader):
            name = str(group["name"])
            if name in exported:  # the oldest of a name is the one the file manages
                continue
            exported[name] = {
                "members": sorted(_email(u) for u in _rbac.group_users(reader, group["id"])),
                "roles": sorted(str(r["name"]) for r in _rbac.group_roles(reader, group["id"])),
            }
        if exported:
            document["groups"] = dict(sorted(exported.items()))
