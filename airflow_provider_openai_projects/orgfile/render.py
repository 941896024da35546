"""Plans as text: a terminal/log table and a Markdown approval body, risky changes first.

Both show one line per change with its risk level (:mod:`.risk`), action, family, where,
what and every field it sets (a create or invite lists all of its fields: a role's
permissions and description, a service account's sink and entry, an invite's roles and
projects; an update shows before -> after), then the plan's digest. Every name, email and
value from the file or the live organization goes through :func:`...domain.display.printable`
(terminal, log) or :func:`...domain.display.markdown_text` (Markdown): no control or
format character is shown raw, and no value can close a code span, add a table row or
add emphasis.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from airflow_provider_openai_projects.domain.display import markdown_text, printable
from airflow_provider_openai_projects.orgfile.changes import Change, Plan
from airflow_provider_openai_projects.orgfile.risk import CRITICAL, LEVELS, assess, objects_affected

DESTRUCTIVE_MARK = "!"
ARROW = "->"


def _value(value: Any) -> str:
    if value is None:
        return "(none)"
    if isinstance(value, list | dict):
        return json.dumps(value, sort_keys=True, ensure_ascii=False)
    return str(value)


def shown_fields(change: Change) -> str:
    """Every field ``change`` sets: ``role member -> owner``; ``permissions [...] (new)``;
    ``role owner (removed)``. Not escaped (the callers escape)."""
    before, after = change.before, change.after
    parts: list[str] = []
    if before is None and after is not None:
        parts = [f"{name} {_value(value)}" for name, value in after.items()]
        if change.family == "service_accounts" and "entry" in change.target:
            parts.append(f"entry {_value(change.target['entry'])}")
        return ", ".join(parts) + " (new)" if parts else "(new)"
    if after is None and before is not None:
        return ", ".join(f"{name} {_value(value)}" for name, value in before.items()) + " (removed)"
    names = list(dict.fromkeys([*(before or {}), *(after or {})]))
    return ", ".join(
        f"{name} {_value((before or {}).get(name))} {ARROW} {_value((after or {}).get(name))}" for name in names
    )


def ordered(plan: Plan) -> list[Change]:
    """The plan's changes, the most risky first (critical, risky, none), else in apply order."""
    rank = {level: index for index, level in enumerate(LEVELS)}
    return sorted(plan.changes, key=lambda change: -rank[assess(change).level])


def _rows(plan: Plan, escape: Callable[[object], str]) -> list[tuple[str, ...]]:
    rows: list[tuple[str, ...]] = []
    for change in ordered(plan):
        risk = assess(change)
        count = objects_affected(change)
        label = risk.label() + (f" ({count} objects)" if count > 1 and risk.risky else "")
        rows.append(
            (
                escape(label),
                escape(change.action),
                escape(change.family),
                escape(change.where),
                escape(change.what),
                escape(shown_fields(change)),
            )
        )
    return rows


def headline(plan: Plan) -> str:
    """``org.yaml: 7 changes, 2 risky (1 critical) affecting 3 objects (cap 10).`` (raw text)."""
    if plan.in_sync:
        return f"{plan.source_name}: in sync"
    risky = plan.risky_changes()
    critical = sum(1 for change in risky if assess(change).level == CRITICAL)
    return (
        f"{plan.source_name}: {len(plan.changes)} changes, {len(risky)} risky ({critical} critical) affecting "
        f"{plan.destructive_count} objects (cap {plan.max_destructive_changes})"
    )


def plan_table(plan: Plan) -> str:
    """The plan as a fixed-width table (risky changes first) followed by pending items,
    warnings, a summary line and the digest. Safe for a terminal or a log."""
    lines: list[str] = []
    if plan.changes:
        rows = _rows(plan, printable)
        header = ("RISK", "ACTION", "FAMILY", "WHERE", "WHAT", "BEFORE -> AFTER")
        widths = [max(len(row[i]) for row in [header, *rows]) for i in range(5)]
        for row in [header, *rows]:
            lines.append("  ".join(cell.ljust(widths[i]) for i, cell in enumerate(row[:5])) + "  " + row[5])
    for item in plan.pending:
        lines.append(
            f"pending: {printable(item['what'])} in {printable(item['where'])} as {printable(item['role'])} "
            f"({printable(item['status'])})"
        )
    for warning in plan.warnings:
        lines.append(f"warning: {printable(warning)}")
    lines.append(
        f"{printable(headline(plan))}; {plan.managed_projects} projects managed, "
        f"{plan.unmanaged_projects} unmanaged (not in the file, never changed); {len(plan.pending)} pending."
    )
    lines.append(f"digest: {plan.digest}")
    return "\n".join(lines)


def approval_markdown(plan: Plan) -> str:
    """The approval's body: a headline, the risky changes counted, a Markdown table with one
    row per change (risky first), pending items, warnings and the digest the approval records."""
    lines = [f"**{markdown_text(headline(plan))}**", ""]
    risky = plan.risky_changes()
    if risky:
        lines += [f"Risky changes first: {len(risky)} of {len(plan.changes)} need a close look.", ""]
    if plan.changes:
        lines.append("| Risk | Action | Family | Where | What | Before -> After |")
        lines.append("|---|---|---|---|---|---|")
        lines += ["| " + " | ".join(row) + " |" for row in _rows(plan, markdown_text)]
        lines.append("")
    for item in plan.pending:
        lines.append(
            f"- pending: {markdown_text(item['what'])} in {markdown_text(item['where'])} as "
            f"{markdown_text(item['role'])} ({markdown_text(item['status'])})"
        )
    for warning in plan.warnings:
        lines.append(f"- warning: {markdown_text(warning)}")
    if plan.pending or plan.warnings:
        lines.append("")
    lines.append(f"Digest (the approval applies only this plan): `{plan.digest}`")
    return "\n".join(lines)
