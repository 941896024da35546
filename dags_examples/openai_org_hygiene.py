"""
### Organization hygiene, daily: report first, act only when asked

Finds project keys and service accounts not used for `idle_days`, keys created by anyone
other than this automation (from the audit log), projects at or above a share of their
spend limit, and certificates expiring soon. The report is a table in the task log and a
JSON summary in XCom.

With `act` set (trigger with `{"act": true}`), it deletes the idle service accounts, except
the names in `exclude_names` and the generations key rotation recorded (the service accounts
its `rotation_entries`, the rotations' `secret_variable` Variables, name; a `<name>--<N>`
name alone does not count): those are revoked by their rotation only. A person's idle key is
deleted only with `delete_user_keys`. Keys made outside the automation, spend and
certificates are only reported.

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
        "act": Param(False, type="boolean", description="Delete idle service accounts (and user keys, see below)."),
        "delete_user_keys": Param(False, type="boolean", description="With act: delete people's idle keys too."),
        "rotation_entries": Param(
            [], type="array", items={"type": "string"}, description="Key rotations' Variables: their generations stay."
        ),
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
        delete_user_keys="{{ params.delete_user_keys }}",
        rotation_entries="{{ params.rotation_entries }}",
        pool=POOL,
    )
    # [END howto_operator_org_hygiene]


openai_org_hygiene()
