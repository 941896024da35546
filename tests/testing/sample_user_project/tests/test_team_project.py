"""The user's DAG run with ``dag.test()`` against the emulator, through the provider's pytest fixtures."""

from __future__ import annotations

import os
from typing import Any

from airflow_provider_openai_projects.emulator import EmulatorServer
from airflow_provider_openai_projects.testing import auto_accept_invites, seed_people

CONF = {"project": "team-search", "email": "ada@example.com"}


def run_dag() -> Any:
    from airflow.dag_processing.dagbag import DagBag

    bag = DagBag(dag_folder=os.environ["AIRFLOW__CORE__DAGS_FOLDER"])
    assert bag.import_errors == {}
    return bag.get_dag("team_project").test(run_conf=CONF)


def writes(emulator: EmulatorServer) -> list[str | None]:
    return [entry.route for entry in emulator.log.entries() if entry.method != "GET"]


def test_creates_the_project_and_waits_until_the_person_accepts(
    openai_admin_connection: str, openai_admin_emulator: EmulatorServer, airflow_db: None
) -> None:
    with auto_accept_invites(openai_admin_emulator, "ada@example.com") as accepted:
        run = run_dag()
    assert run.state == "success"
    assert accepted == {"ada@example.com"}
    assert writes(openai_admin_emulator) == ["POST /organization/projects", "POST /organization/invites"]
    assert "team-search" in [project.name for project in openai_admin_emulator.state.projects]


def test_a_member_is_not_invited_again(
    openai_admin_connection: str, openai_admin_emulator: EmulatorServer, airflow_db: None
) -> None:
    seed_people(openai_admin_emulator, "ada@example.com")
    run = run_dag()
    assert run.state == "success"
    assert writes(openai_admin_emulator) == ["POST /organization/projects"]
