"""Shared by the handlers of settings declared per scope (the organization and each
project): spend limit, spend alerts, certificates."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from airflow_provider_openai_projects.orgfile.changes import Change
from airflow_provider_openai_projects.orgfile.handlers._project_settings import declaring, live_declaring
from airflow_provider_openai_projects.orgfile.handlers.base import ApplyContext, PlanContext
from airflow_provider_openai_projects.orgfile.model import OrgSpec
from airflow_provider_openai_projects.orgfile.reader import LiveReader

ORGANIZATION = "organization"


@dataclass(frozen=True)
class Scope:
    """Where a key is declared: the organization, or a managed project (live or planned)."""

    where: str
    """``organization`` or the project's name (as changes name it)."""
    path: tuple[object, ...]
    """The key's path in the file (for errors)."""
    is_project: bool
    project: dict[str, Any] | None
    """The live project; ``None`` for the organization or a project this plan creates."""

    @property
    def is_new(self) -> bool:
        """A project this plan creates: nothing of it can be read yet."""
        return self.is_project and self.project is None

    @property
    def read_key(self) -> str:
        """The reader's cache key suffix: ``""`` for the organization, ``/<project id>``."""
        return f"/{self.project['id']}" if self.project is not None else ""

    def target(self) -> dict[str, Any]:
        """What a change's applier needs to find the scope again."""
        if not self.is_project:
            return {"project": False}
        return {"project": True, **({"project_id": self.project["id"]} if self.project is not None else {})}


def scopes(ctx: PlanContext, key: str) -> Iterator[tuple[Scope, Any]]:
    """``(scope, declared value)`` of the organization then each managed project declaring ``key``."""
    organization = ctx.spec.document.get("organization") or {}
    if key in organization:
        yield Scope(ORGANIZATION, (ORGANIZATION, key), False, None), organization[key]
    for name, project, wanted in declaring(ctx, key):
        yield Scope(name, ("projects", name, key), True, project), wanted


def scope_reads(spec: OrgSpec, reader: LiveReader, key: str) -> int:
    """The reads of a key read once per scope: the organization's when it declares ``key``,
    and one per live project that does (``reader`` holds the projects)."""
    return (key in (spec.document.get(ORGANIZATION) or {})) + live_declaring(spec, reader, key)


def project_of(change: Change, ctx: ApplyContext) -> str | None:
    """The project id of a project-scope change (planned, or created by this run); ``None``
    for the organization."""
    return ctx.project_id(change) if change.target.get("project") else None
