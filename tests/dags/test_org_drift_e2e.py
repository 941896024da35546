"""``openai_org_drift`` end to end: never writes; drift reported field by field; fail or alert."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from airflow_provider_openai_projects.emulator.server import EmulatorServer

from .conftest import run_dag, task_states, xcom

ORG = """
projects:
  team-search:
    members:
      owner@example.com: owner
    rate_limits:
      gpt-4o: {max_requests_per_1_minute: 500}
"""


@pytest.fixture
def dag(example_dags: dict[str, Any]) -> Any:
    return example_dags["openai_org_drift"]


@pytest.fixture
def in_sync(org: EmulatorServer, tmp_path: Path) -> tuple[str, Path]:
    project = org.state.create_project("team-search")["id"]
    org.state.add_project_user(project, "owner", email="owner@example.com")
    org.state.update_rate_limit(project, "rl-gpt-4o", {"max_requests_per_1_minute": 500})
    path = tmp_path / "org.yaml"
    path.write_text(ORG)
    return project, path


def test_no_drift_succeeds_quietly(org: EmulatorServer, dag: Any, in_sync: tuple[str, Path]) -> None:
    org.log.clear()
    run = run_dag(dag, {"org_file": str(in_sync[1])})
    assert run.state == "success", task_states(run)
    assert xcom(run, "drift_report") == {"drift": False, "changes": []}
    assert org.log.writes() == []


def test_the_org_files_name_is_printed_escaped_in_the_no_drift_line(
    dag: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    """The file's name comes from the run's ``org_file``: an ESC or a bidi override in it is
    printed as an escape (the task's own output, before any log handler)."""
    in_sync = {"in_sync": True, "summary": {"source": "/dags/org\x1b[2J\u202e.yaml"}}

    assert dag.task_dict["drift_report"].python_callable(in_sync) == {"drift": False, "changes": []}

    printed = capsys.readouterr().out
    assert printed == "No drift: /dags/org\\x1b[2J\\u202e.yaml matches the organization.\n"


def drift_behind_the_dags_back(org: EmulatorServer, project: str) -> None:
    org.state.update_rate_limit(project, "rl-gpt-4o", {"max_requests_per_1_minute": 9000})
    intruder = org.state.add_user("mallory@example.com", None, "reader")["id"]
    org.state.add_project_user(project, "member", user_id=intruder)
    org.log.clear()


def test_drift_is_reported_field_by_field_and_alerts_without_failing(
    org: EmulatorServer, dag: Any, in_sync: tuple[str, Path]
) -> None:
    drift_behind_the_dags_back(org, in_sync[0])

    run = run_dag(dag, {"org_file": str(in_sync[1]), "on_drift": "alert"})

    assert run.state == "success", task_states(run)
    assert xcom(run, "drift_report") == {
        "drift": True,
        "changes": [
            "update rate_limits team-search gpt-4o: max_requests_per_1_minute 9000 -> 500",
            "remove members team-search mallory@example.com: role member -> -",
        ],
    }
    assert org.log.writes() == []


def test_drift_fails_the_run_by_default_and_writes_nothing(
    org: EmulatorServer, dag: Any, in_sync: tuple[str, Path], capfd: pytest.CaptureFixture[str]
) -> None:
    drift_behind_the_dags_back(org, in_sync[0])

    run = run_dag(dag, {"org_file": str(in_sync[1])})

    assert task_states(run)["drift_report"] == "failed"
    assert org.log.writes() == []
    # The log ends on the DRIFT lines and one line saying why, with no stack trace and no retry.
    output = capfd.readouterr()
    text = output.out + output.err
    assert "DRIFT: " in text
    assert "Traceback" not in text[text.index("DRIFT: ") :]
    assert "AirflowFailException" not in text
