"""The roster sync's report from a plan (as saved: :meth:`~..changes.Plan.to_dict`): who
joins, moves, leaves, and the people to look at. Names and emails escaped for logs and
terminals (:func:`...domain.display.printable`), not for Markdown: a report rendered as
Markdown escapes them again (:func:`...domain.display.markdown_text`). Airflow-free; the
example DAG ``openai_roster_sync`` prints it."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from airflow_provider_openai_projects.domain.display import printable
from airflow_provider_openai_projects.orgfile.people.config import FAMILY
from airflow_provider_openai_projects.orgfile.risk import CRITICAL

if TYPE_CHECKING:
    from airflow_provider_openai_projects.orgfile.changes import Plan

RISKY = frozenset({"high"})
"""Risks of a people change that always need a person's approval: an offboarding."""
ROUTINE = frozenset({"joiner", "mover"})
"""Kinds of people change a deployment may let apply without approval."""


def describe(change: Mapping[str, Any]) -> str:
    """One change in words: ``invited as reader (team-search: member)``, ``added to project
    team-search (member)``, ``removed from group search-eng``, ``offboarded (projects: legacy;
    handed over to mgr@example.com)``."""
    after, before = change.get("after") or {}, change.get("before") or {}
    where = str(change.get("where", ""))
    shown = where.removeprefix("group ")
    place = f"group {printable(shown)}" if where.startswith("group ") else f"project {printable(where)}"
    if change.get("action") == "invite":
        grants = ", ".join(f"{printable(p)}: {r}" for p, r in (after.get("projects") or {}).items())
        return f"invited as {after.get('role')}" + (f" ({grants})" if grants else "")
    if (change.get("target") or {}).get("kind") == "leaver":
        projects = ", ".join(printable(p) for p in before.get("projects") or []) or "none"
        successor = before.get("handed_over_to")
        return f"offboarded (projects: {projects}" + (f"; handed over to {printable(successor)})" if successor else ")")
    if change.get("action") == "add":
        role = after.get("role")
        return f"added to {place}" + (f" ({role})" if role else "")
    return f"removed from {place}"


def roster_report(plan: Mapping[str, Any]) -> dict[str, Any]:
    """``{joiners, movers, leavers, look_at, risky, routine_only}``: emails (escaped) per
    kind, with what changes for each; ``look_at`` the plan's people warnings and pending
    joiners; ``risky``: an offboarding (:data:`RISKY`) or a destructive change of another
    family; ``routine_only``: every change is a joiner's or a mover's (:data:`ROUTINE`) and
    none touches an owner (its saved ``risk`` is not critical): :func:`is_routine`'s rule."""
    by_kind: dict[str, dict[str, list[str]]] = {"joiner": {}, "mover": {}, "leaver": {}}
    risky = False
    routine_only = True
    for change in plan.get("changes") or []:
        target = change.get("target") or {}
        ours = change.get("family") == FAMILY
        risky = risky or target.get("risk") in RISKY or (not ours and bool(change.get("destructive")))
        # as is_routine decides it (the route must not send to auto_approve what it refuses)
        critical = str(change.get("risk") or "").partition(":")[0] == CRITICAL
        routine_only = routine_only and ours and target.get("kind") in ROUTINE and not critical
        if not ours:
            continue
        lines = by_kind.setdefault(str(target.get("kind")), {}).setdefault(printable(change["what"]), [])
        lines.append(describe(change))
    look_at = [printable(w).removeprefix("people: ") for w in plan.get("warnings") or [] if w.startswith("people: ")]
    look_at += [
        f"{printable(p['what'])}: {printable(p['status'])}"
        for p in plan.get("pending") or []
        if str(p.get("status", "")).startswith("joiner")
    ]
    return {
        "joiners": by_kind["joiner"],
        "movers": by_kind["mover"],
        "leavers": by_kind["leaver"],
        "look_at": look_at,
        "risky": risky,
        "routine_only": routine_only,
    }


def is_routine(plan: Plan) -> bool:
    """Whether every change of ``plan`` is a joiner's or a mover's of the ``people`` family and
    none touches an owner: what a deployment may let through without a person
    (``openai_roster_sync``'s automatic approval). A leaver, or any other family's change, is not."""
    from airflow_provider_openai_projects.orgfile.risk import CRITICAL, assess

    return all(
        change.family == FAMILY and change.target.get("kind") in ROUTINE and assess(change).level != CRITICAL
        for change in plan.changes
    )
