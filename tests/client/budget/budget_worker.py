"""One worker process of the multi-process budget tests: reads through a connection's shared budget.

    python -m tests.client.budget.budget_worker <calls per endpoint> <project id> <barrier dir> [late every] [late]

With ``late every`` N and ``late`` F, every N-th sleep of the pacer overruns by F intervals,
as on a host too loaded to wake the process on time.

It imports and builds its client, says so (``ready-<pid>`` in the barrier directory) and
starts only when the test creates ``go`` there, so every worker paces at the same time
rather than while the others are still importing Airflow.

The connection comes from ``AIRFLOW_CONN_OPENAI_ADMIN_DEFAULT`` (its host, key,
``requests_per_minute`` and ``rate_limit_backend``); the client and its pacer are built as
the hook builds them (``shared_pacer``), without importing Airflow so the processes start
quickly (the hook's own use of the extra: ``test_the_hook_builds_a_shared_pacer_from_the_extra``).
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path


def main(calls: int, project_id: str, barrier: Path, late_every: int = 0, late: float = 0.0) -> None:
    import json

    from airflow_provider_openai_projects.client import OpenAIAdminClient
    from airflow_provider_openai_projects.client.shared_pacers import shared_pacer

    conn = json.loads(os.environ["AIRFLOW_CONN_OPENAI_ADMIN_DEFAULT"])
    extra = conn["extra"]
    pacer = shared_pacer(
        f"openai_admin_default {conn['host']}",
        extra["requests_per_minute"],
        backend=extra["rate_limit_backend"],
        connection="openai_admin_default",
    )
    hook = OpenAIAdminClient(conn["password"], base_url=conn["host"], pacer=pacer)
    if late_every:
        sleeps = 0

        def late_sleep(seconds: float) -> None:
            nonlocal sleeps
            sleeps += 1
            time.sleep(seconds + (late * pacer.interval if sleeps % late_every == 0 else 0.0))

        pacer._sleep = late_sleep
    (barrier / f"ready-{os.getpid()}").touch()
    while not (barrier / "go").exists():
        time.sleep(0.01)
    for _ in range(calls):
        hook.get_project(project_id)
        hook.list_rate_limits(project_id)


if __name__ == "__main__":
    extra = sys.argv[4:6]
    main(int(sys.argv[1]), sys.argv[2], Path(sys.argv[3]), *(int(extra[0]), float(extra[1])) if extra else ())
