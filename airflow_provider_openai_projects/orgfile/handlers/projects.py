"""Projects: matched by name (oldest active), created when missing, archived on request."""

from __future__ import annotations

from typing import Any

from airflow_provider_openai_projects.client.errors import BadRequestError, OpenAIAdminError
from airflow_provider_openai_projects.domain.idempotency import create_once
from airflow_provider_openai_projects.orgfile.changes import PHASE_ARCHIVE, PHASE_CREATE_PROJECT, Change
from airflow_provider_openai_projects.orgfile.handlers.base import ApplyContext, PlanContext

FAMILY = "projects"


def is_active(project: dict[str, Any]) -> bool:
    return not project.get("archived_at") and project.get("status", "active") != "archived"


def oldest_active(projects: list[dict[str, Any]], name: str) -> dict[str, Any] | None:
    """The oldest active project called ``name`` (names are not unique), or ``None``."""
    matches = [p for p in projects if p.get("name") == name and is_active(p)]
    return min(matches, key=lambda p: p.get("created_at") or 0) if matches else None


class ProjectsHandler:
    """Creates missing projects, archives those the file marks ``archived: true``.

    Resolves every project name of the file for the handlers that run after it.
    """

    family = FAMILY

    def plan(self, ctx: PlanContext) -> list[Change]:
        live = ctx.reader.projects()
        by_name: dict[str, dict[str, Any]] = {}
        for candidate in sorted((p for p in live if is_active(p)), key=lambda p: p.get("created_at") or 0):
            by_name.setdefault(str(candidate.get("name")), candidate)
        changes: list[Change] = []
        matched: set[str] = set()
        for name, spec in ctx.spec.projects.items():
            project = by_name.get(name)
            if project is not None:
                matched.add(project["id"])
            if spec.wants_archived:
                if project is not None:
                    changes.append(
                        Change(
                            FAMILY,
                            "archive",
                            name,
                            name,
                            {"archived": False},
                            {"archived": True},
                            destructive=True,
                            phase=PHASE_ARCHIVE,
                            target={"project_id": project["id"]},
                        )
                    )
                continue
            if project is None:
                changes.append(Change(FAMILY, "create", name, name, None, {"name": name}, False, PHASE_CREATE_PROJECT))
            ctx.projects[name] = project
        ctx.unmanaged_projects = sum(1 for p in live if is_active(p) and p["id"] not in matched)
        return changes

    def apply(self, change: Change, ctx: ApplyContext) -> int:
        client = ctx.client
        if change.action == "create":
            name = change.where

            def find() -> Any:
                return oldest_active([dict(p) for p in client.list_projects()], name)

            project = create_once(lambda: client.create_project(name=name), find, what=f"project {name!r}")
            ctx.project_ids[name] = project["id"]
            return 1
        project_id = ctx.project_id(change)
        try:
            client.archive_project(project_id)
        except OpenAIAdminError as error:
            if not (error.maybe_applied or isinstance(error, BadRequestError)):
                raise
            if not client.get_project(project_id).get("archived_at"):
                raise
        return 1
