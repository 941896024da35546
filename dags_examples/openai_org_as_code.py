"""
### The organization as code: plan, human approval, apply, report

The org file `config/openai_org.yaml` (next to this file; the `org_file` parameter names
another) says what the OpenAI organization should be: projects, their members and rate
limits, organization roles. Triggered by hand or by CI after the file changed.

1. **plan** reads the live organization (reads only: one list of projects, then per
   project only the lists the file declares something for) and logs the plan table: what,
   where, before -> after, destructive changes marked `!`. The plan (no key, ever) goes to
   XCom.
2. **route**: nothing to change -> **in_sync**; else a human approves in the Airflow UI
   (**approve**, the standard provider's Human-in-the-loop approval, with the plan table as
   its body), or **skip_approval** when the run's `auto_approve` parameter is true.
3. **apply** applies exactly the approved plan: it re-plans and refuses, with no write, a
   plan that went stale while waiting for approval, or one with more destructive changes
   than `settings.max_destructive_changes`. On success it emits an event of the org file's
   asset (`openai_org_file`): schedule key rotation or reports on it.
4. **report** says what was done (or that the organization was in sync).

Rejecting the approval skips apply and report. Drift between runs is caught by the
`openai_org_drift` DAG. Outside Airflow, `openai-org plan -f config/openai_org.yaml`
shows the same plan.

#### Parameters
- `org_file` (default: `config/openai_org.yaml` next to this file).
- `auto_approve` (default `false`): apply without the human approval (for CI).

#### Running it against a real organization
- Connection `openai_admin_default` (type *OpenAI Admin API*): password = an organization
  **admin key** (`sk-admin-...`); host empty for `https://api.openai.com/v1`.
- Pool: `airflow pools set openai_admin_api 2 "OpenAI Admin API: bounds parallel calls"`.
  A plan makes one list read per project and family the file declares; at the Admin API's
  few requests per minute per endpoint, set *Requests per minute* in the connection.
- Start from the live organization: `openai-org export -o config/openai_org.yaml`, review,
  commit; planning it right away shows no change.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pendulum
from airflow.providers.standard.operators.empty import EmptyOperator
from airflow.sdk import Asset, Param, dag, task

from airflow_provider_openai_projects.operators import OrgApplyOperator, OrgPlanOperator

try:  # the standard provider's Human-in-the-loop approval (Airflow 3.1+)
    from airflow.providers.standard.operators.hitl import ApprovalOperator
except ImportError:  # pragma: no cover - older standard provider: approve by re-running with auto_approve
    ApprovalOperator = None

POOL = "openai_admin_api"
"""Every task that calls the Admin API runs in this pool (see the DAG's documentation)."""

DEFAULT_ARGS: dict[str, Any] = {
    "owner": "platform",
    "retries": 2,
    "retry_delay": timedelta(seconds=30),
    "retry_exponential_backoff": 2.0,
    "max_retry_delay": timedelta(minutes=10),
}
ORG_FILE = Path(__file__).parent / "config" / "openai_org.yaml"
ORG_ASSET = Asset(name="openai_org_file", uri=ORG_FILE.resolve().as_uri())
"""The org file as an asset: every successful apply emits an event of it."""

PLAN_TABLE = "{{ ti.xcom_pull(task_ids='plan')['table'] }}"


@dag(
    dag_id="openai_org_as_code",
    schedule=None,
    start_date=pendulum.datetime(2026, 1, 1, tz="UTC"),
    catchup=False,
    max_active_runs=1,
    default_args=DEFAULT_ARGS,
    doc_md=__doc__,
    tags=["openai", "org-as-code"],
    params={
        "org_file": Param(str(ORG_FILE), type="string", title="Org file", description="Path of the org file (YAML)."),
        "auto_approve": Param(False, type="boolean", title="Auto-approve", description="Apply without approval."),
    },
)
def openai_org_as_code() -> None:
    # [START howto_operator_org_plan]
    plan = OrgPlanOperator(task_id="plan", org_file="{{ params.org_file }}", pool=POOL)
    # [END howto_operator_org_plan]

    @task.branch
    def route(plan_result: dict[str, Any], params: dict[str, Any] | None = None) -> str:
        """``in_sync`` when nothing changes, else ``approve`` (or ``skip_approval``)."""
        if plan_result["in_sync"]:
            return "in_sync"
        if (params or {}).get("auto_approve") or ApprovalOperator is None:
            if ApprovalOperator is None and not (params or {}).get("auto_approve"):
                raise RuntimeError("this Airflow has no approval operator: re-run with auto_approve after review")
            return "skip_approval"
        return "approve"

    in_sync = EmptyOperator(task_id="in_sync")
    skip_approval = EmptyOperator(task_id="skip_approval")
    gates: list[Any] = [skip_approval]
    if ApprovalOperator is not None:
        gates.append(
            ApprovalOperator(
                task_id="approve",
                subject="Apply the plan of {{ params.org_file }} to the OpenAI organization?",
                body=f"```\n{PLAN_TABLE}\n```",
                response_timeout=timedelta(days=2),
            )
        )
    # [START howto_operator_org_apply]
    apply = OrgApplyOperator(
        task_id="apply",
        plan_task_id="plan",
        outlets=[ORG_ASSET],
        pool=POOL,
        trigger_rule="none_failed_min_one_success",
    )
    # [END howto_operator_org_apply]

    @task(trigger_rule="none_failed_min_one_success")
    def report(ti: Any = None) -> dict[str, Any]:
        """What was applied, or that nothing needed to change. Its upstream is only apply and
        in_sync (the plan is pulled, not passed), so a rejected approval skips it."""
        plan_result = ti.xcom_pull(task_ids="plan")
        applied = ti.xcom_pull(task_ids="apply")
        if not applied:
            print(f"In sync: {plan_result['summary']['source']} matches the organization; nothing applied.")
            return {"applied": 0, "writes": 0, "in_sync": True}
        for line in applied["done"]:
            print(f"APPLIED: {line}")
        return {"applied": applied["applied"], "writes": applied["writes"], "in_sync": False}

    routed = route(plan.output)
    routed >> [in_sync, *gates]
    gates >> apply
    [apply, in_sync] >> report()


openai_org_as_code()
