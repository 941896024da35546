"""One task of the parallel benchmark, in a process of its own (as an Airflow worker runs it).

    python -m benchmarks.parallel_worker <job.json> <barrier dir>

``job.json`` holds ``project_ids`` and ``rate_limits``; the connection comes from
``AIRFLOW_CONN_OPENAI_ADMIN_DEFAULT``. The process imports and builds its client, touches
``ready-<pid>`` in the barrier directory and starts when ``go`` appears there, so the
measured time is the paced work, not Airflow's import. Exit status 0: the try succeeded;
1: it failed (Airflow would retry it). It writes ``slot-<pid>`` with the seconds it held.
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path


def main(job_file: Path, barrier: Path) -> int:
    from airflow_provider_openai_projects.hooks.admin import OpenAIAdminHook
    from airflow_provider_openai_projects.operators import SyncRateLimitsOperator
    from benchmarks.harness import task_context

    job = json.loads(job_file.read_text())
    assert OpenAIAdminHook().client is not None  # connect the budget back-end before the start
    (barrier / f"ready-{os.getpid()}").touch()
    while not (barrier / "go").exists():
        time.sleep(0.005)
    started = time.perf_counter()
    status = 0
    try:
        SyncRateLimitsOperator(task_id="sync", project_ids=job["project_ids"], rate_limits=job["rate_limits"]).execute(
            task_context()
        )
    except Exception as error:
        print(f"try failed: {type(error).__name__}: {error}", file=sys.stderr)
        status = 1
    (barrier / f"slot-{os.getpid()}").write_text(str(time.perf_counter() - started))
    return status


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1]), Path(sys.argv[2])))
