"""OrgPlanOperator and OrgApplyOperator against the emulator through a real connection."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from airflow.sdk.exceptions import AirflowFailException

from airflow_provider_openai_projects.emulator.server import EmulatorServer
from airflow_provider_openai_projects.operators import OrgApplyOperator, OrgPlanOperator
from airflow_provider_openai_projects.operators.org import PLAN_XCOM_KEY

ORG = 'projects:\n  team-search:\n    rate_limits:\n      "gpt-4o*": {max_requests_per_1_minute: 500}\n'


@pytest.fixture
def org_file(tmp_path: Path, admin_conn: EmulatorServer) -> Path:
    admin_conn.state.create_project("team-search")
    admin_conn.log.clear()
    path = tmp_path / "org.yaml"
    path.write_text(ORG)
    return path


def test_plan_returns_the_summary_and_table_pushes_the_plan_and_never_writes(
    org_file: Path, admin_conn: EmulatorServer, context: Any
) -> None:
    result = OrgPlanOperator(task_id="plan", org_file=str(org_file)).execute(context)

    assert result["in_sync"] is False
    assert result["summary"]["changes"] == 2
    assert "max_requests_per_1_minute 5000 -> 500" in result["table"]
    assert len(context["ti"].xcom[PLAN_XCOM_KEY]["changes"]) == 2
    assert admin_conn.log.writes() == []


def test_plan_to_a_storage_path_then_apply_exactly_it(
    org_file: Path, admin_conn: EmulatorServer, context: Any, tmp_path: Path
) -> None:
    uri = (tmp_path / "plans" / "run.json").as_uri()
    OrgPlanOperator(task_id="plan", org_file=str(org_file), plan_uri=uri).execute(context)
    assert PLAN_XCOM_KEY not in context["ti"].xcom

    result = OrgApplyOperator(task_id="apply", plan_uri=uri).execute(context)

    assert result["applied"] == 2
    assert result["writes"] == 2
    assert len(admin_conn.log.writes()) == 2
    assert "sk-" not in json.dumps(result)


def test_apply_refuses_a_stale_plan_with_no_write(
    org_file: Path, admin_conn: EmulatorServer, context: Any, tmp_path: Path
) -> None:
    uri = (tmp_path / "plan.json").as_uri()
    OrgPlanOperator(task_id="plan", org_file=str(org_file), plan_uri=uri).execute(context)
    project = next(p.id for p in admin_conn.state.projects if p.name == "team-search")
    admin_conn.state.update_rate_limit(project, "rl-gpt-4o", {"max_requests_per_1_minute": 500})
    admin_conn.log.clear()

    with pytest.raises(AirflowFailException, match="stale"):
        OrgApplyOperator(task_id="apply", plan_uri=uri).execute(context)
    assert admin_conn.log.writes() == []


def test_plan_fails_on_drift_when_asked(org_file: Path, admin_conn: EmulatorServer, context: Any) -> None:
    with pytest.raises(AirflowFailException, match="drifted from the file"):
        OrgPlanOperator(task_id="plan", org_file=str(org_file), fail_on_changes=True).execute(context)
    assert admin_conn.log.writes() == []


def test_a_bad_file_fails_the_task_at_once_with_no_request(
    admin_conn: EmulatorServer, context: Any, tmp_path: Path
) -> None:
    bad = tmp_path / "org.yaml"
    bad.write_text("projects:\n  p:\n    members: {a@b.co: admin}\n")
    with pytest.raises(AirflowFailException, match=r"org.yaml: projects.p.members\['a@b.co'\]: 'admin' is not one of"):
        OrgPlanOperator(task_id="plan", org_file=str(bad)).execute(context)
    assert admin_conn.log.entries() == []


def test_apply_needs_exactly_one_plan_source() -> None:
    with pytest.raises(ValueError, match="exactly one"):
        OrgApplyOperator(task_id="apply")
