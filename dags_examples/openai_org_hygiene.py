"""
### Organization hygiene, daily: report first, act only when asked

Finds project keys and service accounts not used for `idle_days`, keys created by anyone
other than this automation (from the audit log), projects at or above a share of their
spend limit, and certificates expiring soon. The report is a table in the task log and a
JSON summary in XCom.

With `act` set (trigger with `{"act": true}`), it deletes the idle user keys and the idle
service accounts, except the names in `exclude_names` and the service accounts that key
rotation manages (`<name>--<generation>`): those are revoked by their rotation only.
Keys made outside the automation, spend and certificates are only reported.

Deploying: connection `openai_admin_default` (type *OpenAI Admin API*; password = an organization
**admin key** `sk-admin-...`); pool `openai_admin_api` (`airflow pools set openai_admin_api 2 ...`).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pendulum
from airflow.sdk import Param, dag

from airflow_provider_openai_projects.operators.hygiene import OrgHygieneOperator

POOL = "openai_admin_api"  # every task that calls the Admin API runs in this pool
DEFAULT_ARGS: dict[str, Any] = {
    "owner": "security",
    "retries": 3,
    "retry_delay": timedelta(seconds=30),
    "retry_exponential_backoff": 2.0,
    "max_retry_delay": timedelta(minutes=10),
}


@dag(
    dag_id="openai_org_hygiene",
    schedule="@daily",
    start_date=pendulum.datetime(2026, 1, 1, tz="UTC"),
    catchup=False,
    max_active_runs=1,
    default_args=DEFAULT_ARGS,
    doc_md=__doc__,
    tags=["openai", "hygiene", "security"],
    params={
        "act": Param(False, type="boolean", description="Delete idle user keys and idle service accounts."),
        "idle_days": Param(90, type="integer", minimum=1, description="Unused for this many days = idle."),
        "exclude_names": Param([], type="array", items={"type": "string"}, description="Never delete these."),
    },
    render_template_as_native_obj=True,
)
def openai_org_hygiene() -> None:
    # [START howto_operator_org_hygiene]
    OrgHygieneOperator(
        task_id="hygiene",
        act="{{ params.act }}",
        idle_days="{{ params.idle_days }}",
        exclude_names="{{ params.exclude_names }}",
        pool=POOL,
    )
    # [END howto_operator_org_hygiene]


openai_org_hygiene()
