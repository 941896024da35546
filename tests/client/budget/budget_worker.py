"""One worker process of the multi-process budget tests: reads through a connection's shared budget.

    python -m tests.client.budget.budget_worker <calls per endpoint> <project id> <barrier dir>

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


def main(calls: int, project_id: str, barrier: Path) -> None:
    import json

    from airflow_provider_openai_projects.client import OpenAIAdminClient
    from airflow_provider_openai_projects.client.pacing import shared_pacer

    conn = json.loads(os.environ["AIRFLOW_CONN_OPENAI_ADMIN_DEFAULT"])
    extra = conn["extra"]
    pacer = shared_pacer(
        f"openai_admin_default {conn['host']}",
        extra["requests_per_minute"],
        backend=extra["rate_limit_backend"],
        connection="openai_admin_default",
    )
    hook = OpenAIAdminClient(conn["password"], base_url=conn["host"], pacer=pacer)
    (barrier / f"ready-{os.getpid()}").touch()
    while not (barrier / "go").exists():
        time.sleep(0.01)
    for _ in range(calls):
        hook.get_project(project_id)
        hook.list_rate_limits(project_id)


if __name__ == "__main__":
    main(int(sys.argv[1]), sys.argv[2], Path(sys.argv[3]))
