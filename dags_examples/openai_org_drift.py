"""
### Drift detection for the organization as code (hourly; never writes)

Plans the org file (`config/openai_org.yaml`, or the `org_file` parameter) against the
live organization every hour. When someone changed the organization behind the file's
back (a member added by hand, a rate limit raised in the dashboard, a project archived),
**drift_report** lists every difference field by field (`update rate_limits team-search
gpt-4o: max_requests_per_1_minute 9000 -> 500` reads: live 9000, file 500) and, per the
`on_drift` parameter, fails (`fail`: the run is red and Airflow's failure alerts fire) or
only warns in its log and returns the report (`alert`). Nothing is ever written: run
`openai_org_as_code` (or `openai-org apply`) to put the organization back.

#### Parameters
- `org_file` (default: `config/openai_org.yaml` next to this file).
- `on_drift`: `fail` (default) or `alert`.

The read cache is `openai_org_state/drift.json` under the Airflow home (`STATE_URI` in this
file: a deployment setting, not a run parameter, so a run's conf never chooses where the
organization's names and emails are written or what cache is trusted). Each run re-reads
only what the audit log shows changed (a full read at least daily), and each drift line
names who changed it and when: `[changed by ada@example.com at ...]`.

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

import os
from datetime import timedelta
from pathlib import Path
from typing import Any

import pendulum
from airflow.sdk import Param, dag, task

from airflow_provider_openai_projects.operators import OrgPlanOperator

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
STATE_URI = f"file://{Path(os.environ.get('AIRFLOW_HOME', '~/airflow')).expanduser()}/openai_org_state/drift.json"
"""The read cache (any ObjectStoragePath URI): a deployment's choice, not a run parameter."""


@dag(
    dag_id="openai_org_drift",
    schedule="@hourly",
    start_date=pendulum.datetime(2026, 1, 1, tz="UTC"),
    catchup=False,
    max_active_runs=1,
    default_args=DEFAULT_ARGS,
    doc_md=__doc__,
    tags=["openai", "org-as-code", "drift"],
    params={
        "org_file": Param(str(ORG_FILE), type="string", title="Org file"),
        "on_drift": Param("fail", enum=["fail", "alert"], title="On drift", description="Fail the run, or only warn."),
    },
)
def openai_org_drift() -> None:
    # [START howto_operator_org_drift]
    plan = OrgPlanOperator(task_id="plan", org_file="{{ params.org_file }}", state_uri=STATE_URI, pool=POOL)
    # [END howto_operator_org_drift]

    @task(retries=0)  # a drift is a finding, not a failure to retry
    def drift_report(
        plan_result: dict[str, Any], ti: Any = None, params: dict[str, Any] | None = None
    ) -> dict[str, Any]:
        """Field-by-field differences between the live organization and the file."""
        from airflow_provider_openai_projects.domain.display import printable
        from airflow_provider_openai_projects.operators.org import PLAN_XCOM_KEY, drift_report

        if plan_result["in_sync"]:
            print(f"No drift: {printable(plan_result['summary']['source'])} matches the organization.")
            return {"drift": False, "changes": []}
        # With the read cache, each line names who changed the object and when.
        lines = plan_result.get("drift") or drift_report(ti.xcom_pull(task_ids="plan", key=PLAN_XCOM_KEY))
        for line in lines:
            print(f"DRIFT: {line}")
        if (params or {}).get("on_drift", "fail") == "fail":
            # The log ends on the DRIFT lines and this one reason ("Task exited"), no stack trace.
            raise SystemExit(f"the organization drifted from the file: {len(lines)} difference(s)")
        return {"drift": True, "changes": lines}

    drift_report(plan.output)


openai_org_drift()
