"""
### Joiners, movers and leavers from the HR roster: plan, approval, apply, report

The org file `config/openai_roster.yaml` (the `org_file` parameter names another) has a
`people` section: where the HR export is (a CSV or JSON Lines file at any object-storage
URI, or a SQL query through a `common.sql` connection), which column is which, which
statuses mean *works here* and *has left*, and what each team gets. The DAG runs when the
export lands (an event of the asset `hr_roster`, whose URI is
`[openai_admin_examples] roster_uri`) and daily at 06:00 UTC.

1. **plan** reads the roster and the live organization (reads only) and logs the plan:
   joiners invited with their team's project roles, movers added to the new team's
   projects and groups and removed from the old team's, leavers offboarded as the
   `openai_offboarding` DAG does (sole-owned projects handed to their manager first). A bad
   roster (unreadable, empty, a duplicate or look-alike email, an unknown team, a missing
   column) fails here, naming the row and column, before any write; so does a roster with
   more leavers than `max_leavers`.
2. **route**: nothing to change -> **in_sync**; only joiners and movers (no leaver, no
   owner touched) when the deployment allows it (Airflow Variable `openai_roster_auto_approve`
   = `joiners_movers`; default `never`) -> **auto_approve**; else **approve**: a person
   approves in the Airflow UI (Required Actions), as for `openai_org_as_code`: approvers from
   the Variable `openai_org_approvers`, never the user who triggered the run. No run
   parameter skips the approval.
3. **apply** applies only the plan with the approved digest (a plan that went stale, or
   whose risky changes affect more objects than `settings.max_destructive_changes`, is
   refused with no write).
4. **report**: joiners, movers, leavers and the people to look at (statuses that are
   neither active nor leaver, members of the teams' projects who are not in the roster:
   never offboarded for that alone, and invites still pending).

#### Running it against a real organization
- Connection `openai_admin_default` (type *OpenAI Admin API*): password = an organization
  **admin key** (`sk-admin-...`).
- Pool: `airflow pools set openai_admin_api 2 "OpenAI Admin API: bounds parallel calls"`.
- The export job emits an event of the asset `hr_roster` when the file lands (or a
  `common.sql` source is read on the daily run).
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pendulum
from airflow.providers.standard.operators.empty import EmptyOperator
from airflow.sdk import Asset, AssetOrTimeSchedule, CronTriggerTimetable, Param, dag, task
from airflow.sdk.configuration import conf

from airflow_provider_openai_projects.operators import OrgApplyOperator, OrgPlanOperator
from airflow_provider_openai_projects.operators.org_approval import approval_gates, approval_policy
from airflow_provider_openai_projects.orgfile.people.report import is_routine

POOL = "openai_admin_api"
"""Every task that calls the Admin API runs in this pool (see the DAG's documentation)."""

DEFAULT_ARGS: dict[str, Any] = {
    "owner": "platform",
    "retries": 2,
    "retry_delay": timedelta(seconds=30),
    "retry_exponential_backoff": 2.0,
    "max_retry_delay": timedelta(minutes=10),
}
ORG_FILE = Path(__file__).parent / "config" / "openai_roster.yaml"
ROSTER_ASSET = Asset(
    name="hr_roster", uri=conf.get("openai_admin_examples", "roster_uri", fallback="file:///data/hr/people.csv")
)
"""The HR export: an event of it (the export landed) runs the sync."""
AUTO_APPROVE_VARIABLE = "openai_roster_auto_approve"
"""``never`` (default): every plan waits for a person; ``joiners_movers``: a plan of joiners and
movers only is applied without one (a deployment setting, not a run parameter)."""
AUTO_APPROVE_POLICIES = ("never", "joiners_movers")


def auto_approve_policy() -> str:
    """The deployment's automatic-approval policy (Variable ``openai_roster_auto_approve``)."""
    return approval_policy(AUTO_APPROVE_VARIABLE, AUTO_APPROVE_POLICIES)


@dag(
    dag_id="openai_roster_sync",
    schedule=AssetOrTimeSchedule(timetable=CronTriggerTimetable("0 6 * * *", timezone="UTC"), assets=[ROSTER_ASSET]),
    start_date=pendulum.datetime(2026, 1, 1, tz="UTC"),
    catchup=False,
    max_active_runs=1,
    default_args=DEFAULT_ARGS,
    doc_md=__doc__,
    tags=["openai", "org-as-code", "people"],
    params={
        "org_file": Param(str(ORG_FILE), type="string", title="Org file", description="The org file with `people`."),
    },
)
def openai_roster_sync() -> None:
    # [START howto_operator_roster_plan]
    plan = OrgPlanOperator(task_id="plan", org_file="{{ params.org_file }}", pool=POOL)
    # [END howto_operator_roster_plan]

    @task.branch
    def route(plan_result: dict[str, Any], ti: Any = None) -> str:
        """``in_sync``; ``auto_approve`` for joiners and movers only when the deployment allows
        it; else ``approve``."""
        from airflow_provider_openai_projects.orgfile.people.report import roster_report

        if plan_result["in_sync"]:
            return "in_sync"
        report = roster_report(ti.xcom_pull(task_ids="plan", key="plan") or {})
        if report["routine_only"] and auto_approve_policy() == "joiners_movers":
            return "auto_approve"
        return "approve"

    in_sync = EmptyOperator(task_id="in_sync")
    # auto_approve: a plan of joiners and movers only (is_routine, re-checked on the signed
    # plan) when the Variable allows it; approve: a person
    gates = approval_gates(
        plan_task_id="plan",
        policy_variable=AUTO_APPROVE_VARIABLE,
        policies=AUTO_APPROVE_POLICIES,
        automatic="joiners_movers",
        allowed=is_routine,
        response_timeout=timedelta(days=2),
    )
    apply = OrgApplyOperator(
        task_id="apply",
        plan_task_id="plan",
        approval_task_ids=["approve", "auto_approve"],
        pool=POOL,
        trigger_rule="none_failed_min_one_success",
    )

    @task(trigger_rule="none_failed_min_one_success")
    def report(ti: Any = None) -> dict[str, Any]:
        """Joiners, movers, leavers and the people to look at (escaped); what was applied."""
        from airflow_provider_openai_projects.orgfile.people.report import roster_report

        result = roster_report(ti.xcom_pull(task_ids="plan", key="plan") or {})
        applied = ti.xcom_pull(task_ids="apply") or {}
        for kind in ("joiners", "movers", "leavers"):
            for email, changes in result[kind].items():
                print(f"{kind[:-1].upper()}: {email}: {', '.join(changes)}")
        for line in result["look_at"]:
            print(f"LOOK AT: {line}")
        return {**result, "applied": applied.get("applied", 0), "writes": applied.get("writes", 0)}

    routed = route(plan.output)
    routed >> [in_sync, *gates]
    gates >> apply
    [apply, in_sync] >> report()


openai_roster_sync()
