"""
### Export the organization's audit log, hour by hour

Every hour, the audit events of the past hour (`[data_interval_start, data_interval_end)`)
are written to one newline-delimited JSON file under the base folder, with the API's own
fields: `<base>/audit_logs/<start>_<end>.jsonl`; the tenant-scoped events (group
membership, role bindings), which the API lists apart, go to `<base>/audit_logs_tenant/`
the same way. A retry or a re-run of an hour rewrites
that hour's file whole; an event at the boundary of two hours is in exactly one file.
Each file written is an event of the Asset `openai_audit_logs_export` (its `extra` names
the file), so a warehouse load can be scheduled on it.

- Base folder: the Variable `openai_export_base_path` (a URL such as `s3://bucket/openai`
  or `file:///data/openai`; default `file:///tmp/openai-exports`). Any object store that
  an installed Airflow provider supports works, through `ObjectStoragePath`.
- Export a chosen hour again by hand: trigger the DAG (UI: *Trigger*) with the interval in its conf,
  `{"data_interval_start": "2026-11-27T10:00:00Z", "data_interval_end": "2026-11-27T11:00:00Z"}`.
  A manual run without them has no interval: it fails at once, saying this.
- Export every hour of a past period (the DAG unpaused):
  `airflow backfill create --dag-id openai_audit_export --from-date 2026-11-27T00:00:00 --to-date 2026-11-27T06:00:00`.
- Do not trigger with a logical date in the future: Airflow holds that run until then (running,
  no task started), and with one active run at a time it holds the DAG's other runs too.

Deploying: connection `openai_admin_default` (type *OpenAI Admin API*; password = an organization
**admin key** `sk-admin-...`); pool `openai_admin_api` (`airflow pools set openai_admin_api 2 ...`).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pendulum
from airflow.sdk import dag
from airflow.timetables.interval import CronDataIntervalTimetable

from airflow_provider_openai_projects.operators.exports import (
    INTERVAL_FROM_PARAMS,
    AuditLogsToStorageOperator,
    interval_params,
)

POOL = "openai_admin_api"  # every task that calls the Admin API runs in this pool
DEFAULT_ARGS: dict[str, Any] = {
    "owner": "security",
    "retries": 3,
    "retry_delay": timedelta(seconds=30),
    "retry_exponential_backoff": 2.0,
    "max_retry_delay": timedelta(minutes=10),
}

BASE_PATH = "{{ var.value.get('openai_export_base_path', 'file:///tmp/openai-exports') }}"


@dag(
    dag_id="openai_audit_export",
    schedule=CronDataIntervalTimetable("@hourly", timezone="UTC"),
    start_date=pendulum.datetime(2026, 1, 1, tz="UTC"),
    catchup=False,
    max_active_runs=1,
    default_args=DEFAULT_ARGS,
    doc_md=__doc__,
    tags=["openai", "audit", "export"],
    params=interval_params(),  # a manual run may name the interval to export
)
def openai_audit_export() -> None:
    # [START howto_operator_audit_logs_to_storage]
    AuditLogsToStorageOperator(
        task_id="export_audit_logs", path=BASE_PATH + "/audit_logs", pool=POOL, **INTERVAL_FROM_PARAMS
    )
    # [END howto_operator_audit_logs_to_storage]
    # Group membership and role bindings: the API lists these tenant-scoped events apart.
    AuditLogsToStorageOperator(
        task_id="export_tenant_audit_logs",
        path=BASE_PATH + "/audit_logs_tenant",
        tenant_only=True,
        pool=POOL,
        **INTERVAL_FROM_PARAMS,
    )


openai_audit_export()
