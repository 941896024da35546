"""``openai_org_drift`` with its read cache (the default): the drift line names who changed it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from airflow_provider_openai_projects.emulator.server import EmulatorServer
from airflow_provider_openai_projects.testing import dashboard_change

from .conftest import run_dag, task_states, xcom

ORG = "projects:\n  team-search:\n    rate_limits:\n      gpt-4o: {max_requests_per_1_minute: 500}\n"


def test_a_drift_line_names_the_person_who_changed_it_in_the_dashboard(
    org: EmulatorServer, example_dags: dict[str, Any], tmp_path: Path
) -> None:
    dag = example_dags["openai_org_drift"]
    project = org.state.create_project("team-search")["id"]
    ada = org.state.add_user("ada@example.com", "Ada", "owner")["id"]
    org_file = tmp_path / "org.yaml"
    org_file.write_text(ORG)
    conf = {"org_file": str(org_file), "on_drift": "alert"}
    path = f"/v1/organization/projects/{project}/rate_limits/rl-gpt-4o"
    dashboard_change(org, ada, "POST", path, {"max_requests_per_1_minute": 500})  # in sync, and a log to follow
    assert run_dag(dag, conf).state == "success"
    dashboard_change(org, ada, "POST", path, {"max_requests_per_1_minute": 9000})

    run = run_dag(dag, conf)

    assert run.state == "success", task_states(run)
    [line] = xcom(run, "drift_report")["changes"]
    assert line.startswith("update rate_limits team-search gpt-4o: max_requests_per_1_minute 9000 -> 500 [changed by")
    assert "ada@example.com at " in line
    assert org.log.writes() == []


def test_a_runs_conf_cannot_choose_where_the_read_cache_is_written(
    org: EmulatorServer, example_dags: dict[str, Any], tmp_path: Path
) -> None:
    """The cache holds the organization's names and emails, and the next plan trusts it: its
    place is the deployment's (the DAG's ``STATE_URI``), not a run parameter's."""
    dag = example_dags["openai_org_drift"]
    org.state.create_project("team-search")
    org_file = tmp_path / "org.yaml"
    org_file.write_text(ORG)
    elsewhere = tmp_path / "elsewhere" / "state.json"

    run = run_dag(dag, {"org_file": str(org_file), "on_drift": "alert", "state_uri": elsewhere.as_uri()})

    assert run.state == "success", task_states(run)
    assert "state_uri" not in dag.params
    assert not elsewhere.exists()
    written = str(dag.task_dict["plan"].state_uri)
    assert written.startswith("file://")
    assert Path(written.removeprefix("file://")).exists()
