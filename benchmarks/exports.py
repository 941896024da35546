"""Exporting 100,000 audit events: list calls, wall time against the throttle floor, memory.

``python -m benchmarks.exports [N]`` seeds the embedded emulator (in this process) with N
audit events inside one hour, throttles the audit-log endpoint at R requests per minute
(bucket 2), and runs ``AuditLogsToStorageOperator`` over that hour into a local
``ObjectStoragePath`` in a separate exporting process whose connection is paced at R. It
reports the list calls against ``ceil(N / 100)``, the export's wall time against the
floor ``calls / rate``, and the exporting process's peak resident set size
(``getrusage(RUSAGE_SELF).ru_maxrss``, read by that process after its imports and again
after the export), at N/10 and N events: flat means streamed. The emulator runs in the
measuring process, so its memory is not counted. The section is written into
docs/performance.md unless ``write_docs=False``.
"""

from __future__ import annotations

import json
import math
import os
import resource
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

os.environ.setdefault("AIRFLOW_HOME", tempfile.mkdtemp(prefix="openai-provider-bench-"))

from airflow_provider_openai_projects.emulator.server import EmulatorServer
from benchmarks.harness import CONN_ENV, connection_json, replace_section

SECTION_TITLE = "## Exporting audit logs"
ROOT = Path(__file__).resolve().parents[1]
AUDIT_PATH = "/organization/audit_logs"
_CHILD_FLAG = "--export-in-this-process"
#: Events in the hour before the measured one: the warm-up export writes a non-empty file
#: (its first records import what the measured export would otherwise import).
WARM_UP_EVENTS = 10


@dataclass(frozen=True)
class ExportRow:
    """One measured export of ``events`` seeded events."""

    events: int
    exported: int
    calls: int
    throttled: int
    seconds: float
    #: CPU seconds of the exporting process during the export, and of the emulator's
    #: process during the whole exporting process (its start and warm-up included).
    export_cpu_seconds: float
    emulator_cpu_seconds: float
    rate_per_minute: float
    rss_before_kib: int
    rss_peak_kib: int

    @property
    def minimum_calls(self) -> int:
        return math.ceil(self.events / 100)

    @property
    def floor_seconds(self) -> float:
        return self.calls / (self.rate_per_minute / 60.0)

    @property
    def ratio(self) -> float:
        return self.seconds / self.floor_seconds if self.floor_seconds else 0.0


def seed(emulator: EmulatorServer, events: int, start: int) -> None:
    """``events`` audit events spread evenly over the hour from ``start`` (state only, no API call)."""
    state = emulator.state
    for n in range(events):
        state.seed_audit_event(
            "project.updated",
            {"id": "proj_bench", "changes_requested": {"title": f"p{n}"}},
            effective_at=start + (n * 3600) // events,
            resource_ids=["proj_bench"],
        )


def _export_in_this_process(start_iso: str, folder: str) -> dict[str, Any]:
    """The exporting process: import, warm up (connection, hook, storage, lazy imports: one
    export of the hour before, :data:`WARM_UP_EVENTS` events), note RSS, export the hour at ``start``, note peak RSS.

    The connection (with its pacing) comes from the environment, as in a worker.
    """
    from airflow_provider_openai_projects.operators.exports import AuditLogsToStorageOperator

    start = datetime.fromisoformat(start_iso)
    warm_up = {"data_interval_start": start - timedelta(hours=1), "data_interval_end": start}
    AuditLogsToStorageOperator(task_id="warm_up", path=f"file://{folder}/warm-up").execute(warm_up)  # type: ignore[arg-type]
    operator = AuditLogsToStorageOperator(task_id="export", path=f"file://{folder}")
    context = {"data_interval_start": start, "data_interval_end": start + timedelta(hours=1)}
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    cpu, began = time.process_time(), time.perf_counter()
    result = operator.execute(context)  # type: ignore[arg-type]
    seconds, cpu = time.perf_counter() - began, time.process_time() - cpu
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return {
        "records": int(result["records"]),
        "seconds": seconds,
        "cpu_seconds": cpu,
        "rss_before_kib": before,
        "rss_peak_kib": peak,
    }


def export(emulator: EmulatorServer, start: datetime, rpm: float, folder: Path) -> tuple[dict[str, Any], int, int]:
    """Run one export in a fresh process: its report, and the list calls of the measured hour
    the emulator saw (all of them, and how many of those were throttled with a 429)."""
    env = {**os.environ, CONN_ENV: connection_json(emulator, requests_per_minute=rpm)}
    emulator.log.clear()
    emulator_cpu = time.process_time()  # this process: the emulator serving (the rest idles)
    done = subprocess.run(
        [sys.executable, "-m", "benchmarks.exports", _CHILD_FLAG, start.isoformat(), str(folder)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    emulator_cpu = time.process_time() - emulator_cpu
    if done.returncode != 0:
        raise RuntimeError(f"the exporting process failed:\n{done.stderr[-3000:]}")
    hour = [str(int(start.timestamp()))]
    calls = [e for e in emulator.log.entries() if e.path == AUDIT_PATH and e.query.get("effective_at[gte]") == hour]
    throttled = sum(1 for e in calls if e.status == 429)
    report = json.loads(done.stdout.strip().splitlines()[-1])
    return {**report, "emulator_cpu_seconds": emulator_cpu}, len(calls), throttled


def measure(events: int, rpm: float) -> list[ExportRow]:
    """Export N/10 and N seeded events, throttled at ``rpm``; one row each."""
    start = datetime.now(UTC).replace(minute=0, second=0, microsecond=0) - timedelta(hours=3)
    rows = []
    with EmulatorServer() as emulator, tempfile.TemporaryDirectory() as scratch:
        for size in (max(events // 10, 1), events):
            emulator.reset()
            seed(emulator, WARM_UP_EVENTS, int(start.timestamp()) - 3600)  # the warm-up's hour
            seed(emulator, size, int(start.timestamp()))
            emulator.faults.throttle(rpm, burst=2, scope="endpoint")
            report, calls, throttled = export(emulator, start, rpm, Path(scratch))
            emulator.faults.throttle(None)
            row = ExportRow(
                size,
                report["records"],
                calls,
                throttled,
                report["seconds"],
                report["cpu_seconds"],
                report["emulator_cpu_seconds"],
                rpm,
                report["rss_before_kib"],
                report["rss_peak_kib"],
            )
            rows.append(row)
            print(
                f"{size} events: {calls} calls ({throttled} throttled), {row.seconds:.1f} s "
                f"(floor {row.floor_seconds:.1f} s), RSS {row.rss_before_kib / 1024:.1f} -> "
                f"{row.rss_peak_kib / 1024:.1f} MiB",
                file=sys.stderr,
            )
    return rows


def render(rows: list[ExportRow], rpm: float, load: tuple[float, float]) -> str:
    lines = [
        SECTION_TITLE,
        "",
        "`python -m benchmarks.exports [N]` (`make bench-exports`): N audit events in one hour, seeded into the "
        "embedded emulator, exported by `AuditLogsToStorageOperator` into a local `ObjectStoragePath` by a "
        f"separate process; the audit-log endpoint throttled at {rpm:g} requests/min (bucket 2) and the connection "
        "paced at the same rate. Wall time is the operator's `execute` after a warm-up export of the hour before "
        f"({WARM_UP_EVENTS} events: connection, hook, storage, lazy imports); the floor is list calls / rate. Memory "
        "is the exporting process's peak resident set size (`getrusage(RUSAGE_SELF).ru_maxrss`) after the warm-up "
        "and after the export of the measured hour; the emulator runs in the measuring process and is not counted.",
        "",
        "| events | exported | list calls | of them 429 | ceil(N/100) | wall s | floor s | wall / floor "
        "| export CPU ms/call | emulator CPU ms/call | RSS before MiB | peak RSS MiB | growth MiB |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for row in rows:
        cells = [
            f"{row.events:,}",
            f"{row.exported:,}",
            f"{row.calls:,}",
            f"{row.throttled:,}",
            f"{row.minimum_calls:,}",
            f"{row.seconds:.1f}",
            f"{row.floor_seconds:.1f}",
            f"{row.ratio:.2f}",
            f"{1000 * row.export_cpu_seconds / max(row.calls, 1):.1f}",
            f"{1000 * row.emulator_cpu_seconds / max(row.calls, 1):.1f}",
            f"{row.rss_before_kib / 1024:.1f}",
            f"{row.rss_peak_kib / 1024:.1f}",
            f"{(row.rss_peak_kib - row.rss_before_kib) / 1024:.1f}",
        ]
        lines.append("| " + " | ".join(cells) + " |")
    lines += [
        "",
        f"Load average (1 min) while measured: {load[0]:.1f} before, {load[1]:.1f} after, on {os.cpu_count()} CPUs "
        "shared with other work. CPU per call (the exporting process during the export; the emulator's process "
        "during the whole exporting process, its start and warm-up included) is what the machine's load does not "
        f"change: the pacing interval is {60_000 / rpm:.0f} ms a call, so wall / floor stays near 1 where both fit "
        "into it on free CPUs, and grows with the load otherwise.",
    ]
    if len(rows) == 2 and rows[1].events > rows[0].events:
        small, large = rows
        grown = (large.rss_peak_kib - large.rss_before_kib) - (small.rss_peak_kib - small.rss_before_kib)
        per_event = 1024 * grown / (large.events - small.events)
        lines += [
            "",
            f"Memory: the export of {small.events:,} events grows the exporting process by "
            f"{(small.rss_peak_kib - small.rss_before_kib) / 1024:.1f} MiB, of {large.events:,} by "
            f"{(large.rss_peak_kib - large.rss_before_kib) / 1024:.1f} MiB, about {per_event:.0f} bytes per "
            "further event. The records are streamed (one page in memory, written a page per `write`), and a "
            "repeated event is dropped by a window of the last 1,000 ids (`RECENT_IDS`), not a set of every id: "
            "what the export holds does not grow with the number of events.",
        ]
    return "\n".join(lines) + "\n"


def main(events: int = 100_000, rpm: float = 6000.0, *, write_docs: bool = True) -> list[ExportRow]:
    before = os.getloadavg()[0]
    rows = measure(events, rpm)
    section = render(rows, rpm, (before, os.getloadavg()[0]))
    if write_docs:
        output = ROOT / "docs" / "performance.md"
        previous = output.read_text() if output.exists() else ""
        output.write_text(replace_section(previous, SECTION_TITLE, section))
    print(section)
    return rows


if __name__ == "__main__":
    if sys.argv[1:2] == [_CHILD_FLAG]:
        print(json.dumps(_export_in_this_process(sys.argv[2], sys.argv[3])))
        sys.exit(0)
    main(*(int(a) for a in sys.argv[1:2]))
    sys.exit(0)
