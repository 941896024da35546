"""One task of the parallel benchmark, in a process of its own (as an Airflow worker runs it).

    python -m benchmarks.parallel_worker <job.json> <barrier dir>

``job.json`` holds ``project_ids`` and ``rate_limits`` (and optionally ``deferrable`` and
``defer_paced_work_after``); the connection comes from ``AIRFLOW_CONN_OPENAI_ADMIN_DEFAULT``.
The process imports and builds its client, touches ``ready-<pid>`` in the barrier directory
and starts when ``go`` appears there, so the measured time is the paced work, not Airflow's
import. Exit status 0: the try succeeded; 1: it failed (Airflow would retry it).

It writes ``slot-<pid>`` (JSON) with where its time went:

- ``slot``: seconds it held its worker slot (from ``go`` to the end of the work; with a
  deferral, the worker part before deferring plus the resume, as Airflow counts it);
- ``start``/``end``: epoch seconds of the work (the parent's wall time is the last ``end``);
- ``cpu``: CPU seconds of the process during the work;
- ``store``: seconds spent asking the budget for a slot (the store's lock and round trip);
- ``sleep``: seconds slept waiting for slots; ``reservations``: how many times the budget
  was asked (with the shared budget, a process that wakes to find the slot taken asks again);
- ``late``: total seconds the process woke up later than it meant to (scheduling delay
  on a loaded host).
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any


class Timings:
    """Wraps a pacer's ``reserve`` and sleep to measure where waiting time goes."""

    def __init__(self) -> None:
        self.store = 0.0
        self.sleep = 0.0
        self.late = 0.0
        self.reservations = 0

    def instrument(self, pacer: Any) -> None:
        # The shared budget's tasks ask the store at send time (``admit_now``); the
        # in-process pacer and the async client reserve ahead (``reserve``).
        asking = "admit_now" if hasattr(pacer, "admit_now") else "reserve"
        reserve: Callable[[str], float] = getattr(pacer, asking)
        sleep: Callable[[float], None] = pacer._sleep

        def timed_reserve(endpoint: str) -> float:
            began = time.perf_counter()
            try:
                return reserve(endpoint)
            finally:
                self.store += time.perf_counter() - began
                self.reservations += 1

        def timed_sleep(seconds: float) -> None:
            began = time.perf_counter()
            sleep(seconds)
            slept = time.perf_counter() - began
            self.sleep += slept
            self.late += max(slept - seconds, 0.0)

        setattr(pacer, asking, timed_reserve)
        pacer._sleep = timed_sleep


async def _first_event(trigger: Any) -> Any:
    events = [event async for event in trigger.run()]
    return events[0]


def main(job_file: Path, barrier: Path) -> int:
    from airflow.sdk.exceptions import TaskDeferred

    from airflow_provider_openai_projects.hooks.admin import OpenAIAdminHook
    from airflow_provider_openai_projects.operators import SyncRateLimitsOperator
    from benchmarks.harness import task_context

    job = json.loads(job_file.read_text())
    timings = Timings()
    timings.instrument(OpenAIAdminHook().client.pacer)  # also connects the budget back-end before the start
    (barrier / f"ready-{os.getpid()}").touch()
    while not (barrier / "go").exists():
        time.sleep(0.005)
    start, cpu_start = time.time(), time.process_time()
    slot = 0.0
    status = 0
    op = SyncRateLimitsOperator(
        task_id="sync",
        project_ids=job["project_ids"],
        rate_limits=job["rate_limits"],
        deferrable=bool(job.get("deferrable", False)),
        defer_paced_work_after=float(job.get("defer_paced_work_after", 60.0)),
    )
    context = task_context()
    try:
        try:
            op.execute(context)
            slot = time.time() - start
        except TaskDeferred as deferred:
            # The worker slot is released here; the trigger runs as the triggerer runs it.
            slot = time.time() - start
            event = asyncio.run(_first_event(deferred.trigger))
            resumed = time.time()
            op.resume_sync_from_trigger(context, event=event.payload)
            slot += time.time() - resumed
    except Exception as error:
        print(f"try failed: {type(error).__name__}: {error}", file=sys.stderr)
        status = 1
    end = time.time()
    record = {
        "slot": slot or end - start,
        "start": start,
        "end": end,
        "cpu": time.process_time() - cpu_start,
        "store": timings.store,
        "sleep": timings.sleep,
        "late": timings.late,
        "reservations": timings.reservations,
    }
    (barrier / f"slot-{os.getpid()}").write_text(json.dumps(record))
    return status


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1]), Path(sys.argv[2])))
