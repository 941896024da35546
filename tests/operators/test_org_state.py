"""OrgPlanOperator(state_uri=...) and OrgApplyOperator(state_uri=...): the read cache in Airflow."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from airflow_provider_openai_projects.emulator.server import EmulatorServer
from airflow_provider_openai_projects.operators import OrgApplyOperator, OrgPlanOperator
from airflow_provider_openai_projects.testing import dashboard_change

ORG = 'projects:\n  team-search:\n    rate_limits:\n      "gpt-4o": {max_requests_per_1_minute: 500}\n'


def test_plans_through_the_state_uri_reuse_what_the_log_shows_unchanged_and_name_who_drifted(
    admin_conn: EmulatorServer, context: Any, tmp_path: Path
) -> None:
    project = admin_conn.state.create_project("team-search")["id"]
    ada = admin_conn.state.add_user("ada@example.com", "Ada", "owner")["id"]
    org = tmp_path / "org.yaml"
    org.write_text(ORG)
    state, plan_uri = f"file://{tmp_path}/state/org.json", f"file://{tmp_path}/plan.json"
    where = {"org_file": str(org), "org_root": str(tmp_path)}
    OrgPlanOperator(task_id="plan", **where, plan_uri=plan_uri, state_uri=state).execute(context)
    OrgApplyOperator(task_id="apply", plan_uri=plan_uri, state_uri=state).execute(context)
    first = OrgPlanOperator(task_id="plan", **where, state_uri=state).execute(context)
    path = f"/v1/organization/projects/{project}/rate_limits/rl-gpt-4o"
    dashboard_change(admin_conn, ada, "POST", path, {"max_requests_per_1_minute": 9000})
    admin_conn.log.clear()

    result = OrgPlanOperator(task_id="plan", **where, state_uri=state).execute(context)

    assert first["in_sync"] is True
    assert result["incremental"]["full_read"] is None
    assert result["incremental"]["families"]["rate_limits"] == {"fresh": 1, "reused": 0, "reused_as_of": None}
    assert result["incremental"]["families"]["projects"]["reused"] == 1
    [line] = result["drift"]
    assert "max_requests_per_1_minute 9000 -> 500 [changed by ada@example.com at " in line
    json.dumps(result)  # XCom-able
    assert admin_conn.admin_key not in (tmp_path / "state" / "org.json").read_text()
    assert admin_conn.log.writes() == []
