"""Shared by the per-project settings handlers: which projects of the file declare a key,
and the live project (or ``None`` when this plan creates it)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from airflow_provider_openai_projects.orgfile.handlers.base import PlanContext
from airflow_provider_openai_projects.orgfile.handlers.projects import oldest_active
from airflow_provider_openai_projects.orgfile.model import OrgSpec
from airflow_provider_openai_projects.orgfile.reader import LiveReader


def declaring(ctx: PlanContext, key: str) -> Iterator[tuple[str, dict[str, Any] | None, Any]]:
    """``(project name, live project or None, declared value)`` of each managed project
    (not archived) whose file entry has ``key``."""
    for name, raw in (ctx.spec.document.get("projects") or {}).items():
        if key in (raw or {}) and name in ctx.projects:
            yield name, ctx.projects[name], raw[key]


def live_declaring(spec: OrgSpec, reader: LiveReader, key: str) -> int:
    """How many managed projects (not archived) of the file declare ``key`` and exist live
    (``reader`` holds the projects): the per-project reads of a family with one read each."""
    live = reader.snapshot.get("projects", [])
    raw: dict[str, Any] = spec.document.get("projects") or {}
    return sum(
        1
        for name, project in spec.projects.items()
        if not project.wants_archived and key in (raw.get(name) or {}) and oldest_active(live, name) is not None
    )


def target(project: dict[str, Any] | None) -> dict[str, Any]:
    return {"project_id": project["id"]} if project is not None else {}


def read_one(
    ctx: PlanContext, family: str, fields: tuple[str, ...], get: Callable[[str], Any], project_id: str
) -> dict[str, Any]:
    """One project's setting object ``get(project_id)``, read once per run (fingerprinted)."""
    return ctx.reader.read(f"{family}/{project_id}", fields, lambda: [get(project_id)])[0]
