"""Plans as text: a readable table (what, where, before -> after, destructive marked)."""

from __future__ import annotations

from airflow_provider_openai_projects.orgfile.changes import Plan, describe_fields

DESTRUCTIVE_MARK = "!"


def plan_table(plan: Plan) -> str:
    """The plan as a fixed-width table followed by pending items, warnings and a summary line."""
    lines: list[str] = []
    if plan.changes:
        rows = [
            (
                DESTRUCTIVE_MARK if c.destructive else "",
                c.action,
                c.family,
                c.where,
                c.what,
                describe_fields(c.before, c.after) if c.action not in ("create",) else "(new)",
            )
            for c in plan.changes
        ]
        header = ("", "ACTION", "FAMILY", "WHERE", "WHAT", "BEFORE -> AFTER")
        widths = [max(len(row[i]) for row in [header, *rows]) for i in range(5)]
        for row in [header, *rows]:
            lines.append("  ".join(cell.ljust(widths[i]) for i, cell in enumerate(row[:5])) + "  " + row[5])
    for item in plan.pending:
        lines.append(f"pending: {item['what']} in {item['where']} as {item['role']} ({item['status']})")
    for warning in plan.warnings:
        lines.append(f"warning: {warning}")
    state = (
        "in sync"
        if plan.in_sync
        else f"{len(plan.changes)} changes ({plan.destructive_count} destructive, marked {DESTRUCTIVE_MARK})"
    )
    lines.append(
        f"{plan.source}: {state}; {plan.managed_projects} projects managed, "
        f"{plan.unmanaged_projects} unmanaged (not in the file, never changed); {len(plan.pending)} pending."
    )
    return "\n".join(lines)
