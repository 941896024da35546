"""Project groups: ``projects.<name>.groups: {group name: project role name}``.

Authoritative per project that declares ``groups``: a listed group without access is
added with its project role (a predefined project role such as ``Project Member``); a
group with access that is not listed is removed (destructive). The API does not return
the role of a group's access, so a role change of a group that already has access cannot
be seen: remove the group from the file, apply, and add it back with the new role. For
the same reason ``openai-org export`` does not write this key (absent = unmanaged).
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
from airflow_provider_openai_projects.orgfile.handlers.groups import group_id

FAMILY = "project_groups"


class ProjectGroupsHandler:
    family = FAMILY

    def plan(self, ctx: PlanContext) -> list[Change]:
        """Per project that declares ``groups``: add the groups it lacks, remove the others."""
        changes: list[Change] = []
        for name, raw in (ctx.spec.document.get("projects") or {}).items():
            wanted: dict[str, str] | None = (raw or {}).get("groups")
            if wanted is None or name not in ctx.projects:
                continue
            project = ctx.projects[name]
            target = {"project_id": project["id"]} if project is not None else {}
            current = (
                {str(g["group_name"]): g for g in _rbac.project_groups(ctx.reader, project["id"])}
                if project is not None
                else {}
            )
            for group_name, role_name in wanted.items():
                if group_name not in current:
                    changes.append(self._addition(ctx, name, group_name, role_name, target))
            changes += [
                Change(
                    FAMILY,
                    "remove",
                    name,
                    group_name,
                    {"access": True},
                    None,
                    True,
                    _rbac.PHASE_GROUP_REMOVE,
                    target={**target, "group_id": grant["group_id"]},
                )
                for group_name, grant in current.items()
                if group_name not in wanted
            ]
        return changes

    @staticmethod
    def _addition(ctx: PlanContext, name: str, group_name: str, role_name: str, target: dict[str, Any]) -> Change:
        """The change giving ``group_name`` access to project ``name`` with a project role;
        :class:`OrgFileError` at the file path for an unknown role or group."""
        path: list[object] = ["projects", name, "groups", group_name]
        role = _rbac.role_named(ctx.reader, role_name, _rbac.PROJECT_RESOURCE)
        if role is None:
            names = sorted(
                str(r["name"]) for r in _rbac.roles(ctx.reader) if r.get("resource_type") == _rbac.PROJECT_RESOURCE
            )
            raise OrgFileError(
                ctx.spec.source, format_path(path), f"{role_name!r} is not a project role ({', '.join(names)})"
            )
        group = _rbac.group_named(ctx.reader, group_name)
        declared = (ctx.spec.document.get("groups") or {}).get(group_name)
        if group is None and (declared is None or (declared or {}).get("absent") is True):
            raise OrgFileError(ctx.spec.source, format_path(path), "no group of this name (declare it under groups)")
        where = {**target, **({"group_id": group["id"]} if group is not None else {}), "role_id": role["id"]}
        return Change(
            FAMILY, "add", name, group_name, None, {"role": role_name}, False, _rbac.PHASE_GROUP_ADD, target=where
        )

    def apply(self, change: Change, ctx: ApplyContext) -> int:
        client = ctx.client
        project_id = ctx.project_id(change)
        gid = group_id(ctx, change, change.what)
        if change.action == "add":

            def find() -> Any:
                try:
                    return client.get_project_group(project_id, gid)
                except NotFoundError:
                    return None

            create_once(
                lambda: client.add_project_group(project_id, group_id=gid, role=str(change.target["role_id"])),
                find,
                what=change.describe(),
            )
        else:
            with contextlib.suppress(NotFoundError):
                client.remove_project_group(project_id, gid)
        return 1
