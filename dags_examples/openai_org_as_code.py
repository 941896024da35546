"""
### The organization as code: plan, human approval, apply, report

The org file `config/openai_org.yaml` (next to this file; the `org_file` parameter names
another) says what the OpenAI organization should be: projects, their members and rate
limits, organization roles. Triggered by hand or by CI after the file changed.

1. **plan** reads the live organization (reads only: one list of projects, then per
   project only the lists the file declares something for) and logs the plan table: risk,
   action, where, before -> after, risky changes first, and the plan's digest. The plan (no
   key, ever) goes to XCom, signed with a key derived from the connection's admin key.
2. **route**: nothing to change -> **in_sync**; a plan with no risky change when the
   deployment allows it (Airflow Variable `openai_org_auto_approve` = `no_risk`; default
   `never`) -> **auto_approve**; else **approve**: a person approves in the Airflow UI
   (Required Actions) or through the REST API. No run parameter skips the approval.
3. **approve** (the standard provider's Human-in-the-loop approval) shows the plan as a
   table, risky changes first, and its digest. Approvers: the Airflow Variable
   `openai_org_approvers` (JSON list of user ids, or of `{"id": ..., "name": ...}`); the user
   who triggered the run cannot approve it (four eyes). It records the approved digest;
   a rejection fails it ("rejected by ...") and nothing is applied.
4. **apply** applies only the plan with the approved digest: it refuses, with no write, a
   plan whose signature or digest does not match, a plan that went stale while waiting
   (the error names what moved), or one whose risky changes affect more objects than
   `settings.max_destructive_changes`. On success it emits an event of the org file's
   asset (`openai_org_file`): schedule key rotation or reports on it.
5. **report** says what was done (or that the organization was in sync).

The REST form of the approval (`{run_id}` of the run):
`PATCH /api/v2/dags/openai_org_as_code/dagRuns/{run_id}/taskInstances/approve/-1/hitlDetails`
with `{"chosen_options": ["Approve"], "params_input": {}}`. Drift between runs is caught
by the `openai_org_drift` DAG. Outside Airflow, `openai-org plan -f config/openai_org.yaml`
shows the same plan.

#### Parameters
- `org_file` (default: `config/openai_org.yaml` next to this file).

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
from airflow_provider_openai_projects.operators.org_approval import approval_gates, approval_policy

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

AUTO_APPROVE_VARIABLE = "openai_org_auto_approve"
"""``never`` (default): every plan waits for a person; ``no_risk``: a plan with no risky
change is applied without one (a deployment setting, not a run parameter)."""
AUTO_APPROVE_POLICIES = ("never", "no_risk")


def auto_approve_policy() -> str:
    """The deployment's automatic-approval policy (Variable ``openai_org_auto_approve``)."""
    return approval_policy(AUTO_APPROVE_VARIABLE, AUTO_APPROVE_POLICIES)


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
    },
)
def openai_org_as_code() -> None:
    # [START howto_operator_org_plan]
    plan = OrgPlanOperator(task_id="plan", org_file="{{ params.org_file }}", pool=POOL)
    # [END howto_operator_org_plan]

    @task.branch
    def route(plan_result: dict[str, Any]) -> str:
        """``in_sync`` when nothing changes; ``auto_approve`` for a plan with no risky change
        when the deployment allows it; else ``approve``."""
        if plan_result["in_sync"]:
            return "in_sync"
        if plan_result["risky"] == 0 and auto_approve_policy() == "no_risk":
            return "auto_approve"
        return "approve"

    in_sync = EmptyOperator(task_id="in_sync")
    # auto_approve: a plan with no risky change (re-checked on the signed plan) when the
    # Variable allows it; approve: a person
    gates = approval_gates(
        plan_task_id="plan",
        policy_variable=AUTO_APPROVE_VARIABLE,
        policies=AUTO_APPROVE_POLICIES,
        automatic="no_risk",
        response_timeout=timedelta(days=2),
    )
    # [START howto_operator_org_apply]
    apply = OrgApplyOperator(
        task_id="apply",
        plan_task_id="plan",
        approval_task_ids=["approve", "auto_approve"],
        outlets=[ORG_ASSET],
        pool=POOL,
        trigger_rule="none_failed_min_one_success",
    )
    # [END howto_operator_org_apply]

    @task(trigger_rule="none_failed_min_one_success")
    def report(ti: Any = None) -> dict[str, Any]:
        """What was applied, or that nothing needed to change. Its upstream is only apply and
        in_sync (the plan is pulled, not passed), so it does not run after a rejected approval."""
        from airflow_provider_openai_projects.domain.display import printable

        plan_result = ti.xcom_pull(task_ids="plan")
        applied = ti.xcom_pull(task_ids="apply")
        if not applied:
            print(f"In sync: {printable(plan_result['summary']['source'])} matches the organization; nothing applied.")
            return {"applied": 0, "writes": 0, "in_sync": True}
        for line in applied["done"]:
            print(f"APPLIED: {line}")
        return {"applied": applied["applied"], "writes": applied["writes"], "in_sync": False}

    routed = route(plan.output)
    routed >> [in_sync, *gates]
    gates >> apply
    [apply, in_sync] >> report()


openai_org_as_code()
