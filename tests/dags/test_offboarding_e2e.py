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
        "projects_through_groups": 0,
        "groups_left": 0,
        "roles_unassigned": 0,
        "projects_still_reachable": 0,
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


# -- groups: a person's access = direct membership OR a group added to the project ------------


def _project_member_role(org: EmulatorServer) -> str:
    return next(r["id"] for r in org.state.list_roles(limit=1000)["data"] if r["name"] == "Project Member")


def test_offboarding_of_a_person_in_3_projects_only_through_a_group_leaves_no_project_reachable(
    org: EmulatorServer, dag: Any
) -> None:
    """The issue's "done when": staying in the organization, no project stays reachable."""
    leaver = org.add_org_user(LEAVER, name="Ada Lovelace")["id"]
    colleague = org.add_org_user(SUCCESSOR, name="Grace Hopper")["id"]
    group = org.state.create_group("Research")["id"]
    org.state.add_group_user(group, leaver)
    org.state.add_group_user(group, colleague)
    projects = [org.state.create_project(f"research-{n}")["id"] for n in range(3)]
    for project_id in projects:
        org.state.add_project_group(project_id, group, _project_member_role(org))
    billing = org.state.create_role("Billing viewer", ["api.organization.billing.read"])["id"]
    org.state.assign_user_role(leaver, billing)
    assert org.state.projects_reachable_by(leaver) == set(projects)
    assert all(leaver not in roles(org, p) for p in projects)  # not a direct member anywhere
    org.log.clear()

    run = run_dag(dag, {"email": LEAVER, "remove_from_organization": False})

    assert run.state == "success", task_states(run)
    assert org.state.projects_reachable_by(leaver) == set()
    assert org.state.projects_reachable_by(colleague) == set(projects)
    assert org.state.group_ids_of(leaver) == set()
    assert org.state.direct_role_ids("user", leaver) == []
    assert any(u.id == leaver for u in org.state.users)  # still in the organization
    assert [e.route for e in org.log.writes()] == [
        "DELETE /organization/groups/{group_id}/users/{user_id}",
        "DELETE /organization/users/{user_id}/roles/{role_id}",
    ]
    result = xcom(run, "offboard", map_index=0)
    assert [p["project_id"] for p in result["projects_through_groups"]] == projects
    assert [g["group_id"] for g in result["groups_left"]] == [group]
    assert [r["role_id"] for r in result["roles_unassigned"]] == [billing]
    assert result["projects_still_reachable"] == []
    summary = xcom(run, "report")
    assert (summary["projects_through_groups"], summary["groups_left"], summary["roles_unassigned"]) == (3, 1, 1)
    assert summary["projects_still_reachable"] == 0

    org.log.clear()
    again = run_dag(dag, {"email": LEAVER, "remove_from_organization": False})
    assert again.state == "success", task_states(again)
    assert org.log.writes() == []


def test_offboarding_fails_without_a_write_when_a_scim_group_keeps_a_project_reachable(
    org: EmulatorServer, dag: Any
) -> None:
    leaver = org.add_org_user(LEAVER, name="Ada Lovelace")["id"]
    scim = org.state.add_scim_group("Okta Research", [leaver])["id"]
    project_id = org.state.create_project("research")["id"]
    org.state.add_project_group(project_id, scim, _project_member_role(org))
    org.log.clear()

    run = run_dag(dag, {"email": LEAVER, "remove_from_organization": False})

    assert run.state == "failed"
    assert task_states(run)["offboard[0]"] == "failed"
    assert org.log.writes() == []
    assert org.state.projects_reachable_by(leaver) == {project_id}
