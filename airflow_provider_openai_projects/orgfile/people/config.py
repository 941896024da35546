"""The ``people`` section as typed values (:class:`PeopleSpec`), and the loader's checks of
its meaning that the JSON Schema cannot express. Nothing here sends a request or reads the
roster.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from airflow_provider_openai_projects.domain.display import printable
from airflow_provider_openai_projects.orgfile.errors import OrgFileError, format_path

SECTION = "people"
FAMILY = "people"
"""The changes' family (:mod:`..handlers.people`)."""
COLUMNS = ("email", "status", "team", "manager")
DEFAULT_MAX_LEAVERS = 5
DEFAULT_MAX_ROWS = 100_000
BYTES_PER_ROW = 1024
"""A file roster may hold ``max_rows`` KiB (1 KiB a row on average, header included)."""


@dataclass(frozen=True)
class Team:
    """What a member of a team gets: project name -> role, and groups."""

    projects: dict[str, str] = field(default_factory=dict)
    groups: tuple[str, ...] = ()


@dataclass(frozen=True)
class PeopleSpec:
    """The section, defaults filled in (see the README's ``people`` section)."""

    source: dict[str, str]
    columns: dict[str, str]
    active: frozenset[str]
    leaver: frozenset[str]
    teams: dict[str, Team]
    organization_role: str = "reader"
    remove_from_organization: bool = True
    max_leavers: int = DEFAULT_MAX_LEAVERS
    max_rows: int = DEFAULT_MAX_ROWS

    @property
    def max_bytes(self) -> int:
        """The most bytes read from a file roster: ``max_rows`` x :data:`BYTES_PER_ROW`."""
        return self.max_rows * BYTES_PER_ROW

    @property
    def managed_projects(self) -> dict[str, list[str]]:
        """Project name -> the teams that grant it (the projects whose roster members are managed)."""
        found: dict[str, list[str]] = {}
        for name, team in self.teams.items():
            for project in team.projects:
                found.setdefault(project, []).append(name)
        return found

    @property
    def managed_groups(self) -> dict[str, list[str]]:
        """Group name -> the teams that grant it."""
        found: dict[str, list[str]] = {}
        for name, team in self.teams.items():
            for group in team.groups:
                found.setdefault(group, []).append(name)
        return found

    def describe_source(self) -> str:
        """The roster as named in messages: its URI without credentials or query (a signed
        URL's token stays out of errors and logs), or ``connection <conn_id>``."""
        if "uri" in self.source:
            return shown_uri(str(self.source["uri"]))
        return f"connection {self.source['conn_id']}"


def shown_uri(uri: str) -> str:
    """``uri`` without user, password, query or fragment, escaped for display."""
    parts = urlsplit(uri)
    netloc = parts.netloc.rpartition("@")[2]
    return printable(urlunsplit((parts.scheme, netloc, parts.path, "", "")))


def people_spec(document: Mapping[str, Any]) -> PeopleSpec | None:
    """The document's ``people`` section (schema-valid), or ``None`` when it has none."""
    raw = document.get(SECTION)
    if raw is None:
        return None
    leavers = raw.get("leavers") or {}
    return PeopleSpec(
        source=dict(raw["source"]),
        columns={name: str((raw.get("columns") or {}).get(name, name)) for name in COLUMNS},
        active=frozenset(s.strip().casefold() for s in raw["active"]),
        leaver=frozenset(s.strip().casefold() for s in raw["leaver"]),
        teams={
            name: Team(
                dict((entry or {}).get("projects") or {}), tuple(dict.fromkeys((entry or {}).get("groups") or ()))
            )
            for name, entry in (raw.get("teams") or {}).items()
        },
        organization_role=str(raw.get("organization_role", "reader")),
        remove_from_organization=bool(leavers.get("remove_from_organization", True)),
        max_leavers=int(raw.get("max_leavers", DEFAULT_MAX_LEAVERS)),
        max_rows=int(raw.get("max_rows", DEFAULT_MAX_ROWS)),
    )


def _check_source_uri(spec: PeopleSpec, source: str) -> None:
    """Refuse a roster URI that carries a password or a query (a signed URL's token): the
    file's document goes whole into every saved plan and XCom, where no secret may be. The
    error never quotes the URI."""
    if "uri" not in spec.source:
        return
    try:
        parts = urlsplit(str(spec.source["uri"]))
        password = parts.password
    except ValueError:  # a malformed netloc: reading it fails later, naming the roster
        return
    if password is not None or parts.query:
        what = "a password" if password is not None else "a query (a signed URL's token?)"
        raise OrgFileError(
            source,
            format_path([SECTION, "source", "uri"]),
            f"the URI carries {what}: it would be copied into every plan; give the credentials to the "
            "storage's connection or environment instead",
        )


def check_document(document: Mapping[str, Any], source: str) -> None:
    """Refuse, naming the path, what the schema cannot: a status both active and leaver, a
    column mapped twice, and a project or group whose members the file also lists
    (``projects.<name>.members``, ``groups.<name>.members``): two authorities over one
    membership would undo each other's changes on every run."""
    spec = people_spec(document)
    if spec is None:
        return
    _check_source_uri(spec, source)
    both = sorted(spec.active & spec.leaver)
    if both:
        raise OrgFileError(source, format_path([SECTION, "leaver"]), f"{both[0]!r} is also an active status")
    seen: dict[str, str] = {}
    for name, column in spec.columns.items():
        if column in seen:
            raise OrgFileError(
                source, format_path([SECTION, "columns", name]), f"column {column!r} is already {seen[column]}"
            )
        seen[column] = name
    projects = document.get("projects") or {}
    for project, teams in spec.managed_projects.items():
        if (projects.get(project) or {}).get("members") is not None:
            raise OrgFileError(
                source,
                format_path([SECTION, "teams", teams[0], "projects", project]),
                f"projects[{project!r}].members also lists this project's members: manage them in one place",
            )
    groups = document.get("groups") or {}
    for group, teams in spec.managed_groups.items():
        if (groups.get(group) or {}).get("members") is not None:
            raise OrgFileError(
                source,
                format_path([SECTION, "teams", teams[0], "groups"]),
                f"groups[{group!r}].members also lists this group's members: manage them in one place",
            )
