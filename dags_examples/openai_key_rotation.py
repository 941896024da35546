"""
### Rotate service-account keys, weekly

A service-account key can only be revoked by deleting its service account, so a logical
account (`search-backend`) is a series of generations (`search-backend--20261126T080000Z-3fa2c1`).
Consumers read the current key from the Variable `secret_variable` (JSON field `api_key`;
in a task `VariableKeySink().load(name).value`) and reload it. Per entry (mapped task group):

1. **rotate** creates this run's generation, stores its key as pending, verifies it
   (`GET /v1/models`) and promotes it to `secret_variable`; retries resume, never duplicate.
2. **wait_until_new_key_used** (deferrable) waits until the new key is used; after the grace
   period (`[openai_admin_examples] rotation_grace_period_hours`, default 48) it is skipped.
3. **delete_previous_generations** then deletes the previous generations.
4. **report** logs each entry and fails the run if one failed.

Parameter `entries`: `[{"project_id": "proj_...", "service_account_name": "search-backend",
"secret_variable": "openai_search_backend_api_key"}]`; empty (scheduled runs): the Variable
`openai_key_rotation_entries` (same JSON). Without either, `load_entries` fails once, naming it.

Deploying: connection `openai_admin_default` (type *OpenAI Admin API*, password = an organization
**admin key** `sk-admin-...`); pool `openai_admin_api` (`airflow pools set openai_admin_api 2 ...`);
`airflow dags unpause openai_key_rotation` before `airflow dags trigger openai_key_rotation`. See the README.
A triggerer runs the wait; `[openai_admin_examples] poll_interval_seconds` (default 300) sets its checks.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pendulum
from airflow.sdk import Param, TriggerRule, Variable, conf, dag, task, task_group

from airflow_provider_openai_projects.operators import (
    DeleteServiceAccountGenerationsOperator,
    RotateServiceAccountOperator,
)
from airflow_provider_openai_projects.sensors import ApiKeyUsageSensor
from airflow_provider_openai_projects.utils import reporting

POOL = "openai_admin_api"  # every task that calls the Admin API runs in this pool
DEFAULT_ARGS: dict[str, Any] = {
    "owner": "platform",
    "retries": 3,
    "retry_delay": timedelta(seconds=30),
    "retry_exponential_backoff": 2.0,
    "max_retry_delay": timedelta(minutes=10),
}
ENTRIES_VARIABLE = "openai_key_rotation_entries"
POLL_SECONDS = conf.getfloat("openai_admin_examples", "poll_interval_seconds", fallback=300.0)
GRACE_PERIOD = timedelta(hours=conf.getfloat("openai_admin_examples", "rotation_grace_period_hours", fallback=48.0))
ENTRY_SCHEMA = {
    "type": "object",
    "properties": {
        "project_id": {"type": "string", "pattern": r"^\S+$"},
        "service_account_name": {"type": "string", "minLength": 1, "maxLength": 100},
        "secret_variable": {"type": ["string", "null"], "pattern": r"^[A-Za-z0-9_.:/-]{1,240}$"},
    },
    "required": ["project_id", "service_account_name"],
    "additionalProperties": False,
}


@dag(
    dag_id="openai_key_rotation",
    schedule="@weekly",
    start_date=pendulum.datetime(2026, 1, 1, tz="UTC"),
    catchup=False,
    max_active_runs=1,
    default_args=DEFAULT_ARGS,
    doc_md=__doc__,
    tags=["openai", "secrets", "rotation"],
    params={"entries": Param([], type="array", items=ENTRY_SCHEMA, description=f"Empty: Variable {ENTRIES_VARIABLE}")},
)
def openai_key_rotation() -> None:
    @task
    def load_entries(params: dict[str, Any] | None = None) -> list[dict[str, Any]]:
        raw = None if (params or {}).get("entries") else Variable.get(ENTRIES_VARIABLE, default=None)
        return reporting.rotation_entries((params or {}).get("entries"), ENTRIES_VARIABLE, raw)

    # [START howto_operator_rotate_service_account]
    @task_group(group_id="rotate_entry")
    def rotate_entry(project_id: Any, service_account_name: Any, secret_variable: Any) -> None:
        rotate = RotateServiceAccountOperator(
            task_id="rotate",
            project_id=project_id,
            service_account_name=service_account_name,
            secret_variable=secret_variable,
            delete_previous=False,  # only after the new key is seen in use, or the grace period
            multiple_outputs=True,
            pool=POOL,
        )
        in_use = ApiKeyUsageSensor(
            task_id="wait_until_new_key_used",
            project_id=project_id,
            api_key_id=rotate.output["api_key_id"],
            used_after="{{ ti.start_date }}",  # the rotation's own verification call does not count
            deferrable=True,
            poke_interval=POLL_SECONDS,
            timeout=GRACE_PERIOD,
            soft_fail=True,  # grace period over: skipped, and the deletion goes ahead
            pool=POOL,
        )
        delete = DeleteServiceAccountGenerationsOperator(
            task_id="delete_previous_generations",
            project_id=project_id,
            service_account_name=service_account_name,
            secret_variable=secret_variable,
            keep_previous=0,
            trigger_rule=TriggerRule.NONE_FAILED,  # after the wait succeeded or was skipped
            pool=POOL,
        )
        rotate >> in_use >> delete

    # [END howto_operator_rotate_service_account]

    @task(trigger_rule=TriggerRule.ALL_DONE)
    def report(entries: list[dict[str, Any]] | None, ti: Any = None) -> dict[str, Any]:
        def result_of(task_id: str, index: int) -> Any:
            return ti.xcom_pull(task_ids=f"rotate_entry.{task_id}", map_indexes=index)

        return reporting.rotation_report(entries, result_of, variable=ENTRIES_VARIABLE)

    entries = load_entries()
    rotate_entry.expand_kwargs(entries) >> report(entries)


openai_key_rotation()
