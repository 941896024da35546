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
- The chart: one bar per project, labelled with the project's name, the amount in dollars
  and cents at its end (more digits for a small amount: `$0.00225`).
- Export a chosen day again by hand: trigger the DAG (UI: *Trigger*) with the interval in its conf,
  `{"data_interval_start": "2026-11-27T00:00:00Z", "data_interval_end": "2026-11-28T00:00:00Z"}`.
  A manual run without them has no interval: it fails at once, saying this.
- Export every day of a past period (the DAG unpaused):
  `airflow backfill create --dag-id openai_usage_costs_export --from-date 2026-11-01 --to-date 2026-11-07`.
- Do not trigger with a logical date in the future: Airflow holds that run until then (running,
  no task started), and with one active run at a time it holds the DAG's other runs too.

Deploying: connection `openai_admin_default` (type *OpenAI Admin API*; password = an organization
**admin key** `sk-admin-...`); pool `openai_admin_api` (`airflow pools set openai_admin_api 2 ...`).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pendulum
from airflow.sdk import dag, task
from airflow.timetables.interval import CronDataIntervalTimetable

from airflow_provider_openai_projects.operators.exports import (
    INTERVAL_FROM_PARAMS,
    CostsToStorageOperator,
    UsageToStorageOperator,
    interval_params,
)

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
    params=interval_params(),  # a manual run may name the interval to export
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
        **INTERVAL_FROM_PARAMS,
    )
    costs = CostsToStorageOperator(
        task_id="export_costs",
        path=BASE_PATH + "/costs",
        group_by=["project_id", "line_item"],
        pool=POOL,
        **INTERVAL_FROM_PARAMS,
    )
    # [END howto_operator_usage_costs_to_storage]

    @task(pool=POOL)
    def chart(exported: dict[str, Any]) -> str | None:
        """Draw this month's cost per project, by project name, next to the data (no chart,
        and a warning, without matplotlib)."""
        from airflow_provider_openai_projects.exports.charts import draw_monthly_cost_chart
        from airflow_provider_openai_projects.hooks.admin import OpenAIAdminHook

        names = {p["id"]: p["name"] for p in OpenAIAdminHook().list_projects(include_archived=True)}
        return draw_monthly_cost_chart(exported["path"], names)

    usage >> costs
    chart(costs.output)


openai_usage_costs_export()
