"""``openai_roster_sync`` end to end with ``dag.test()`` against the emulator: the roster's
joiners, mover and leaver planned, approved (a risky plan waits for a person), applied and
reported; a second run is in sync and writes nothing."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from airflow_provider_openai_projects.emulator.server import EmulatorServer
from tests.orgfile.people.conftest import ROWS, document, seed, write_csv

from .conftest import Approver, dag_test_resumes_human_in_the_loop_tasks, run_dag, set_variable, task_states, xcom


@pytest.fixture
def dag(example_dags: dict[str, Any]) -> Any:
    return example_dags["openai_roster_sync"]


@pytest.fixture
def org_file(org: EmulatorServer, tmp_path: Path) -> Path:
    """The roster story's organization (tests/orgfile/people/conftest.py) and its org file."""
    seed(org)
    path = tmp_path / "roster.yaml"
    path.write_text(yaml.safe_dump(document({"uri": write_csv(tmp_path / "people.csv", ROWS)})))
    return path


ROUTINE_ROWS = [row for row in ROWS if row[1] != "terminated"]
"""The story without its leaver: jo joins, bob moves."""


def test_a_deployment_may_let_joiners_and_movers_through_and_a_second_run_writes_nothing(
    org: EmulatorServer, dag: Any, tmp_path: Path
) -> None:
    seed(org)
    org_file = tmp_path / "roster.yaml"
    org_file.write_text(yaml.safe_dump(document({"uri": write_csv(tmp_path / "people.csv", ROUTINE_ROWS)})))
    set_variable("openai_roster_auto_approve", "joiners_movers")  # a deployment setting, not a run's

    run = run_dag(dag, {"org_file": str(org_file)})

    states = task_states(run)
    assert run.state == "success", states
    assert (states["approve"], states["auto_approve"], states["apply"]) == ("skipped", "success", "success")
    report = xcom(run, "report")
    assert report["joiners"] == {"jo@example.com": ["invited as reader (team-search: member)"]}
    assert list(report["movers"]) == ["bob@example.com"]
    assert report["leavers"] == {}
    assert len(org.log.writes()) == report["writes"] > 0

    org.log.clear()
    again = run_dag(dag, {"org_file": str(org_file)})
    assert task_states(again)["apply"] == "skipped"  # in sync: nothing to approve or apply
    assert org.log.writes() == []


@pytest.mark.skipif(
    not dag_test_resumes_human_in_the_loop_tasks(),
    reason="Airflow 3.2's dag.test() cannot resume a Human-in-the-loop task (see tests/dags/conftest.py)",
)
def test_a_plan_with_an_offboarding_waits_for_a_persons_approval(org: EmulatorServer, dag: Any, org_file: Path) -> None:
    with Approver(dag.dag_id, "Approve") as approver:
        run = run_dag(dag, {"org_file": str(org_file)})

    states = task_states(run)
    assert (states["approve"], states["apply"]) == ("success", "success"), states
    assert approver.body is not None
    assert "lee@example\\.com" in approver.body  # Markdown-escaped in the approval page
    assert len(org.log.writes()) == 7


@pytest.mark.skipif(
    not dag_test_resumes_human_in_the_loop_tasks(),
    reason="Airflow 3.2's dag.test() cannot resume a Human-in-the-loop task (see tests/dags/conftest.py)",
)
def test_no_run_parameter_and_no_setting_lets_a_leaver_through_without_a_person(
    org: EmulatorServer, dag: Any, org_file: Path
) -> None:
    """The old bypass (``auto_approve`` in the run's conf) and the joiners-and-movers setting:
    a plan with a leaver still waits for a person; rejected here, nothing is written."""
    set_variable("openai_roster_auto_approve", "joiners_movers")
    assert "auto_approve" not in dag.params

    with Approver(dag.dag_id, "Reject"):
        run = run_dag(dag, {"org_file": str(org_file), "auto_approve": True})

    states = task_states(run)
    assert (states["auto_approve"], states["approve"], states["apply"]) == ("skipped", "failed", "upstream_failed")
    assert org.log.writes() == []
