"""Custom roles: ``roles: {name: {permissions: [...], description: ..., absent: true?}}``.

Only the roles named are managed (others are never changed). A named role that does not
exist is created; ``permissions`` (a set: order and repeats ignored) and ``description``
are updated when they differ (a field the file omits is not managed); ``absent: true``
deletes the role (destructive: its assignments go with it). A predefined role's name is a
file error (predefined roles cannot be changed). Role names are unique in the API, so a
create looks the name up first and, after a lost response, treats "name exists" as done
(:func:`create_role_once`).
"""

from __future__ import annotations

import contextlib
from typing import Any

from airflow_provider_openai_projects.client.errors import BadRequestError, NotFoundError, OpenAIAdminError
from airflow_provider_openai_projects.domain.idempotency import create_once
from airflow_provider_openai_projects.orgfile.changes import Change
from airflow_provider_openai_projects.orgfile.errors import OrgFileError, format_path
from airflow_provider_openai_projects.orgfile.handlers import _rbac
from airflow_provider_openai_projects.orgfile.handlers.base import ApplyContext, PlanContext
from airflow_provider_openai_projects.orgfile.reader import LiveReader

FAMILY = "roles"


def _wanted_fields(raw: dict[str, Any]) -> dict[str, Any]:
    fields: dict[str, Any] = {}
    if "permissions" in raw:
        fields["permissions"] = sorted(set(raw["permissions"]))
    if "description" in raw:
        fields["description"] = raw["description"]
    return fields


def role_id(ctx: ApplyContext, change: Change, name: str) -> str:
    """The id of role ``name``: planned, or created by this run."""
    found = change.target.get("role_id") or ctx.ids.get(f"role:{name}")
    if not found:
        raise RuntimeError(f"role {name!r} has no id: its create did not run before {change.describe()}")
    return str(found)


def create_role_once(client: Any, name: str, fields: dict[str, Any]) -> dict[str, Any]:
    """The custom role ``name``: found by name, else created once.

    The API's role names are unique ("Unique name for the role"), so the name is looked up
    first (one list of roles): a role made since the plan, or by a create whose response
    was lost, is taken as done. A create that fails ambiguously (no answer, 5xx) is looked
    up again before any retry; a retry answered 400 after such a failure (the first
    create was applied: the name now exists) is done when the role can be found by name,
    and raised otherwise. A 400 on a first attempt is raised as it is.
    """

    def find() -> dict[str, Any] | None:
        return next((dict(r) for r in client.list_roles() if r["name"] == name and not r.get("predefined_role")), None)

    existing = find()
    if existing is not None:
        return existing
    lost = False

    def create() -> dict[str, Any]:
        nonlocal lost
        try:
            return dict(
                client.create_role(
                    role_name=name, permissions=fields.get("permissions", []), description=fields.get("description")
                )
            )
        except BadRequestError:
            found = find() if lost else None
            if found is None:
                raise
            return found
        except OpenAIAdminError as error:
            lost = lost or error.maybe_applied
            raise

    return create_once(create, find, what=f"role {name!r}")


class RolesHandler:
    family = FAMILY

    def plan(self, ctx: PlanContext) -> list[Change]:
        declared: dict[str, Any] = ctx.spec.document.get("roles") or {}
        if not declared:
            return []
        changes: list[Change] = []
        for name, raw in declared.items():
            raw = raw or {}
            live = _rbac.role_named(ctx.reader, name)
            if live is not None and live.get("predefined_role"):
                raise OrgFileError(
                    ctx.spec.source, format_path(["roles", name]), "a predefined role cannot be declared or changed"
                )
            wanted = _wanted_fields(raw)
            if raw.get("absent") is True:
                if live is not None:
                    changes.append(
                        Change(
                            FAMILY,
                            "remove",
                            "organization",
                            name,
                            {"role": name},
                            None,
                            True,
                            _rbac.PHASE_DELETE_ROLE,
                            target={"role_id": live["id"]},
                        )
                    )
                continue
            if live is None:
                changes.append(
                    Change(FAMILY, "create", "organization", name, None, wanted, False, _rbac.PHASE_CREATE_ROLE)
                )
                continue
            current = {
                "permissions": sorted(set(live.get("permissions") or [])),
                "description": live.get("description"),
            }
            before = {k: current[k] for k, v in wanted.items() if current[k] != v}
            if before:
                changes.append(
                    Change(
                        FAMILY,
                        "update",
                        "organization",
                        name,
                        before,
                        {k: wanted[k] for k in before},
                        False,
                        _rbac.PHASE_ROLE_UPDATE,
                        target={"role_id": live["id"]},
                    )
                )
        return changes

    def apply(self, change: Change, ctx: ApplyContext) -> int:
        client = ctx.client
        name = change.what
        after = change.after or {}
        if change.action == "create":
            ctx.ids[f"role:{name}"] = str(create_role_once(client, name, after)["id"])
        elif change.action == "update":
            client.update_role(
                role_id(ctx, change, name), permissions=after.get("permissions"), description=after.get("description")
            )
        else:
            with contextlib.suppress(NotFoundError):  # already gone: done
                client.delete_role(role_id(ctx, change, name))
        return 1

    def export(self, reader: LiveReader, document: dict[str, Any]) -> None:
        custom = {
            str(r["name"]): {
                "permissions": sorted(set(r.get("permissions") or [])),
                **({"description": r["description"]} if r.get("description") is not None else {}),
            }
            for r in reversed(_rbac.roles(reader))  # the oldest of a name wins
            if not r.get("predefined_role")
        }
        if custom:
            document["roles"] = dict(sorted(custom.items()))
