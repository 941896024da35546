"""``openai_onboarding`` end to end: ``dag.test()`` against the emulator."""

from __future__ import annotations

from typing import Any

import pytest

from airflow_provider_openai_projects.emulator.server import EmulatorServer

from .conftest import InviteAccepter, read_variable, run_dag, run_texts, task_states, user_gets, xcom

EMAIL = "ada@example.com"
FULL_REQUEST: dict[str, Any] = {
    "email": EMAIL,
    "role": "reader",
    "projects": [{"name": "team-search", "role": "owner"}, {"name": "team-research", "role": "member"}],
    "service_account": {"project": "team-search", "name": "search-backend"},
    "rate_limits": {"gpt-4o": {"max_requests_per_1_minute": 500}},
}
SECRET_VARIABLE = "openai_search_backend_api_key"


@pytest.fixture
def dag(example_dags: dict[str, Any]) -> Any:
    return example_dags["openai_onboarding"]


def projects_named(org: EmulatorServer, name: str) -> list[Any]:
    return [p for p in org.state.projects if p.name == name and not p.archived]


def member_roles(org: EmulatorServer, email: str) -> dict[str, str]:
    """``{project name: role}`` of the person with this email."""
    user = next(u for u in org.state.users if u.email == email)
    return {p.name: p.users.get(user.id).role for p in org.state.projects if p.users.get(user.id) is not None}


def test_onboarding_invites_waits_for_acceptance_sets_everything_up_and_a_rerun_changes_nothing(
    org: EmulatorServer, dag: Any, capfd: pytest.CaptureFixture[str]
) -> None:
    with InviteAccepter(org, EMAIL) as invitee:
        run = run_dag(dag, FULL_REQUEST)

    assert run.state == "success", task_states(run)
    # The sensor really waited: it checked before the person accepted, and found them after.
    assert invitee.checks_before_accepting >= 1
    assert user_gets(org, after_seq=invitee.accepted_at_seq or 0)
    assert org.log.count("POST", "POST /organization/invites") == 1

    search, research = projects_named(org, "team-search"), projects_named(org, "team-research")
    assert len(search) == 1
    assert len(research) == 1
    user = next(u for u in org.state.users if u.email == EMAIL)
    assert user.role == "reader"
    assert member_roles(org, EMAIL) == {"team-search": "owner", "team-research": "member"}

    # The team service account is the first generation of a rotated account; its key is verified and stored.
    accounts = list(search[0].service_accounts)
    assert [a.name for a in accounts] == ["search-backend--initial"]
    stored = read_variable(SECRET_VARIABLE)
    key = next(k for k in search[0].api_keys if k.owner_id == accounts[0].id)
    assert stored["api_key"] == key.value
    assert stored["service_account_id"] == accounts[0].id
    assert stored["project_id"] == search[0].id
    assert stored["generation"] == "initial"
    assert stored["verified"] is True
    assert read_variable(SECRET_VARIABLE + "_pending") is None
    assert org.use_key(stored["api_key"]) == 200

    for project in (search[0], research[0]):
        assert project.rate_limits.get("rl-gpt-4o").limits["max_requests_per_1_minute"] == 500
        assert project.rate_limits.get("rl-gpt-4o-mini").limits["max_requests_per_1_minute"] == 5_000
    default = next(p for p in org.state.projects if p.id == org.state.default_project_id)
    assert default.rate_limits.get("rl-gpt-4o").limits["max_requests_per_1_minute"] == 5_000
    assert default.users.get(user.id) is None  # the invite named the projects: not the default one

    summary = xcom(run, "report")
    assert summary["invite_status"] == "invited"
    assert sorted(p["name"] for p in summary["projects"]) == ["team-research", "team-search"]
    assert summary["service_accounts"] == [
        {
            "project_id": search[0].id,
            "service_account_id": accounts[0].id,
            "service_account_name": "search-backend--initial",
            "redacted_value": stored["redacted_value"],
        }
    ]
    assert summary["rate_limits_updated"] == 2
    # The minted key is in the Variable only: not in XCom, rendered fields or the run's output.
    assert stored["api_key"] not in run_texts(run)
    output = capfd.readouterr()
    assert stored["api_key"] not in output.out + output.err

    org.log.clear()
    again = run_dag(dag, FULL_REQUEST)
    assert again.state == "success", task_states(again)
    assert org.log.writes() == []
    assert member_roles(org, EMAIL) == {"team-search": "owner", "team-research": "member"}
    assert read_variable(SECRET_VARIABLE) == stored
    rerun = xcom(again, "report")
    assert rerun["invite_status"] == "member"
    assert [m["changed"] for m in rerun["memberships"]] == [None, None]
    assert rerun["service_accounts"] == []  # the Variable holds its key already: not minted again
    assert task_states(again)["create_team_service_account"] == "skipped"


def test_onboarding_of_a_member_reuses_projects_adds_memberships_and_skips_the_optional_steps(
    org: EmulatorServer, dag: Any
) -> None:
    person = org.add_org_user(EMAIL, name="Ada Lovelace")
    existing = org.state.create_project("team-search")
    request = {"email": EMAIL, "projects": [{"name": "team-search", "role": "member"}, {"name": "ml", "role": "owner"}]}

    run = run_dag(dag, request)

    assert run.state == "success", task_states(run)
    assert org.log.count("POST", "POST /organization/invites") == 0
    assert [p.id for p in projects_named(org, "team-search")] == [existing["id"]]
    assert len(projects_named(org, "ml")) == 1
    assert member_roles(org, EMAIL) == {"team-search": "member", "ml": "owner"}
    assert org.log.count("POST", "POST /organization/projects/{project_id}/users") == 2
    states = task_states(run)
    assert states["create_team_service_account"] == "skipped"
    assert states["apply_rate_limits"] == "skipped"
    assert states["report"] == "success"
    assert xcom(run, "report")["invite_status"] == "member"
    assert next(u for u in org.state.users if u.email == EMAIL).id == person["id"]


@pytest.mark.parametrize(
    ("request_conf", "field"),
    [
        pytest.param({"email": "not-an-email", "projects": [{"name": "a", "role": "member"}]}, "email", id="email"),
        pytest.param({"email": EMAIL, "projects": []}, "projects", id="no-projects"),
        pytest.param({"email": EMAIL, "projects": [{"name": "a", "role": "admin"}]}, "projects", id="project-role"),
        pytest.param(
            {"email": EMAIL, "role": "member", "projects": [{"name": "a", "role": "member"}]}, "role", id="org-role"
        ),
        pytest.param(
            {"email": EMAIL, "projects": [{"name": "a", "role": "member"}], "rate_limits": {"gpt-4o": {"rpm": 5}}},
            "rate_limits",
            id="rate-limit-field",
        ),
        pytest.param(
            {"email": EMAIL, "projects": [{"name": "a", "role": "member"}], "groups": ["g", "g"]},
            "groups",
            id="group-twice",
        ),
        pytest.param(
            {"email": EMAIL, "projects": [{"name": "a", "role": "member"}], "groups": [" "]},
            "groups",
            id="group-blank",
        ),
    ],
)
def test_onboarding_refuses_parameters_that_break_the_schema_before_any_request(
    org: EmulatorServer, dag: Any, request_conf: dict[str, Any], field: str
) -> None:
    # ParamValidationError on 3.3, ValueError on 3.2 (ParamValidationError is a ValueError).
    with pytest.raises(ValueError, match=f"Invalid input for param {field}:"):
        run_dag(dag, request_conf)
    assert org.log.entries() == []


def test_onboarding_refuses_a_service_account_in_a_project_not_requested_before_any_request(
    org: EmulatorServer, dag: Any
) -> None:
    request = {
        "email": EMAIL,
        "projects": [{"name": "team-search", "role": "member"}],
        "service_account": {"project": "team-elsewhere", "name": "bot"},
    }
    run = run_dag(dag, request)

    assert run.state == "failed"
    assert task_states(run)["read_request"] == "failed"
    assert org.log.entries() == []


# -- groups ------------------------------------------------------------------------------------

ADD_GROUP_USER = "POST /organization/groups/{group_id}/users"


def test_onboarding_with_groups_adds_the_person_to_each_after_they_accept_and_a_rerun_changes_nothing(
    org: EmulatorServer, dag: Any
) -> None:
    search = org.state.create_group("Search")["id"]
    research = org.state.create_group("Research")["id"]
    shared = org.state.create_project("shared-index")["id"]
    role = next(r["id"] for r in org.state.list_roles(limit=1000)["data"] if r["name"] == "Project Member")
    org.state.add_project_group(shared, search, role)
    request = {
        "email": EMAIL,
        "projects": [{"name": "team-search", "role": "member"}],
        "groups": ["Search", "Research"],
    }

    with InviteAccepter(org, EMAIL) as invitee:
        run = run_dag(dag, request)

    assert run.state == "success", task_states(run)
    user = next(u for u in org.state.users if u.email == EMAIL)
    assert org.state.group_ids_of(user.id) == {search, research}
    assert shared in org.state.projects_reachable_by(user.id)  # through the group
    adds = [e.seq for e in org.log.entries() if e.route == ADD_GROUP_USER]
    assert len(adds) == 2
    assert invitee.accepted_at_seq is not None
    assert min(adds) > invitee.accepted_at_seq
    states = task_states(run)
    assert states["add_to_group[0]"] == states["add_to_group[1]"] == "success"
    summary = xcom(run, "report")
    assert sorted((g["group_name"], g["added"]) for g in summary["groups"]) == [("Research", True), ("Search", True)]

    org.log.clear()
    again = run_dag(dag, request)
    assert again.state == "success", task_states(again)
    assert org.log.writes() == []
    assert [g["added"] for g in xcom(again, "report")["groups"]] == [False, False]


def test_onboarding_without_groups_skips_the_group_step(org: EmulatorServer, dag: Any) -> None:
    org.add_org_user(EMAIL, name="Ada Lovelace")
    run = run_dag(dag, {"email": EMAIL, "projects": [{"name": "team-search", "role": "member"}]})

    assert run.state == "success", task_states(run)
    assert task_states(run)["add_to_group"] == "skipped"
    assert org.log.count(route="GET /organization/groups") == 0
    assert xcom(run, "report")["groups"] == []


def test_onboarding_into_a_group_that_does_not_exist_skips_it_with_a_warning_naming_it(
    org: EmulatorServer, dag: Any, caplog: pytest.LogCaptureFixture
) -> None:
    org.add_org_user(EMAIL, name="Ada Lovelace")
    org.state.create_group("Search")
    request = {"email": EMAIL, "projects": [{"name": "team-search", "role": "member"}], "groups": ["Nope", "Search"]}
    run = run_dag(dag, request)

    assert run.state == "success", task_states(run)
    warnings = [r.getMessage() for r in caplog.records if r.levelname == "WARNING"]
    assert 'Group Nope does not exist: skipped. Create it first, or trigger with "create_missing_groups": true.' in (
        warnings
    )
    assert org.log.count(route="POST /organization/groups") == 0
    assert [g["group_name"] for g in xcom(run, "report")["groups"]] == ["Search"]
    assert member_roles(org, EMAIL) == {"team-search": "member"}  # the other steps still ran


def test_onboarding_creates_a_missing_group_when_asked_and_a_rerun_creates_nothing(
    org: EmulatorServer, dag: Any
) -> None:
    org.add_org_user(EMAIL, name="Ada Lovelace")
    request = {
        "email": EMAIL,
        "projects": [{"name": "team-search", "role": "member"}],
        "groups": ["search-team"],
        "create_missing_groups": True,
    }
    run = run_dag(dag, request)

    assert run.state == "success", task_states(run)
    (group,) = [g for g in org.state.groups if g.name == "search-team"]
    user = next(u for u in org.state.users if u.email == EMAIL)
    assert org.state.group_ids_of(user.id) == {group.id}
    org.log.clear()
    assert run_dag(dag, request).state == "success"
    assert org.log.writes() == []
