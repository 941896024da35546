"""
### Rotate service-account keys, weekly

A service-account key can only be revoked by deleting its service account, so a logical
account (`search-backend`) is a series of generations (`search-backend--20261126T080000Z-3fa2c1`),
one per rotation. Consumers read the current key from one place, the Airflow Variable
`secret_variable` (in a task: `VariableKeySink().load(name).value`, which registers it with
Airflow's masker; elsewhere the JSON field `api_key` of the Variable), and reload it.

For each entry (dynamic task mapping over a task group: one failing entry does not block
the others):

1. **rotate** creates this run's generation, stores its key in a pending Variable at once,
   verifies that it works (`GET /v1/models`), then promotes it to `secret_variable`. A
   retry or a re-run of the same DAG run resumes and never makes a second generation.
   The previous generation is untouched.
2. **wait_until_new_key_used** (deferrable, in the triggerer) waits until the new key has
   been used after the rotation (its `last_used_at`): proof that consumers switched.
   It gives up after the grace period (`[openai_admin_examples] rotation_grace_period_hours`,
   default 48) and is then *skipped*, not failed.
3. **delete_previous_generations** runs after the wait succeeded *or* was skipped, and
   deletes the previous generations (their keys stop working). It never deletes the
   generation the Variable names.
4. **report** logs, per entry, what was rotated and deleted, and fails the run if an
   entry failed (after every other entry has finished).

**If a consumer never switches**: after the grace period the previous generation is
deleted anyway, and the report warns that the new key was never seen in use. Rotation
exists to bound the lifetime of every key; a consumer that keeps a key in memory beyond
the grace period gets `401` and must reload the Variable. A consumer that was simply idle
during the grace period is not affected: it reads the new key when it next starts.
Lengthen the grace period rather than skipping the deletion.

#### Parameters
- `entries`: `[{"project_id": "proj_...", "service_account_name": "search-backend",
  "secret_variable": "openai_search_backend_api_key"}]` (`secret_variable` optional,
  default `openai_<name>_api_key`). When empty (the scheduled runs), the entries come from
  the Variable `openai_key_rotation_entries` (the same JSON list).

#### Running it against a real organization
- Connection `openai_admin_default` (type *OpenAI Admin API*): password = an organization
  **admin key** (`sk-admin-...`); host empty for `https://api.openai.com/v1`.
- Pool: `airflow pools set openai_admin_api 2 "OpenAI Admin API: bounds parallel calls"`.
- A triggerer must run (`airflow triggerer`) for the deferrable wait.
- The entries of the scheduled runs:
  ```
  airflow variables set openai_key_rotation_entries \\
    '[{"project_id": "proj_...", "service_account_name": "search-backend"}]'
  ```
  The first rotation of a name creates its first generation; `openai_onboarding` mints
  generation `initial` of its team service account, which the first rotation replaces. An
  account made by `CreateServiceAccountOperator` under the plain name is not a generation:
  the rotation refuses to take over its Variable (give the entry another `secret_variable`).
- Your services must read the key from the Variable (or from wherever your sink puts it)
  and reload it at least once per grace period.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pendulum
from airflow.sdk import Param, TriggerRule, conf, dag, task, task_group

from airflow_provider_openai_projects.operators import (
    DeleteServiceAccountGenerationsOperator,
    RotateServiceAccountOperator,
)
from airflow_provider_openai_projects.sensors import ApiKeyUsageSensor

POOL = "openai_admin_api"
"""Every task that calls the Admin API runs in this pool (see the DAG's documentation)."""

ENTRIES_VARIABLE = "openai_key_rotation_entries"
POLL_SECONDS = conf.getfloat("openai_admin_examples", "poll_interval_seconds", fallback=300.0)
GRACE_PERIOD = timedelta(hours=conf.getfloat("openai_admin_examples", "rotation_grace_period_hours", fallback=48.0))

DEFAULT_ARGS: dict[str, Any] = {
    "owner": "platform",
    "retries": 3,
    "retry_delay": timedelta(seconds=30),
    "retry_exponential_backoff": 2.0,
    "max_retry_delay": timedelta(minutes=10),
}

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
    params={
        "entries": Param(
            [],
            type="array",
            items=ENTRY_SCHEMA,
            title="Entries",
            description=f"Service accounts to rotate; empty: read the Variable {ENTRIES_VARIABLE!r}.",
        ),
    },
)
def openai_key_rotation() -> None:
    @task
    def load_entries(params: dict[str, Any] | None = None) -> list[dict[str, Any]]:
        """The entries from the parameters, or from the Variable; checked for shape only, so
        that a bad entry fails in its own mapped group and the others still rotate."""
        import json

        from airflow.sdk import Variable
        from airflow.sdk.exceptions import AirflowFailException

        entries = (params or {}).get("entries") or []
        source = "the entries parameter"
        if not entries:
            source = f"Variable {ENTRIES_VARIABLE!r}"
            raw = Variable.get(ENTRIES_VARIABLE, default=None)
            if raw is None:
                raise AirflowFailException(
                    f"Nothing to rotate: no entries parameter and no {source}. Set it to a JSON list of "
                    '{"project_id": ..., "service_account_name": ..., "secret_variable": ...}.'
                )
            try:
                entries = json.loads(raw) if isinstance(raw, str) else raw
            except ValueError as error:
                raise AirflowFailException(f"{source} is not valid JSON: {error}") from None
        if not isinstance(entries, list) or not all(isinstance(e, dict) for e in entries):
            raise AirflowFailException(f"{source} must be a JSON list of objects")
        allowed = {"project_id", "service_account_name", "secret_variable"}
        for index, entry in enumerate(entries):
            unknown = sorted(set(entry) - allowed)
            if unknown:
                raise AirflowFailException(f"{source}[{index}]: unknown key(s) {unknown}; allowed: {sorted(allowed)}")
        return [
            {
                "project_id": entry.get("project_id"),
                "service_account_name": entry.get("service_account_name"),
                "secret_variable": entry.get("secret_variable"),
            }
            for entry in entries
        ]

    @task_group(group_id="rotate_entry")
    def rotate_entry(project_id: Any, service_account_name: Any, secret_variable: Any) -> None:
        rotate = RotateServiceAccountOperator(
            task_id="rotate",
            project_id=project_id,
            service_account_name=service_account_name,
            secret_variable=secret_variable,
            verify=True,
            delete_previous=False,  # only after the new key is seen in use, or the grace period
            multiple_outputs=True,
            pool=POOL,
        )
        in_use = ApiKeyUsageSensor(
            task_id="wait_until_new_key_used",
            project_id=project_id,
            api_key_id=rotate.output["api_key_id"],
            # A use after this task started: the rotation's own verification call does not count.
            used_after="{{ ti.start_date }}",
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

    entries = load_entries()
    rotations = rotate_entry.expand_kwargs(entries)

    @task(trigger_rule=TriggerRule.ALL_DONE)
    def report(entries: list[dict[str, Any]], ti: Any = None) -> dict[str, Any]:
        """Log what happened to each entry; fail the run if any entry failed."""
        import logging

        from airflow.sdk.exceptions import AirflowFailException

        log = logging.getLogger("airflow.task")
        group = "rotate_entry"
        outcomes: list[dict[str, Any]] = []
        for index, entry in enumerate(entries):
            rotated = ti.xcom_pull(task_ids=f"{group}.rotate", map_indexes=index)
            used = ti.xcom_pull(task_ids=f"{group}.wait_until_new_key_used", map_indexes=index)
            deleted = ti.xcom_pull(task_ids=f"{group}.delete_previous_generations", map_indexes=index)
            label = f"{entry['service_account_name']!r} in {entry['project_id']}"
            outcome: dict[str, Any] = {
                "project_id": entry["project_id"],
                "service_account_name": entry["service_account_name"],
                "ok": deleted is not None,
            }
            if rotated is None:
                log.error("%s: the rotation FAILED; the current key is unchanged (see the rotate task's log).", label)
            else:
                outcome.update(
                    generation=rotated["generation"],
                    service_account_id=rotated["service_account_id"],
                    redacted_value=rotated["redacted_value"],
                    secret_variable=rotated["secret_variable"],
                    new_key_seen_in_use=used is not None,
                )
                log.info(
                    "%s: generation %s is current (key %s in Variable %r).",
                    label,
                    rotated["generation"],
                    rotated["redacted_value"],
                    rotated["secret_variable"],
                )
                if deleted is None:
                    log.error("%s: previous generations were NOT deleted (the wait or the deletion failed).", label)
                else:
                    outcome["deleted"] = deleted["deleted"]
                    if used is None:
                        log.warning(
                            "%s: the new key was NOT seen in use within the grace period; the previous "
                            "generation was deleted anyway. Consumers still holding the old key get 401 and "
                            "must reload Variable %r.",
                            label,
                            rotated["secret_variable"],
                        )
                    log.info("%s: deleted previous generation(s): %s", label, deleted["deleted"] or "none left")
            outcomes.append(outcome)
        failed = [f"{o['service_account_name']} in {o['project_id']}" for o in outcomes if not o["ok"]]
        if failed:
            raise AirflowFailException(f"{len(failed)} of {len(outcomes)} rotation(s) failed: {', '.join(failed)}")
        return {"rotated": len(outcomes), "entries": outcomes}

    rotations >> report(entries)


openai_key_rotation()
