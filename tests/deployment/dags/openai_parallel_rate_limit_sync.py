"""Four rate-limit syncs in parallel over disjoint slices of projects, on one shared budget.

Not an example DAG: the deployment test copies it next to ``dags_examples/``. Each task
syncs the slice of ``project_ids`` given in the run's conf through the connection
``openai_admin_shared_budget``, whose ``rate_limit_backend`` is a SQLite file in the
deployment's home: the four task processes share one per-endpoint budget.
"""

from __future__ import annotations

from datetime import timedelta

import pendulum
from airflow.sdk import DAG

from airflow_provider_openai_projects.operators import SyncRateLimitsOperator

DAG_ID = "openai_parallel_rate_limit_sync"
TASKS = 4
CONN_ID = "openai_admin_shared_budget"

with DAG(
    DAG_ID,
    schedule=None,
    start_date=pendulum.datetime(2026, 1, 1, tz="UTC"),
    catchup=False,
    max_active_tasks=TASKS,
    # A failed try would be retried (and show as try_number 2): the test asserts none was.
    default_args={"retries": 1, "retry_delay": timedelta(seconds=2)},
    tags=["test"],
):
    for n in range(TASKS):
        SyncRateLimitsOperator(
            task_id=f"sync_{n}",
            openai_admin_conn_id=CONN_ID,
            project_ids="{{ dag_run.conf['slices'][" + str(n) + "] | tojson }}",
            rate_limits="{{ dag_run.conf['rate_limits'] | tojson }}",
        )
