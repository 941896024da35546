"""
### Export usage and costs, day by day, with a cost chart

Every day, the completions usage (per project and model) and the costs (per project and
line item) of the past day are written as newline-delimited JSON under the base folder
(`<base>/usage_completions/…jsonl`, `<base>/costs/…jsonl`), one file per day, rewritten
whole on a retry or re-run. Then a per-project monthly cost chart (`costs/monthly.png`)
is drawn from every cost file of the month, next to the data (needs the `plot` extra:
`pip install "airflow-provider-openai-projects[plot]"`).

- Base folder: the Variable `openai_export_base_path` (default `file:///tmp/openai-exports`).
- Assets: `openai_usage_completions_export` and `openai_costs_export`, one event per file.

Deploying: connection `openai_admin_default` (type *OpenAI Admin API*; password = an organization
**admin key** `sk-admin-...`); pool `openai_admin_api` (`airflow pools set openai_admin_api 2 ...`).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pendulum
from airflow.sdk import dag, task
from airflow.timetables.interval import CronDataIntervalTimetable

from airflow_provider_openai_projects.operators.exports import CostsToStorageOperator, UsageToStorageOperator

POOL = "openai_admin_api"  # every task that calls the Admin API runs in this pool
DEFAULT_ARGS: dict[str, Any] = {
    "owner": "finops",
    "retries": 3,
    "retry_delay": timedelta(seconds=30),
    "retry_exponential_backoff": 2.0,
    "max_retry_delay": timedelta(minutes=10),
}

BASE_PATH = "{{ var.value.get('openai_export_base_path', 'file:///tmp/openai-exports') }}"


@dag(
    dag_id="openai_usage_costs_export",
    schedule=CronDataIntervalTimetable("@daily", timezone="UTC"),
    start_date=pendulum.datetime(2026, 1, 1, tz="UTC"),
    catchup=False,
    max_active_runs=1,
    default_args=DEFAULT_ARGS,
    doc_md=__doc__,
    tags=["openai", "usage", "costs", "export"],
)
def openai_usage_costs_export() -> None:
    # [START howto_operator_usage_costs_to_storage]
    usage = UsageToStorageOperator(
        task_id="export_usage",
        path=BASE_PATH + "/usage_completions",
        kind="completions",
        bucket_width="1d",
        group_by=["project_id", "model"],
        pool=POOL,
    )
    costs = CostsToStorageOperator(
        task_id="export_costs", path=BASE_PATH + "/costs", group_by=["project_id", "line_item"], pool=POOL
    )
    # [END howto_operator_usage_costs_to_storage]

    @task
    def chart(exported: dict[str, Any]) -> str | None:
        """Draw this month's cost per project next to the data; skipped without matplotlib."""
        from airflow_provider_openai_projects.exports.charts import draw_monthly_cost_chart

        return draw_monthly_cost_chart(exported["path"])

    usage >> costs
    chart(costs.output)


openai_usage_costs_export()
