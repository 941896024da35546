"""Shared by the per-project settings handlers: which projects of the file declare a key,
and the live project (or ``None`` when this plan creates it)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from airflow_provider_openai_projects.orgfile.handlers.base import PlanContext


def declaring(ctx: PlanContext, key: str) -> Iterator[tuple[str, dict[str, Any] | None, Any]]:
    """``(project name, live project or None, declared value)`` of each managed project
    (not archived) whose file entry has ``key``."""
    for name, raw in (ctx.spec.document.get("projects") or {}).items():
        if key in (raw or {}) and name in ctx.projects:
            yield name, ctx.projects[name], raw[key]


def target(project: dict[str, Any] | None) -> dict[str, Any]:
    return {"project_id": project["id"]} if project is not None else {}


def read_one(
    ctx: PlanContext, family: str, fields: tuple[str, ...], get: Callable[[str], Any], project_id: str
) -> dict[str, Any]:
    """One project's setting object ``get(project_id)``, read once per run (fingerprinted)."""
    return ctx.reader.read(f"{family}/{project_id}", fields, lambda: [get(project_id)])[0]
