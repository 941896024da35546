"""The incremental plan: reuse the cached reads the audit log shows unchanged, re-read the rest.

:func:`prepare` decides, in this order: a full read when asked (``--full``), when the
cache is missing, unreadable or foreign (another organization, another file), when the
audit log cannot be followed (:class:`~.follow.LogGap`: not readable, a gap, too many
events), or when the last full read is older than ``settings.full_read_every`` (default a
day, so a change the log never shows is caught within a day) or as far in the future (a
cache from elsewhere must not postpone it). Otherwise it lists the
events since the cache's position, drops every cached read an event may have made stale
(:mod:`.invalidation`, own writes included; a family it has no row for is never reused
nor kept) and gives the engine a :class:`CachedReader`
that serves the other reads from the cache. The plan is computed as today
(:func:`~..engine.plan`) and is the plan a full read gives when the log is complete.

:meth:`Prepared.finish` then returns the plan with, per family, the reads made afresh and
reused (and as of when), the events behind each change (:mod:`.attribution`) and the new
cache (:mod:`.cache`) to save.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from airflow_provider_openai_projects.domain.display import printable
from airflow_provider_openai_projects.orgfile.changes import Plan
from airflow_provider_openai_projects.orgfile.incremental import attribution, follow
from airflow_provider_openai_projects.orgfile.incremental.cache import ReadCache
from airflow_provider_openai_projects.orgfile.incremental.invalidation import Stale, is_followed, is_stale, stale_reads
from airflow_provider_openai_projects.orgfile.model import OrgSpec
from airflow_provider_openai_projects.orgfile.progress import NO_PROGRESS, Progress
from airflow_provider_openai_projects.orgfile.reader import LiveReader

DEFAULT_FULL_READ_EVERY = 86400
_DURATION = re.compile(r"^([1-9][0-9]*)([smhd])$")
_UNIT = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def full_read_every(spec: OrgSpec) -> int:
    """``settings.full_read_every`` in seconds (``90m``, ``12h``, ``1d`` or seconds; the
    schema checks the shape); a day by default."""
    value = (spec.document.get("settings") or {}).get("full_read_every", DEFAULT_FULL_READ_EVERY)
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    match = _DURATION.match(str(value))
    return int(match.group(1)) * _UNIT[match.group(2)] if match else DEFAULT_FULL_READ_EVERY


class CachedReader(LiveReader):
    """A :class:`LiveReader` that serves ``reusable`` reads from the cache (not counted as
    reads); everything else is read afresh. Its snapshot (and fingerprint) is what a full
    read of the same state holds."""

    def __init__(self, client: Any, progress: Progress, reusable: dict[str, list[dict[str, Any]]]) -> None:
        super().__init__(client, progress)
        self.reusable = reusable
        self.reused: set[str] = set()

    def read(self, key: str, fields: tuple[str, ...], fetch: Callable[[], list[Any]]) -> list[dict[str, Any]]:
        if key not in self.snapshot and key in self.reusable:
            self.snapshot[key] = self.reusable.pop(key)
            self.reused.add(key)
        return super().read(key, fields, fetch)


@dataclass
class FamilyReads:
    """One family's reads in a plan: made afresh, reused, and the oldest reuse's time."""

    fresh: int = 0
    reused: int = 0
    reused_as_of: int | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"fresh": self.fresh, "reused": self.reused, "reused_as_of": self.reused_as_of}


@dataclass
class IncrementalPlan:
    """A plan and how it was read (see the module docstring)."""

    plan: Plan
    cache: ReadCache
    full_read: str | None
    """Why everything was read afresh (one line), ``None`` when the log was followed."""
    events: int
    """New events since the cache's position (own writes included)."""
    families: dict[str, FamilyReads]
    attribution: list[list[dict[str, Any]]]

    def headline(self) -> str:
        if self.full_read is not None:
            return f"full read: {self.full_read}."
        reused = sum(f.reused for f in self.families.values())
        return (
            f"incremental read: {self.events} audit events since the cache; "
            f"{self.plan.reads} reads made, {reused} reused."
        )

    def family_lines(self) -> list[str]:
        lines = []
        for name, family in sorted(self.families.items()):
            text = f"  {name}: {family.fresh} read afresh"
            if family.reused:
                as_of = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(family.reused_as_of or 0))
                text += f", {family.reused} reused (as of {as_of})"
            lines.append(text)
        return lines

    def drift_lines(self) -> list[str]:
        """One line per change, with who changed its object since the last apply."""
        lines = []
        for change, events in zip(self.plan.changes, self.attribution, strict=True):
            line = change.describe()
            if events:
                line += " [changed by " + "; ".join(attribution.event_text(e) for e in events) + "]"
            lines.append(line)
        return lines

    def to_dict(self) -> dict[str, Any]:
        """For ``--json`` and XCom: no key (ids, emails, names, times only)."""
        return {
            "full_read": self.full_read,
            "events": self.events,
            "families": {name: f.to_dict() for name, f in sorted(self.families.items())},
            "attribution": [
                [{"type": e["type"], "at": e["at"], "actor": e["actor"], "id": e["id"]} for e in events]
                for events in self.attribution
            ],
        }


@dataclass
class Prepared:
    """The reader of one incremental plan and what :meth:`finish` needs."""

    reader: CachedReader
    cache: ReadCache | None
    organization: str
    source: str
    full_read: str | None
    events: list[dict[str, Any]]
    position: follow.Position
    keys: attribution.AdminKeys
    now: int
    read_at: dict[str, int] = field(default_factory=dict)

    def finish(self, plan: Plan) -> IncrementalPlan:
        reader = self.reader
        read_at = {k: (self.read_at[k] if k in reader.reused else self.now) for k in reader.snapshot if is_followed(k)}
        families: dict[str, FamilyReads] = {}
        for key in reader.snapshot:
            family = families.setdefault(key.partition("/")[0], FamilyReads())
            if key in reader.reused:
                family.reused += 1
                at = read_at[key]
                family.reused_as_of = at if family.reused_as_of is None else min(family.reused_as_of, at)
            else:
                family.fresh += 1
        same = self.cache is not None and (self.cache.organization, self.cache.source) == (
            self.organization,
            self.source,
        )
        kept = list(self.cache.events) if same and self.cache is not None else []
        cached_reads = self.cache.reads if same and self.cache is not None else {}
        kept += [
            attribution.compact(e, self.keys, cached_reads) for e in self.events if not attribution.is_own(e, self.keys)
        ]
        new_cache = ReadCache(
            organization=self.organization,
            source=self.source,
            reads={k: v for k, v in reader.snapshot.items() if k in read_at},  # never reused: not kept
            read_at=read_at,
            position=self.position,
            full_read_at=self.now if self.full_read is not None else (self.cache.full_read_at if self.cache else 0),
            last_apply_at=self.cache.last_apply_at if same and self.cache is not None else None,
            events=kept,
        )
        changes = [c.to_dict() for c in plan.changes]
        return IncrementalPlan(
            plan,
            new_cache,
            self.full_read,
            len(self.events),
            families,
            attribution.attribute(changes, kept, reader.snapshot),
        )


def _base_url(client: Any) -> str:
    url = getattr(client, "base_url", None)
    if url is None:
        url = getattr(getattr(client, "client", None), "base_url", None)
    return str(url or "")


def _tenant(spec: OrgSpec, cache: ReadCache | None) -> bool:
    """Whether tenant-scoped events must be listed: the file or the cache has groups."""
    cached = cache is not None and any(k.partition("/")[0] in follow.TENANT_FAMILIES for k in cache.reads)
    return cached or bool(spec.document.get("groups"))


def prepare(
    client: Any,
    spec: OrgSpec,
    cache: ReadCache | None,
    *,
    unusable: str = "there is no cache yet",
    full: bool = False,
    clock: Callable[[], float] = time.time,
    progress: Progress = NO_PROGRESS,
) -> Prepared:
    """The reader of an incremental plan of ``spec`` (module docstring).

    ``cache``: the last cache, ``None`` when there is none or it was unusable (``unusable``
    says why); ``full``: read everything afresh (the log is still read, for attribution).
    """
    now = int(clock())
    keys = attribution.admin_keys(client)
    organization = f"{_base_url(client)}|{','.join(sorted(keys.own)) or '?'}"
    tenant = _tenant(spec, cache)
    reason: str | None = None
    events: list[dict[str, Any]] = []
    position: follow.Position | None = None
    if cache is None:
        reason = f"no usable cache ({printable(unusable)})"
    elif cache.organization != organization:
        reason = "the cache is of another organization (or another admin key)"
    elif cache.source != spec.source:
        reason = f"the cache is of another file ({printable(cache.source)[:200]})"
    else:
        try:
            events, position = follow.follow(client, cache.position, tenant, now)
        except follow.LogGap as gap:
            reason = str(gap)
    if reason is None and full:
        reason = "asked for (--full)"
    if reason is None and cache is not None and abs(now - cache.full_read_at) > full_read_every(spec):
        # a last full read in the future (a cache from elsewhere, a clock far off) must not
        # postpone the next one for ever
        reason = f"the last full read is older than settings.full_read_every ({full_read_every(spec)} s)"
        if cache.full_read_at > now:
            reason = f"the cache's last full read is in the future (more than {full_read_every(spec)} s ahead)"
    if position is None:
        try:
            position = follow.latest(client, tenant, now)
        except follow.LogGap:
            position = follow.Position()
    reusable: dict[str, list[dict[str, Any]]] = {}
    read_at: dict[str, int] = {}
    if reason is None and cache is not None:
        stale: set[Stale] = set()
        for event in events:
            stale |= stale_reads(event, cache.reads)
        reusable = {k: v for k, v in cache.reads.items() if is_followed(k) and not is_stale(k, stale)}
        read_at = dict(cache.read_at)
    return Prepared(
        CachedReader(client, progress, reusable),
        cache,
        organization,
        spec.source,
        reason,
        events,
        position,
        keys,
        now,
        read_at,
    )


def record_apply(cache: ReadCache, clock: Callable[[], float] = time.time) -> ReadCache:
    """The cache after an apply: attribution starts again (drift is counted from here)."""
    cache.last_apply_at = int(clock())
    cache.events = []
    return cache


def incremental_plan(
    client: Any,
    spec: OrgSpec,
    cache: ReadCache | None,
    **options: Any,
) -> IncrementalPlan:
    """:func:`prepare`, the engine's plan through its reader, :meth:`Prepared.finish`."""
    from airflow_provider_openai_projects.orgfile.engine import plan

    prepared = prepare(client, spec, cache, **options)
    return prepared.finish(plan(client, spec, options.get("progress", NO_PROGRESS), prepared.reader))


def summary_of(result: IncrementalPlan) -> Mapping[str, Any]:
    return {"headline": result.headline(), **result.to_dict()}
