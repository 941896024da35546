"""Exporting 100,000 audit events: calls, wall time against the throttle floor, memory.

``python -m benchmarks.exports`` seeds the emulator with N audit events inside one hour,
throttles the audit-log endpoint at R requests per minute (scaled, as the other
scenarios are: the ratios do not depend on the rate), paces the connection at R, and runs
``AuditLogsToStorageOperator`` over that hour into a local ``ObjectStoragePath``. It
reports the list calls against ``ceil(N / 100)``, the wall time against the floor
``calls / rate``, and the peak Python memory the export allocated (``tracemalloc``, a
separate run: tracing slows the export) at N/10 and N events: flat means streamed. The
section is written into docs/performance.md.
"""

from __future__ import annotations

import json
import math
import os
import sys
import tempfile
import time
import tracemalloc
from datetime import UTC, datetime, timedelta
from pathlib import Path

os.environ.setdefault("AIRFLOW_HOME", tempfile.mkdtemp(prefix="openai-provider-bench-"))

from airflow_provider_openai_projects.client.pacing import forget_shared_pacers
from airflow_provider_openai_projects.emulator.server import EmulatorServer
from benchmarks.harness import replace_section

SECTION_TITLE = "## Exporting audit logs"
ROOT = Path(__file__).resolve().parents[1]


def seed(emulator: EmulatorServer, events: int, start: int) -> None:
    """``events`` audit events spread over the hour starting at ``start`` (state only)."""
    state = emulator.state
    for n in range(events):
        state.advance_clock(start + (n * 3600) // events - state.now())
        state._append_event(
            "project.updated",
            {"id": "proj_bench", "changes_requested": {"title": f"p{n}"}},
            actor=None,
            project_id=None,
            resource_ids=["proj_bench"],
        )
    state.advance_clock(time.time() - state.now())


def export(emulator: EmulatorServer, start: datetime, rpm: float, folder: Path) -> tuple[int, int, float]:
    """(records, list calls, seconds) of one export of the hour at ``start``."""
    from airflow_provider_openai_projects.operators.exports import AuditLogsToStorageOperator

    connection = {"conn_type": "openai_admin", "host": emulator.base_url, "password": emulator.admin_key}
    os.environ["AIRFLOW_CONN_OPENAI_ADMIN_DEFAULT"] = json.dumps({**connection, "extra": {"requests_per_minute": rpm}})
    forget_shared_pacers()
    emulator.log.clear()
    operator = AuditLogsToStorageOperator(task_id="export", path=f"file://{folder}")
    context = {"data_interval_start": start, "data_interval_end": start + timedelta(hours=1)}
    began = time.perf_counter()
    result = operator.execute(context)  # type: ignore[arg-type]
    seconds = time.perf_counter() - began
    calls = sum(1 for e in emulator.log.entries() if e.path == "/organization/audit_logs")
    return int(result["records"]), calls, seconds


def peak_memory(emulator: EmulatorServer, start: datetime, folder: Path) -> float:
    """Peak MiB that Python allocated during one unthrottled export (tracemalloc)."""
    emulator.faults.throttle(None)
    tracemalloc.start()
    export(emulator, start, 1e9, folder)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return peak / 2**20


def main(events: int = 100_000, rpm: float = 6000.0) -> int:
    start = datetime.now(UTC).replace(minute=0, second=0, microsecond=0) - timedelta(hours=3)
    rows = []
    with EmulatorServer() as emulator, tempfile.TemporaryDirectory() as scratch:
        folder = Path(scratch)
        export(emulator, start, 1e9, folder)  # warm up: imports and first connections are not the export's
        for size in (events // 10, events):
            emulator.reset()
            seed(emulator, size, int(start.timestamp()))
            memory = peak_memory(emulator, start, folder)
            emulator.faults.throttle(rpm, burst=2, scope="endpoint")
            records, calls, seconds = export(emulator, start, rpm, folder)
            emulator.faults.throttle(None)
            floor = calls / (rpm / 60.0)
            rows.append((size, records, calls, math.ceil(size / 100), seconds, floor, memory))
            print(f"{size} events: {calls} calls, {seconds:.1f} s, peak {memory:.1f} MiB", file=sys.stderr)
    lines = [
        SECTION_TITLE,
        "",
        f"`python -m benchmarks.exports`: N audit events in one hour, exported by `AuditLogsToStorageOperator` "
        f"into a local `ObjectStoragePath`; the audit-log endpoint throttled at {rpm:g} requests/min (bucket 2) and "
        "the connection paced at the same rate. Peak memory is what Python allocated during a separate, unthrottled "
        "export (tracemalloc), emulator included: it stays flat because pages are streamed to the file.",
        "",
        "| events | exported | list calls | ceil(N/100) | wall s | floor s | wall / floor | peak MiB |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for size, records, calls, minimum, seconds, floor, memory in rows:
        lines.append(
            f"| {size:,} | {records:,} | {calls:,} | {minimum:,} | {seconds:.1f} | {floor:.1f} | "
            f"{seconds / floor:.2f} | {memory:.1f} |"
        )
    section = (
        "\n".join(lines) + f"\n\nLoad average while measured: {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs.\n"
    )
    output = ROOT / "docs" / "performance.md"
    previous = output.read_text() if output.exists() else ""
    output.write_text(replace_section(previous, SECTION_TITLE, section))
    print(section)
    return 0


if __name__ == "__main__":
    sys.exit(main(*(int(a) for a in sys.argv[1:2])))
