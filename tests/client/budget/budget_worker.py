"""One worker process of the multi-process budget tests: reads through a connection's shared budget.

    python -m tests.client.budget.budget_worker <calls per endpoint> <project id> <barrier dir>

It imports and builds its client, says so (``ready-<pid>`` in the barrier directory) and
starts only when the test creates ``go`` there, so every worker paces at the same time
rather than while the others are still importing Airflow.

The connection comes from ``AIRFLOW_CONN_OPENAI_ADMIN_DEFAULT`` (with its
``rate_limit_backend``), so the pacer is built exactly as in a task: by the hook.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path


def main(calls: int, project_id: str, barrier: Path) -> None:
    from airflow_provider_openai_projects.hooks.admin import OpenAIAdminHook

    hook = OpenAIAdminHook()
    assert hook.client is not None
    (barrier / f"ready-{os.getpid()}").touch()
    while not (barrier / "go").exists():
        time.sleep(0.01)
    for _ in range(calls):
        hook.get_project(project_id)
        hook.list_rate_limits(project_id)


if __name__ == "__main__":
    main(int(sys.argv[1]), sys.argv[2], Path(sys.argv[3]))
