"""The audit-log events since a cached position, or the reason they cannot be trusted.

A position is the ``effective_at`` of the newest event seen (``since``), the id of that
event (``anchor``), when the listing was made (``listed_at``, the planner's clock) and
the ids seen within the overlap window. An event may become visible up to
:data:`OVERLAP_SECONDS` after its ``effective_at``; so the next listing asks for
``effective_at >= min(since, listed_at - OVERLAP_SECONDS)`` (an event recorded late, with
an earlier time, is still listed; a quiet organization re-lists only the anchor's
second) and drops the ids already seen. The listing must contain the
anchor: if it does not, the log lost events (retention, another organization, logging
switched off) and nothing can be trusted (:class:`LogGap`). So does a 403/404 (audit
logging disabled or not permitted), a log that was empty when the cache was made (then
nothing proves that changes were logged), or more events than :data:`MAX_EVENTS` (a full
read is cheaper than following them).

Tenant-scoped events (group members) are listed apart (``tenant_only``) and only when
the cache holds a read they can make stale.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from airflow_provider_openai_projects.client.errors import NotFoundError, PermissionDeniedError

#: Late events are looked for this far before the position (seconds).
OVERLAP_SECONDS = 900
#: More events than this since the position: a full read is cheaper.
MAX_EVENTS = 2000
#: Families only tenant-scoped events change (``tenant.group.member.*``).
TENANT_FAMILIES = ("group_users",)


class LogGap(Exception):
    """The log cannot justify reusing anything; the message says why in one line."""


@dataclass
class Position:
    """Where in the audit log the cached reads are known to be true."""

    since: int | None = None
    anchor: str | None = None
    seen: dict[str, int] = field(default_factory=dict)
    """Ids of events from :meth:`lower_bound` on -> their ``effective_at``."""
    listed_at: int | None = None

    def lower_bound(self) -> int | None:
        """The earliest ``effective_at`` the next listing asks for (``None``: everything)."""
        if self.since is None:
            return None
        if self.listed_at is None:
            return max(0, self.since - OVERLAP_SECONDS)
        return max(0, min(self.since, self.listed_at - OVERLAP_SECONDS))

    def to_dict(self) -> dict[str, Any]:
        return {"since": self.since, "anchor": self.anchor, "seen": dict(self.seen), "listed_at": self.listed_at}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Position:
        since = data.get("since")
        seen = data.get("seen") or {}
        if since is not None and (isinstance(since, bool) or not isinstance(since, int)):
            raise ValueError("position.since is not a time")
        if not isinstance(seen, dict):
            raise ValueError("position.seen is not a mapping")
        anchor = data.get("anchor")
        listed_at = data.get("listed_at")
        return cls(
            since,
            str(anchor) if anchor else None,
            {str(k): int(v) for k, v in seen.items()},
            None if listed_at is None else int(listed_at),
        )

    def advanced(self, events: list[dict[str, Any]], now: int) -> Position:
        """The position after ``events`` (all seen), listed at ``now``: newest time and id,
        the ids the next listing will list again."""
        times = {**self.seen, **{str(e["id"]): int(e.get("effective_at") or 0) for e in events}}
        if not times:
            return Position(self.since, self.anchor, {}, now)
        since = max(max(times.values()), self.since or 0)
        anchor = self.anchor
        newest = [e for e in events if int(e.get("effective_at") or 0) == since]
        if newest:
            anchor = str(max(newest, key=lambda e: str(e["id"]))["id"])
        position = Position(since, anchor, {}, now)
        bound = position.lower_bound() or 0
        position.seen = {i: t for i, t in times.items() if t >= bound}
        return position


def _list(client: Any, query: dict[str, Any], tenant: bool) -> Iterator[dict[str, Any]]:
    if tenant:
        query = {**query, "tenant_only": True}
    yield from client.iter_audit_logs(**query)


def latest(client: Any, tenant: bool, now: int) -> Position:
    """The position now (the newest event; no time filter): taken before a full read, so
    the events of changes made during the read are listed by the next plan."""
    return follow(client, Position(), tenant, now, first=True)[1]


def follow(
    client: Any, position: Position, tenant: bool, now: int, *, first: bool = False
) -> tuple[list[dict[str, Any]], Position]:
    """The new events since ``position`` (oldest first) and the position after them.

    ``first``: no position yet; only the newest events are wanted (one page). Raises
    :class:`LogGap` when the log cannot be followed (module docstring).
    """
    if not first and position.anchor is None:
        raise LogGap("the audit log was empty when the cache was made: nothing proves changes are logged")
    query: dict[str, Any] = {}
    bound = position.lower_bound()
    if bound is not None:
        query["effective_at"] = {"gte": bound}
    events: list[dict[str, Any]] = []
    new = 0
    try:
        for stream in (False, True) if tenant else (False,):
            for number, event in enumerate(_list(client, query, stream), start=1):
                events.append(dict(event))
                if first and number >= 100:  # one page: the newest events (see latest)
                    break
                new += str(event["id"]) not in position.seen
                if new > MAX_EVENTS:
                    raise LogGap(f"more than {MAX_EVENTS} audit events since the cache: a full read is cheaper")
    except (PermissionDeniedError, NotFoundError) as error:
        raise LogGap(
            f"the audit log is not readable ({error.status_code}): audit logging off or not permitted"
        ) from None
    if first:
        return [], Position().advanced(events, now)
    ids = {str(e["id"]) for e in events}
    if position.anchor not in ids:
        raise LogGap("the audit log no longer lists the cache's last event: a gap in the log")
    fresh = [e for e in events if str(e["id"]) not in position.seen and str(e["id"]) != position.anchor]
    fresh.sort(key=lambda e: (int(e.get("effective_at") or 0), str(e["id"])))
    return fresh, position.advanced(fresh, now)
