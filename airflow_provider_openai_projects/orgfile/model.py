"""The org file as typed, validated values (built by :mod:`.loader`; no I/O here)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from airflow_provider_openai_projects.domain.ratelimit_policy import RateLimitPolicy

DEFAULT_MAX_DESTRUCTIVE_CHANGES = 10


@dataclass(frozen=True)
class ProjectSpec:
    """One project of the file. ``None`` means "not declared" (that family is not managed)."""

    name: str
    members: dict[str, str] | None = None
    """email (lower-cased) -> ``owner``/``member``; authoritative when declared."""
    rate_limits: RateLimitPolicy | None = None
    archived: bool | None = None

    @property
    def wants_archived(self) -> bool:
        return self.archived is True


@dataclass(frozen=True)
class OrgSpec:
    """The whole desired organization, plus the document it came from (for plans)."""

    source: str
    """Where it came from (a file name), for error messages."""
    projects: dict[str, ProjectSpec]
    organization_members: dict[str, str] | None = None
    """email (lower-cased) -> ``owner``/``reader``; not authoritative."""
    max_destructive_changes: int = DEFAULT_MAX_DESTRUCTIVE_CHANGES
    document: dict[str, Any] = field(default_factory=dict, compare=False)
    """The validated document as loaded (JSON-able), embedded in saved plans."""
