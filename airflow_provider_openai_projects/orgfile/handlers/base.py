"""What a resource handler is, and the contexts the planner and applier give it.

A handler owns one family of the org file: it reads what it needs through the
:class:`~..reader.LiveReader` (lazily, each list once), compares it with the file, emits
typed :class:`~..changes.Change` objects, and later applies one change at a time. The
planner and applier only iterate the registry (:data:`.HANDLERS`): adding a family is one
module and one row there.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from airflow_provider_openai_projects.client.resources import AdminMethods
from airflow_provider_openai_projects.orgfile.changes import Change
from airflow_provider_openai_projects.orgfile.model import OrgSpec
from airflow_provider_openai_projects.orgfile.reader import LiveReader


@dataclass
class PlanContext:
    """Shared by the handlers of one plan run, in registry order."""

    spec: OrgSpec
    reader: LiveReader
    projects: dict[str, dict[str, Any] | None] = field(default_factory=dict)
    """Project name -> the live active project it is matched to, or ``None`` when the plan
    creates it. Projects that are (or will be) archived are absent: nothing else is planned
    for them."""
    invites_needed: dict[str, dict[str, str]] = field(default_factory=dict)
    """email -> {project name: role}: people the file gives project roles who are neither
    organization members nor invited; one invite each carries all their roles."""
    org_roles: dict[str, str] = field(default_factory=dict)
    """email -> organization role for people who are invited."""
    revoked_invites: set[str] = field(default_factory=set)
    """emails whose pending invite this plan deletes (it gives a role the file does not)."""
    pending: list[dict[str, Any]] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    unmanaged_projects: int = 0

    def pending_invite(self, email: str) -> dict[str, Any] | None:
        """The pending invite of ``email`` that stays (one this plan deletes is not)."""
        return None if email.lower() in self.revoked_invites else self.reader.pending_invite(email)


@dataclass
class ApplyContext:
    """Shared by the changes of one apply run."""

    client: AdminMethods
    project_ids: dict[str, str] = field(default_factory=dict)
    """Project name -> id, for projects created by this run (create before reference)."""
    ids: dict[str, str] = field(default_factory=dict)
    """``<family>:<name>`` -> id of other objects created by this run (groups, roles)."""
    key_sinks: Mapping[str, Any] = field(default_factory=dict)
    """Sink name -> key sink object, for the service accounts this run creates."""

    def project_id(self, change: Change) -> str:
        """The project a change is about: its planned id, or the one created in this run."""
        project_id = change.target.get("project_id") or self.project_ids.get(change.where)
        if not project_id:
            raise RuntimeError(f"project {change.where!r} has no id: its create did not run before {change.describe()}")
        return str(project_id)


class Handler(Protocol):
    """One family of the org file (see the module docstring)."""

    family: str

    def plan(self, ctx: PlanContext) -> list[Change]:
        """The changes that make the live state match the file; reads only."""
        ...

    def apply(self, change: Change, ctx: ApplyContext) -> int:
        """Make one change (idempotently: a repeat after success changes nothing more);
        returns the number of write requests sent."""
        ...


class Exporter(Protocol):
    """A handler that also exports its family (optional: :func:`..engine.export` calls
    ``export`` on each handler that has one, in registry order)."""

    def export(self, reader: LiveReader, document: dict[str, Any]) -> None:
        """Add this family's live state to ``document`` (an org-file document); reads only."""
        ...
