"""``openai_offboarding`` end to end: ``dag.test()`` against the emulator."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest

from airflow_provider_openai_projects.emulator.server import EmulatorServer

from .conftest import run_dag, run_texts, task_states, xcom

LEAVER = "ada@example.com"
SUCCESSOR = "grace@example.com"


@pytest.fixture
def dag(example_dags: dict[str, Any]) -> Any:
    return example_dags["openai_offboarding"]


@dataclass
class Team:
    leaver_id: str
    successor_id: str
    owned_alone: str  # the leaver is its only owner
    shared: str  # the leaver is a member; the successor owns it
    key_id: str
    key_value: str


@pytest.fixture
def team(org: EmulatorServer) -> Team:
    leaver = org.add_org_user(LEAVER, name="Ada Lovelace")
    successor = org.add_org_user(SUCCESSOR, name="Grace Hopper")
    owned_alone = org.state.create_project("team-search")["id"]
    org.state.add_project_user(owned_alone, "owner", user_id=leaver["id"])
    shared = org.state.create_project("team-research")["id"]
    org.state.add_project_user(shared, "owner", user_id=successor["id"])
    org.state.add_project_user(shared, "member", user_id=leaver["id"])
    key = org.create_user_api_key(owned_alone, leaver["id"], name="ada-laptop")
    assert org.use_key(key["value"]) == 200
    return Team(leaver["id"], successor["id"], owned_alone, shared, key["id"], key["value"])


def roles(org: EmulatorServer, project_id: str) -> dict[str, str]:
    project = org.state.projects.get(project_id)
    assert project is not None
    return {m.user_id: m.role for m in project.users}


def test_offboarding_hands_over_sole_owned_projects_removes_the_person_and_a_rerun_changes_nothing(
    org: EmulatorServer, dag: Any, team: Team
) -> None:
    org.log.clear()
    run = run_dag(dag, {"email": LEAVER, "successor_owner": SUCCESSOR})

    assert run.state == "success", task_states(run)
    assert all(u.id != team.leaver_id for u in org.state.users)
    assert roles(org, team.owned_alone) == {team.successor_id: "owner"}
    assert roles(org, team.shared) == {team.successor_id: "owner"}
    assert org.use_key(team.key_value) == 401  # the leaver's own key stopped working
    assert sorted(e.route for e in org.log.writes()) == [
        "DELETE /organization/users/{user_id}",
        "POST /organization/projects/{project_id}/users",
    ]

    summary = xcom(run, "report")
    assert summary == {
        "user_id": team.leaver_id,
        "email": LEAVER,
        "dry_run": False,
        "memberships": 2,
        "successor_changes": 1,
        "api_keys_stopped": 1,
        "invites_deleted": 0,
        "removed_from_projects": 2,
        "removed_from_organization": True,
    }
    result = xcom(run, "offboard", map_index=0)
    assert [k["id"] for k in result["api_keys"]] == [team.key_id]
    assert team.key_value not in run_texts(run)

    org.log.clear()
    again = run_dag(dag, {"email": LEAVER, "successor_owner": SUCCESSOR})
    assert again.state == "success", task_states(again)
    assert org.log.writes() == []
    assert xcom(again, "offboard", map_index=0)["found"] is False


def test_offboarding_dry_run_reports_the_plan_and_changes_nothing(org: EmulatorServer, dag: Any, team: Team) -> None:
    org.log.clear()
    run = run_dag(dag, {"user_id": team.leaver_id, "successor_owner": SUCCESSOR, "dry_run": True})

    assert run.state == "success", task_states(run)
    assert org.log.writes() == []
    assert any(u.id == team.leaver_id for u in org.state.users)
    assert org.use_key(team.key_value) == 200
    summary = xcom(run, "report")
    assert summary["dry_run"] is True
    assert (summary["successor_changes"], summary["api_keys_stopped"], summary["removed_from_organization"]) == (
        1,
        1,
        True,
    )


def test_offboarding_of_a_sole_owner_without_successor_fails_and_changes_nothing(
    org: EmulatorServer, dag: Any, team: Team
) -> None:
    org.log.clear()
    run = run_dag(dag, {"email": LEAVER})

    assert run.state == "failed"
    states = task_states(run)
    assert states["offboard[0]"] == "failed"
    assert states["report"] == "upstream_failed"
    assert org.log.writes() == []
    assert roles(org, team.owned_alone) == {team.leaver_id: "owner"}


def test_offboarding_refuses_a_request_with_both_email_and_user_id_before_any_request(
    org: EmulatorServer, dag: Any, team: Team
) -> None:
    org.log.clear()
    run = run_dag(dag, {"email": LEAVER, "user_id": team.leaver_id})

    assert run.state == "failed"
    assert task_states(run)["offboard[0]"] == "failed"
    assert org.log.entries() == []
