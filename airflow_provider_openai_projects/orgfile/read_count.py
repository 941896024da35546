"""How many list reads a plan makes: the count behind the progress line's "n of N".

A plan reads first the organization-wide lists (:func:`read_organization_lists`), which
the rest of the count depends on, then per project and per group only the lists the file
declares. The organization-wide lists are read when the *file* needs them, not when the
live state turns out to need them, so that the count is known before the first
per-project read:

- the projects (always);
- the people (users) when the file names anyone (project, organization or group members);
- the pending invites when someone the file names in a project or the organization is not
  in the organization (only they can be invited or pending), or when a live project lists
  its members (a pending invite could give someone a role there the file does not);
- the roles when the file declares roles, group roles or project groups;
- the groups when the file declares groups or project groups.

:func:`expected_reads` then counts exactly, for every family of :mod:`.handlers`. A family
added later counts its own reads: its handler defines ``count_reads`` (:class:`ReadCounter`),
which is added to the total. Reads only; the reads go through the run's
:class:`~.reader.LiveReader`, so nothing is read twice.
"""

from __future__ import annotations

from typing import Any, Protocol

from airflow_provider_openai_projects.orgfile.handlers import HANDLERS, _rbac
from airflow_provider_openai_projects.orgfile.handlers.projects import oldest_active
from airflow_provider_openai_projects.orgfile.model import OrgSpec
from airflow_provider_openai_projects.orgfile.reader import LiveReader


def _project_reads(raw: dict[str, Any]) -> int:
    """The lists (or objects) read for one live project whose file entry is ``raw``: one
    per family it declares (an empty ``rate_limits`` manages nothing, so reads nothing)."""
    return (
        (raw.get("members") is not None)
        + (raw.get("groups") is not None)
        + bool(raw.get("rate_limits"))
        + sum(key in raw for key in ("model_permissions", "hosted_tools", "data_retention"))
    )


class ReadCounter(Protocol):
    """A handler that counts its own reads (optional; see the module docstring)."""

    def count_reads(self, spec: OrgSpec, reader: LiveReader) -> int:
        """The reads this family's ``plan`` makes beyond the organization-wide lists, given
        what ``reader`` holds (at least the projects); reads nothing itself."""
        ...


def _projects(spec: OrgSpec) -> dict[str, dict[str, Any]]:
    """The file's projects that are managed (not to be archived), with their entries."""
    raw: dict[str, Any] = spec.document.get("projects") or {}
    return {name: raw.get(name) or {} for name, project in spec.projects.items() if not project.wants_archived}


def _groups(spec: OrgSpec) -> dict[str, dict[str, Any]]:
    """The file's groups that are kept (not ``absent``), with their entries."""
    declared: dict[str, Any] = spec.document.get("groups") or {}
    return {name: raw or {} for name, raw in declared.items() if (raw or {}).get("absent") is not True}


def _invitable(spec: OrgSpec) -> set[str]:
    """Everyone the file names as a project or organization member (they may be invited)."""
    named = {email for project in _projects(spec).values() for email in (project.get("members") or {})}
    named |= set(spec.organization_members or {})
    return {email.strip().lower() for email in named}


def needs_users(spec: OrgSpec) -> bool:
    return bool(_invitable(spec)) or any(group.get("members") for group in _groups(spec).values())


def needs_groups(spec: OrgSpec) -> bool:
    return bool(spec.document.get("groups")) or any(p.get("groups") for p in _projects(spec).values())


def needs_roles(spec: OrgSpec) -> bool:
    return (
        bool(spec.document.get("roles"))
        or any(group.get("roles") for group in _groups(spec).values())
        or any(p.get("groups") for p in _projects(spec).values())
    )


def needs_invites(spec: OrgSpec, reader: LiveReader) -> bool:
    """Whether a live project lists its members, or someone the file would invite is not in
    the organization (reads the people)."""
    live_projects = reader.snapshot.get("projects", [])
    if any(
        raw.get("members") is not None and oldest_active(live_projects, name) is not None
        for name, raw in _projects(spec).items()
    ):
        return True
    return any(reader.user_by_email(email) is None for email in _invitable(spec))


def read_organization_lists(spec: OrgSpec, reader: LiveReader) -> None:
    """Read the organization-wide lists the file needs (module docstring), setting
    ``reader.expected`` to the exact total as soon as it is known."""
    reader.projects()
    reader.expected = expected_reads(spec, reader)
    if needs_users(spec):
        reader.users()
    if needs_groups(spec):
        _rbac.groups(reader)
    if needs_roles(spec):
        _rbac.roles(reader)
    reader.expected = expected_reads(spec, reader)
    if needs_users(spec) and needs_invites(spec, reader):
        reader.invites()


def expected_reads(spec: OrgSpec, reader: LiveReader) -> int:
    """The list reads a plan of ``spec`` makes, exactly once the projects, people and groups
    are read (before that, each list not read yet counts as one read and no invite read).

    Reads nothing itself beyond what ``reader`` already holds.
    """
    have = reader.snapshot
    count = 1 + needs_users(spec) + needs_groups(spec) + needs_roles(spec)
    if "users" in have and needs_users(spec):
        count += needs_invites(spec, reader)
    live_projects = have.get("projects", [])
    for name, raw in _projects(spec).items():
        if oldest_active(live_projects, name) is not None:  # else created by the plan: nothing to read
            count += _project_reads(raw)
    if (spec.document.get("organization") or {}).get("data_retention") is not None:
        count += 1
    if "groups" in have:
        for name, raw in _groups(spec).items():
            if _rbac.group_named(reader, name) is not None:
                count += ("members" in raw) + ("roles" in raw)
    for handler in HANDLERS:  # families that count their own reads (ReadCounter)
        count_reads = getattr(handler, "count_reads", None)
        if count_reads is not None:
            count += int(count_reads(spec, reader))
    return count
