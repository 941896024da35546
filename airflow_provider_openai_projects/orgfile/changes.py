"""Typed changes and the plan that holds them (JSON round-trip, fingerprint, counts).

A :class:`Change` says what, where, before -> after (field by field), whether it is
destructive, its apply phase (create before reference, add before remove), and the ids
the applier needs. A :class:`Plan` is what a plan run found: the ordered changes, the
fingerprint of the live state it read, what it could not change yet (pending invites,
kept last owners) and the desired document it was computed from, so a saved plan can be
re-checked against a fresh one before it is applied.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field, fields
from pathlib import PurePath
from typing import Any, Literal

from airflow_provider_openai_projects.domain.display import printable
from airflow_provider_openai_projects.orgfile.risk import assess, objects_affected, risky_objects

Action = Literal["create", "invite", "add", "update", "remove", "archive"]

PLAN_FORMAT = 2
"""2: a digest and per-read digests (plans of format 1 are refused: plan again)."""

#: Apply phases: creates first, then pending invites the file overrides are revoked, then
#: invites (which reference projects), adds and promotions, settings, then demotions, removals and archives.
PHASE_CREATE_PROJECT = 10
PHASE_REVOKE_INVITE = 15
PHASE_INVITE = 20
PHASE_ORG_ROLE = 30
PHASE_ADD_MEMBER = 40
PHASE_PROMOTE = 41
PHASE_SETTINGS = 50
PHASE_DEMOTE = 55
PHASE_REMOVE = 60
PHASE_ARCHIVE = 70


def canonical(value: Any) -> bytes:
    """The canonical JSON of ``value`` (sorted keys, no spaces, UTF-8)."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


@dataclass(frozen=True)
class Change:
    """One change of the plan.

    :param family: the handler that planned it and applies it (``projects``, ``members``...).
    :param where: ``organization`` or the project's name.
    :param what: the subject: a project name, an email, a model or glob.
    :param before: the live values of the fields that differ (``None`` for a create/invite).
    :param after: the wanted values (``None`` for a removal).
    :param target: ids the applier needs (``project_id``, ``user_id``...); a project that is
        created by the same plan has no ``project_id`` yet (resolved by name at apply).
    """

    family: str
    action: Action
    where: str
    what: str
    before: dict[str, Any] | None
    after: dict[str, Any] | None
    destructive: bool
    phase: int
    target: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Change:
        """A change from :meth:`to_dict` (derived keys such as ``risk`` are ignored)."""
        names = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in names})

    def describe(self) -> str:
        """``update members team-search ada@example.com: role member -> owner``: one line, every
        name and value escaped (:func:`...domain.display.printable`), safe for a terminal, a log,
        an XCom shown in the UI and an error message."""
        return printable(
            f"{self.action} {self.family} {self.where} {self.what}: {describe_fields(self.before, self.after)}"
        )


def describe_fields(before: dict[str, Any] | None, after: dict[str, Any] | None) -> str:
    """``role member -> owner, ...``; a create or removal lists its one side."""
    if before is None and after is None:
        return ""
    names = list(dict.fromkeys([*(before or {}), *(after or {})]))
    parts = []
    for name in names:
        old = "-" if before is None else _show(before.get(name))
        new = "-" if after is None else _show(after.get(name))
        parts.append(f"{name} {old} -> {new}")
    return ", ".join(parts)


def _show(value: Any) -> str:
    if value is None:
        return "(none)"
    if isinstance(value, list | dict):
        return json.dumps(value, sort_keys=True)
    return str(value)


@dataclass
class Plan:
    """The result of a plan run (see the module docstring). JSON-able via :meth:`to_dict`."""

    source: str
    desired: dict[str, Any]
    fingerprint: str
    changes: list[Change]
    max_destructive_changes: int
    managed_projects: int = 0
    unmanaged_projects: int = 0
    pending: list[dict[str, Any]] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    reads: int = 0
    read_digests: dict[str, str] = field(default_factory=dict)
    """Each list read (``projects``, ``project_users/<id>``...) -> a digest of what it
    returned: apply names the objects that moved since the plan was made."""
    projects_read: list[dict[str, Any]] = field(default_factory=list, repr=False, compare=False)
    """The projects the plan read (names for messages; not saved)."""

    @property
    def in_sync(self) -> bool:
        return not self.changes

    @property
    def source_name(self) -> str:
        """The org file's name (no folder): what approvals and summaries show."""
        return PurePath(self.source).name or self.source

    @property
    def digest(self) -> str:
        """``sha256:<hex>`` over the file's content, the live fingerprint, the changes and what
        an approval shows beside them (:func:`plan_digest`)."""
        return plan_digest(self)

    @property
    def destructive_count(self) -> int:
        """The objects affected by risky changes (what ``settings.max_destructive_changes``
        caps; see :mod:`.risk`)."""
        return risky_objects(self.changes)

    def risky_changes(self) -> list[Change]:
        return [change for change in self.changes if assess(change).risky]

    def summary(self) -> dict[str, Any]:
        """Counts only (XCom-safe; no ids beyond names and emails of the file)."""
        by_action: dict[str, int] = {}
        for change in self.changes:
            by_action[change.action] = by_action.get(change.action, 0) + 1
        return {
            "source": self.source,
            "in_sync": self.in_sync,
            "changes": len(self.changes),
            "risky": len(self.risky_changes()),
            "destructive": self.destructive_count,
            "by_action": by_action,
            "managed_projects": self.managed_projects,
            "unmanaged_projects": self.unmanaged_projects,
            "pending": len(self.pending),
            "warnings": list(self.warnings),
            "fingerprint": self.fingerprint,
            "digest": self.digest,
            "reads": self.reads,
        }

    def to_dict(self) -> dict[str, Any]:
        """JSON-able; each change also carries its derived ``risk`` (ignored when read back)."""
        return {
            "format": PLAN_FORMAT,
            "source": self.source,
            "digest": self.digest,
            "fingerprint": self.fingerprint,
            "read_digests": self.read_digests,
            "max_destructive_changes": self.max_destructive_changes,
            "managed_projects": self.managed_projects,
            "unmanaged_projects": self.unmanaged_projects,
            "summary": self.summary(),
            "changes": [
                {**change.to_dict(), "risk": assess(change).label(), "objects": objects_affected(change)}
                for change in self.changes
            ],
            "pending": self.pending,
            "warnings": self.warnings,
            "reads": self.reads,
            "desired": self.desired,
        }

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2, sort_keys=False)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Plan:
        if data.get("format") != PLAN_FORMAT:
            raise ValueError(f"not a plan of format {PLAN_FORMAT} (format: {data.get('format')!r})")
        return cls(
            source=data["source"],
            desired=data["desired"],
            fingerprint=data["fingerprint"],
            changes=[Change.from_dict(c) for c in data["changes"]],
            max_destructive_changes=data["max_destructive_changes"],
            managed_projects=data.get("managed_projects", 0),
            unmanaged_projects=data.get("unmanaged_projects", 0),
            pending=list(data.get("pending", [])),
            warnings=list(data.get("warnings", [])),
            reads=data.get("reads", 0),
            read_digests=dict(data.get("read_digests", {})),
        )


def plan_digest(plan: Plan) -> str:
    """``sha256:<hex>`` of a canonical JSON of the plan's file (name and validated content),
    the fingerprint of the live state it read and its changes, and of everything else an
    approval shows beside them (pending items, warnings, the cap, the project counts), so
    that no part of what a person approves can be edited in a saved plan or an XCom."""
    payload = {
        "source_name": plan.source_name,
        "desired": plan.desired,
        "fingerprint": plan.fingerprint,
        "changes": [change.to_dict() for change in plan.changes],
        "shown": {
            "pending": plan.pending,
            "warnings": plan.warnings,
            "max_destructive_changes": plan.max_destructive_changes,
            "managed_projects": plan.managed_projects,
            "unmanaged_projects": plan.unmanaged_projects,
        },
    }
    return "sha256:" + hashlib.sha256(canonical(payload)).hexdigest()
