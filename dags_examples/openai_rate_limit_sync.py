"""
### Keep every project's per-model rate limits as the policy says

Runs daily; writes only what differs. **Scheduled runs only plan** (`dry_run` defaults to
true): read the plan's log, then apply with `airflow dags trigger openai_rate_limit_sync -c
'{"dry_run": false}'` (or set the Param's default to false once you trust the policy).

1. **load_policy** reads the Variable `openai_rate_limit_policy` (JSON) if set, else
   `config/rate_limits.yaml` next to this file: `{"project_name_pattern": "team-*",
   "rate_limits": {"gpt-4o*": {"max_requests_per_1_minute": 500}}}` (pattern optional: every
   active project). Use model names your organization has: unknown ones fail the plan.
2. **plan** (a dry run) reads each targeted project's limits once and logs what would change.
3. **should_apply** stops in a dry run or when nothing differs.
4. **apply** writes one update per limit that differs and logs one `CHANGE:` line each.

Deploying: connection `openai_admin_default` (type *OpenAI Admin API*, password = an organization
**admin key** `sk-admin-...`); pool `openai_admin_api` (`airflow pools set openai_admin_api 2 ...`);
`airflow dags unpause openai_rate_limit_sync` before `airflow dags trigger openai_rate_limit_sync`. See the README.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pendulum
from airflow.sdk import Param, Variable, dag, task

from airflow_provider_openai_projects.operators import SyncRateLimitsOperator
from airflow_provider_openai_projects.utils import reporting

POOL = "openai_admin_api"  # every task that calls the Admin API runs in this pool
DEFAULT_ARGS: dict[str, Any] = {
    "owner": "platform",
    "retries": 3,
    "retry_delay": timedelta(seconds=30),
    "retry_exponential_backoff": 2.0,
    "max_retry_delay": timedelta(minutes=10),
}
POLICY_VARIABLE = "openai_rate_limit_policy"
POLICY_FILE = Path(__file__).resolve().parent / "config" / "rate_limits.yaml"


@dag(
    dag_id="openai_rate_limit_sync",
    schedule="@daily",
    start_date=pendulum.datetime(2026, 1, 1, tz="UTC"),
    catchup=False,
    max_active_runs=1,
    default_args=DEFAULT_ARGS,
    doc_md=__doc__,
    tags=["openai", "rate-limits", "policy"],
    params={"dry_run": Param(True, type="boolean", description="Only plan; trigger with false to apply.")},
)
def openai_rate_limit_sync() -> None:
    @task(multiple_outputs=True)
    def load_policy() -> dict[str, Any]:
        """The Variable's JSON if set, else the YAML file; read strictly (a repeated key is refused)."""
        from airflow.sdk.exceptions import AirflowFailException

        from airflow_provider_openai_projects.domain.ratelimit_policy import load_policy_document

        raw = Variable.get(POLICY_VARIABLE, default=None)
        source = f"Variable {POLICY_VARIABLE!r}" if raw is not None else f"file {POLICY_FILE}"
        text = raw if raw is not None else POLICY_FILE.read_text(encoding="utf-8")
        try:
            document = load_policy_document(text, source, yaml_document=raw is None)
        except ValueError as error:  # one error naming the source: retrying cannot fix it
            raise AirflowFailException(str(error)) from None
        return reporting.policy_document(document, source)

    # [START howto_operator_sync_rate_limits]
    policy = load_policy()
    plan = SyncRateLimitsOperator(
        task_id="plan",
        rate_limits=policy["rate_limits"],
        project_name_pattern=policy["project_name_pattern"],
        dry_run=True,
        pool=POOL,
    )

    @task.short_circuit
    def should_apply(plan: dict[str, Any], params: dict[str, Any]) -> bool:
        return reporting.should_apply(plan, dry_run=params["dry_run"] is not False)

    apply = SyncRateLimitsOperator(
        task_id="apply",
        rate_limits=policy["rate_limits"],
        project_name_pattern=policy["project_name_pattern"],
        dry_run=False,
        pool=POOL,
    )
    should_apply(plan.output) >> apply
    # [END howto_operator_sync_rate_limits]


openai_rate_limit_sync()
