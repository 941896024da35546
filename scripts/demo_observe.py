"""The demo's ending, "Observing the organization": export what the story did, read it back.

Runs ``openai_audit_export`` once per hour and ``openai_usage_costs_export`` once per day
that the story's audit events span (``airflow dags test <dag> <end of the interval>``: a
run exports the interval that ends at its logical date), into ``<workdir>/exports`` (the
Variable ``openai_export_base_path``, given here as ``AIRFLOW_VAR_OPENAI_EXPORT_BASE_PATH``).
Then it reads the exported files back and prints the audit events by type and the cost per
project, each beside the emulator's own record of the same intervals (they must agree).
The hour in progress is exported as far as it has gone: a later run would rewrite its file.
"""

from __future__ import annotations

import json
import os
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

HOUR, DAY = timedelta(hours=1), timedelta(days=1)


def interval_ends(first: datetime, now: datetime, width: timedelta) -> list[datetime]:
    """The ends of the ``width``-long intervals (aligned in UTC) from ``first``'s to ``now``'s."""
    aligned = datetime.fromtimestamp(first.timestamp() // width.total_seconds() * width.total_seconds(), UTC)
    ends = []
    while aligned <= now:
        aligned += width
        ends.append(aligned)
    return ends


def audit_counts_in_files(folder: Path) -> Counter[str]:
    """Audit events per type in the exported ``.jsonl`` files of ``folder``."""
    counts: Counter[str] = Counter()
    for path in sorted(folder.glob("*.jsonl")):
        counts.update(json.loads(line)["type"] for line in path.read_text().splitlines())
    return counts


def costs_in_files(folder: Path) -> dict[str, float]:
    """USD per project id in the exported cost files of ``folder``."""
    totals: Counter[str] = Counter()
    for path in sorted(folder.glob("*.jsonl")):
        for bucket in map(json.loads, path.read_text().splitlines()):
            for result in bucket.get("results") or []:
                totals[str(result.get("project_id"))] += float(result["amount"]["value"])
    return dict(totals)


def emulated_audit_counts(emulator: Any, start: datetime, end: datetime) -> Counter[str]:
    """The emulator's own audit log: events of ``[start, end)`` that the API lists (the
    tenant-scoped ones, listed apart, included)."""
    from airflow_provider_openai_projects.emulator.families.audit_logs import AuditQuery

    effective_at = {"gte": int(start.timestamp()), "lt": int(end.timestamp())}
    queries = [AuditQuery(effective_at=effective_at, tenant_only=tenant) for tenant in (False, True)]
    return Counter(event.type for event in emulator.state.audit_events if any(q.matches(event) for q in queries))


def emulated_costs(emulator: Any, start: datetime, end: datetime) -> dict[str, float]:
    """USD per project id of the model calls the emulator counted in ``[start, end)``."""
    from airflow_provider_openai_projects.emulator.families.usage import INPUT_COST_USD, OUTPUT_COST_USD

    totals: Counter[str] = Counter()
    for call in emulator.state.model_calls:
        if start.timestamp() <= call.at < end.timestamp():
            totals[call.project_id] += INPUT_COST_USD + OUTPUT_COST_USD
    return dict(totals)


def observe(emulator: Any, workdir: Path, dags_test: Callable[[str, str], bool], say: Callable[..., None]) -> bool:
    """Export, read back, compare with the emulator; ``False`` if a run failed or a figure differs."""
    if not emulator.state.audit_events:
        say("- nothing was audited: nothing to export", 5)
        return True
    base = workdir / "exports"
    os.environ["AIRFLOW_VAR_OPENAI_EXPORT_BASE_PATH"] = f"file://{base}"
    say(f"(Variable openai_export_base_path = file://{base})", 5)
    first = datetime.fromtimestamp(min(e.effective_at for e in emulator.state.audit_events), UTC)
    now = datetime.fromtimestamp(emulator.state.now(), UTC)
    runs = [("openai_audit_export", end, HOUR) for end in interval_ends(first, now, HOUR)]
    runs += [("openai_usage_costs_export", end, DAY) for end in interval_ends(first, now, DAY)]
    for dag_id, end, width in runs:
        span = f"{end - width:%H:%M}-{end:%H:%M} UTC" if width == HOUR else f"{end - width:%Y-%m-%d} UTC"
        say(f"$ airflow dags test {dag_id} {end.isoformat()}   (exports {span})", 5)
        if not dags_test(dag_id, end.isoformat()):
            say(f"The {dag_id} run FAILED.", 5)
            return False
    audit_start = min(end - HOUR for dag_id, end, _ in runs if dag_id == "openai_audit_export")
    audit_end = max(end for dag_id, end, _ in runs if dag_id == "openai_audit_export")
    folders = [base / "audit_logs", base / "audit_logs_tenant"]  # the tenant-scoped events apart
    files = sorted(f"{p.parent.name}/{p.name}" for folder in folders for p in folder.glob("*.jsonl"))
    say(f"Audit events of everything above, by type (read back from {', '.join(files)}):", 5)
    exported = audit_counts_in_files(folders[0]) + audit_counts_in_files(folders[1])
    recorded = emulated_audit_counts(emulator, audit_start, audit_end)
    for event_type in sorted(set(exported) | set(recorded)):
        say(f"{event_type}: {exported[event_type]} exported, {recorded[event_type]} in the emulator's audit log", 7)
    days = [end for _, end, width in runs if width == DAY]
    cost_start, cost_end = min(days) - DAY, max(days)
    names = {p.id: p.name for p in emulator.state.projects}
    say("Cost per project (read back from the exported cost files):", 5)
    spent, counted = costs_in_files(base / "costs"), emulated_costs(emulator, cost_start, cost_end)
    for project_id in sorted(set(spent) | set(counted), key=lambda p: (-spent.get(p, 0.0), p)):
        say(
            f"{names.get(project_id, project_id)} ({project_id}): ${spent.get(project_id, 0.0):.5f} exported, "
            f"${counted.get(project_id, 0.0):.5f} by the emulator's usage",
            7,
        )
    agree = exported == recorded and {p: round(v, 8) for p, v in spent.items()} == {
        p: round(v, 8) for p, v in counted.items()
    }
    say(f"- the exported files {'agree' if agree else 'DO NOT agree'} with the emulator's records", 5)
    chart = base / "costs" / "monthly.png"
    if chart.exists():
        say(f"- the month's cost chart, by project name: {chart}", 5)
    return agree
