"""What a newcomer met when first running the example DAGs (issue 13), run as they run them."""

from __future__ import annotations

from typing import Any

import pytest

from airflow_provider_openai_projects.emulator.server import EmulatorServer

from .conftest import InviteAccepter, run_dag, task_states, xcom
from .test_onboarding_e2e import EMAIL, FULL_REQUEST


def try_numbers(run: Any) -> dict[str, int]:
    """``{"task_id": try_number}`` of the run's unmapped task instances."""
    from airflow.models.taskinstance import TaskInstance
    from airflow.utils.session import create_session
    from sqlalchemy import select

    with create_session() as session:
        rows = session.execute(
            select(TaskInstance.task_id, TaskInstance.try_number).where(
                TaskInstance.dag_id == run.dag_id, TaskInstance.run_id == run.run_id, TaskInstance.map_index == -1
            )
        )
        return {task_id: number for task_id, number in rows}


def test_key_rotation_without_its_variable_fails_once_naming_the_variable_without_a_type_error(
    org: EmulatorServer, example_dags: dict[str, Any], capfd: pytest.CaptureFixture[str]
) -> None:
    run = run_dag(example_dags["openai_key_rotation"])  # unpaused: a scheduled run, no entries, no Variable

    assert run.state == "failed"
    states = task_states(run)
    assert states["load_entries"] == "failed"
    assert states["report"] == "failed"
    tries = try_numbers(run)
    assert tries["load_entries"] == 1  # a configuration error: no retries holding the run slot
    assert tries["report"] == 1
    output = capfd.readouterr()
    text = output.out + output.err
    assert "TypeError" not in text
    assert "openai_key_rotation_entries" in text
    assert org.log.entries() == []


def test_rate_limit_sync_scheduled_runs_only_plan_until_a_run_says_dry_run_false(
    org: EmulatorServer, example_dags: dict[str, Any]
) -> None:
    for name in ("team-search", "team-research"):
        org.state.create_project(name)
    dag = example_dags["openai_rate_limit_sync"]
    org.log.clear()

    scheduled = run_dag(dag)  # what unpausing starts: no conf

    assert scheduled.state == "success", task_states(scheduled)
    assert org.log.writes() == []
    assert xcom(scheduled, "plan")["counts"]["planned"] == 8
    assert task_states(scheduled)["apply"] == "skipped"

    applied = run_dag(dag, {"dry_run": False})
    assert applied.state == "success", task_states(applied)
    assert xcom(applied, "apply")["counts"]["updated"] == 8


def test_onboarding_and_its_report_over_mapped_results_log_no_xcom_not_found(
    org: EmulatorServer, example_dags: dict[str, Any], capfd: pytest.CaptureFixture[str]
) -> None:
    with InviteAccepter(org, EMAIL):
        run = run_dag(example_dags["openai_onboarding"], FULL_REQUEST)

    assert run.state == "success", task_states(run)
    output = capfd.readouterr()
    assert "XCom not found" not in output.out + output.err
    assert len(xcom(run, "report")["memberships"]) == len(FULL_REQUEST["projects"])


def test_offboarding_report_reads_its_mapped_result_without_xcom_not_found(
    org: EmulatorServer, example_dags: dict[str, Any], capfd: pytest.CaptureFixture[str]
) -> None:
    run = run_dag(example_dags["openai_offboarding"], {"email": "nobody@example.com"})

    assert run.state == "success", task_states(run)
    output = capfd.readouterr()
    assert "XCom not found" not in output.out + output.err
    assert xcom(run, "report")["memberships"] == 0


def test_the_shipped_org_file_manages_no_one_and_nothing_the_lifecycle_examples_change() -> None:
    """Issue 21: the org file listed the person the offboarding example removes, so applying it
    afterwards invited her again. Its people and projects stay apart from the lifecycle DAGs'."""
    from pathlib import Path

    import yaml

    from .conftest import DAGS_FOLDER

    document = yaml.safe_load((Path(DAGS_FOLDER) / "config" / "openai_org.yaml").read_text())
    people = {email for project in document["projects"].values() for email in project.get("members", {})}
    people |= set(document.get("organization", {}).get("members", {}))
    assert EMAIL not in people  # the onboarding/offboarding examples' person
    assert not {"team-search", "team-research"} & set(document["projects"])  # the projects she joins
