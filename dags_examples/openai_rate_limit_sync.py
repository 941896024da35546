"""
### Keep every project's per-model rate limits as the policy says

Runs daily. The desired limits are declared once, for many projects, and the DAG makes
the organization match them, writing only what differs (a day with nothing to change
makes no write at all).

1. **load_policy** reads the policy: the Variable `openai_rate_limit_policy` (JSON) if it
   is set, else `config/rate_limits.yaml` next to this file. Both have the same shape:
   `{"project_name_pattern": "team-*", "rate_limits": {"gpt-4o*": {"max_requests_per_1_minute": 500}}}`.
   `project_name_pattern` (a glob on active project names) is optional: without it every
   active project is targeted.
2. **plan** (a dry run) reads each targeted project's limits once and logs, line by line,
   what would change (`DRY RUN: would set project team-search (proj_...) gpt-4o:
   max_requests_per_1_minute 10000 -> 500`). A model in the policy that no project has
   fails the run here, before any change.
3. **should_apply** stops here in a dry run (`dry_run` parameter) or when the plan found
   nothing to change.
4. **apply** writes the differences (one update per limit that differs, only the fields
   that differ) and logs one `CHANGE:` line per update.

#### Parameters
- `dry_run` (default `false`): only plan.

#### Running it against a real organization
- Connection `openai_admin_default` (type *OpenAI Admin API*): password = an organization
  **admin key** (`sk-admin-...`); host empty for `https://api.openai.com/v1`.
- Pool: `airflow pools set openai_admin_api 2 "OpenAI Admin API: bounds parallel calls"`.
  The sync makes one read per targeted project and one write per limit that differs: the
  Admin API allows only a few requests per minute per endpoint, so keep the pool small and
  set *Requests per minute* in the connection.
- Write your policy in `config/rate_limits.yaml` (reviewed, deployed with the DAGs) or in
  the Variable (changed without a deploy):
  `airflow variables set openai_rate_limit_policy '{"rate_limits": {"gpt-4o": {"max_requests_per_1_minute": 500}}}'`.
  Use model names your organization has: unknown ones fail the run.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pendulum
from airflow.sdk import Param, dag, task

from airflow_provider_openai_projects.operators import SyncRateLimitsOperator

POOL = "openai_admin_api"
"""Every task that calls the Admin API runs in this pool (see the DAG's documentation)."""

POLICY_VARIABLE = "openai_rate_limit_policy"
POLICY_FILE = Path(__file__).parent / "config" / "rate_limits.yaml"

DEFAULT_ARGS: dict[str, Any] = {
    "owner": "platform",
    "retries": 3,
    "retry_delay": timedelta(seconds=30),
    "retry_exponential_backoff": 2.0,
    "max_retry_delay": timedelta(minutes=10),
}


@dag(
    dag_id="openai_rate_limit_sync",
    schedule="@daily",
    start_date=pendulum.datetime(2026, 1, 1, tz="UTC"),
    catchup=False,
    max_active_runs=1,
    default_args=DEFAULT_ARGS,
    doc_md=__doc__,
    tags=["openai", "rate-limits", "policy"],
    params={"dry_run": Param(False, type="boolean", title="Dry run", description="Only plan; change nothing.")},
)
def openai_rate_limit_sync() -> None:
    @task(multiple_outputs=True)
    def load_policy() -> dict[str, Any]:
        """The policy from the Variable if set, else from the file; checked for shape here,
        and in detail (models, fields, values) by the operator before any request."""
        from airflow.sdk import Variable
        from airflow.sdk.exceptions import AirflowFailException

        from airflow_provider_openai_projects.ratelimit_policy import load_policy_document

        raw = Variable.get(POLICY_VARIABLE, default=None)
        if raw is not None:
            source = f"Variable {POLICY_VARIABLE!r}"
            try:
                document = load_policy_document(raw, source) if isinstance(raw, str) else raw
            except ValueError as error:  # one InvalidInputError naming the source; duplicate keys refused
                raise AirflowFailException(str(error)) from None
        else:
            source = f"file {POLICY_FILE}"
            try:
                document = load_policy_document(POLICY_FILE.read_text(encoding="utf-8"), source, yaml_document=True)
            except (OSError, ValueError) as error:
                raise AirflowFailException(f"cannot read the policy {source}: {error}") from None
        if not isinstance(document, dict) or not isinstance(document.get("rate_limits"), dict):
            raise AirflowFailException(f"{source}: must be a mapping with a 'rate_limits' mapping")
        unknown = sorted(set(document) - {"rate_limits", "project_name_pattern"})
        if unknown:
            raise AirflowFailException(
                f"{source}: unknown key(s) {unknown}; allowed: rate_limits, project_name_pattern"
            )
        pattern = document.get("project_name_pattern")
        if pattern is not None and not isinstance(pattern, str):
            raise AirflowFailException(f"{source}: project_name_pattern must be a string")
        import logging

        logging.getLogger("airflow.task").info(
            "Policy from %s: %d key(s), projects %s.",
            source,
            len(document["rate_limits"]),
            f"matching {pattern!r}" if pattern else "all active",
        )
        return {"rate_limits": document["rate_limits"], "project_name_pattern": pattern, "source": source}

    policy = load_policy()
    plan = SyncRateLimitsOperator(
        task_id="plan",
        rate_limits=policy["rate_limits"],
        project_name_pattern=policy["project_name_pattern"],
        dry_run=True,
        pool=POOL,
    )

    @task.short_circuit
    def should_apply(report: dict[str, Any], params: dict[str, Any] | None = None) -> bool:
        """Go on to apply only when not a dry run and the plan has something to change."""
        import logging

        log = logging.getLogger("airflow.task")
        planned = report["counts"].get("planned", 0)
        if params and params.get("dry_run"):
            log.info("Dry run: %d limit(s) would change; nothing was written.", planned)
            return False
        if not planned:
            log.info("Every targeted limit is already as the policy says; nothing to apply.")
            return False
        log.info("%d limit(s) to change.", planned)
        return True

    apply = SyncRateLimitsOperator(
        task_id="apply",
        rate_limits=policy["rate_limits"],
        project_name_pattern=policy["project_name_pattern"],
        dry_run=False,
        pool=POOL,
    )
    should_apply(plan.output) >> apply


openai_rate_limit_sync()
