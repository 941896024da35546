"""Projects: create (names not unique), retrieve, modify, archive, list with archived."""

from __future__ import annotations

import re
from typing import Any

import pytest

from airflow_provider_openai_projects.emulator.model_catalog import DEFAULT_MODELS
from airflow_provider_openai_projects.emulator.server import EmulatorServer

from .conftest import Api, assert_error

PROJECTS = "/organization/projects"


def test_seed_state_has_the_default_project_and_the_owner(api: Api, emulator: EmulatorServer) -> None:
    projects = api.ok("GET", PROJECTS)["data"]
    assert [p["name"] for p in projects] == ["Default project"]
    assert projects[0]["id"] == emulator.state.default_project_id
    users = api.ok("GET", "/organization/users")["data"]
    assert [(u["email"], u["role"]) for u in users] == [("owner@example.com", "owner")]
    members = api.ok("GET", f"{PROJECTS}/{projects[0]['id']}/users")["data"]
    assert [(m["id"], m["role"]) for m in members] == [(users[0]["id"], "owner")]


def test_create_returns_an_active_project_with_a_real_looking_id(api: Api) -> None:
    project = api.ok("POST", PROJECTS, json={"name": "Analytics", "external_key_id": "ek_1"})
    assert re.fullmatch(r"proj_[A-Za-z0-9]{24}", project["id"])
    assert project["object"] == "organization.project"
    assert project["name"] == "Analytics"
    assert project["status"] == "active"
    assert project["archived_at"] is None
    assert project["external_key_id"] == "ek_1"
    assert isinstance(project["created_at"], int)
    assert api.ok("GET", f"{PROJECTS}/{project['id']}") == project


def test_project_names_are_not_unique(api: Api) -> None:
    first = api.ok("POST", PROJECTS, json={"name": "Twin"})
    second = api.ok("POST", PROJECTS, json={"name": "Twin"})
    assert first["id"] != second["id"]
    assert [p["name"] for p in api.list_all(PROJECTS)].count("Twin") == 2


def test_every_new_project_gets_a_rate_limit_per_catalog_model(api: Api, project: dict[str, Any]) -> None:
    limits = api.ok("GET", f"{PROJECTS}/{project['id']}/rate_limits")["data"]
    assert [rl["id"] for rl in limits] == [f"rl-{m.id}" for m in DEFAULT_MODELS]


@pytest.mark.parametrize(
    ("body", "param"),
    [
        ({"name": ""}, "name"),
        ({"name": "   "}, "name"),
        pytest.param({}, "name", marks=pytest.mark.spec_violations_expected),
        pytest.param({"name": 5}, "name", marks=pytest.mark.spec_violations_expected),
        pytest.param({"name": "x", "colour": "red"}, "colour", marks=pytest.mark.spec_violations_expected),
        pytest.param(
            {"name": "x", "residency": "MARS_STORAGE"}, "residency", marks=pytest.mark.spec_violations_expected
        ),
    ],
)
def test_create_rejects_invalid_bodies(api: Api, body: dict[str, Any], param: str) -> None:
    assert_error(api.post(PROJECTS, json=body), 400, param=param)
    assert len(api.list_all(PROJECTS)) == 1


@pytest.mark.spec_violations_expected
def test_create_rejects_a_body_that_is_not_a_json_object(api: Api) -> None:
    assert_error(api.post(PROJECTS, data=b"{not json", headers={"Content-Type": "application/json"}), 400)
    assert_error(api.post(PROJECTS, json=["name"]), 400)


def test_create_with_a_residency_from_the_spec(api: Api) -> None:
    project = api.ok("POST", PROJECTS, json={"name": "EU", "residency": "EU_STORAGE_PROCESSING"})
    assert project["residency"] == "EU_STORAGE_PROCESSING"


def test_retrieve_unknown_project_is_404(api: Api) -> None:
    assert_error(api.get(f"{PROJECTS}/proj_doesnotexist"), 404)


def test_modify_renames_and_sets_the_external_key(api: Api, project: dict[str, Any]) -> None:
    path = f"{PROJECTS}/{project['id']}"
    updated = api.ok("POST", path, json={"name": "Renamed", "external_key_id": "ek_9"})
    assert (updated["name"], updated["external_key_id"]) == ("Renamed", "ek_9")
    assert api.ok("GET", path)["name"] == "Renamed"
    assert api.ok("POST", path, json={})["name"] == "Renamed"
    assert_error(api.post(path, json={"name": ""}), 400, param="name")


def test_the_default_project_cannot_be_modified_or_archived(api: Api, emulator: EmulatorServer) -> None:
    path = f"{PROJECTS}/{emulator.state.default_project_id}"
    assert_error(api.post(path, json={"name": "Mine now"}), 400)
    assert_error(api.post(f"{path}/archive"), 400)
    default = api.ok("GET", path)
    assert (default["name"], default["status"]) == ("Default project", "active")


def test_archive_sets_status_and_cannot_be_repeated(api: Api, project: dict[str, Any]) -> None:
    path = f"{PROJECTS}/{project['id']}"
    archived = api.ok("POST", f"{path}/archive")
    assert archived["status"] == "archived"
    assert isinstance(archived["archived_at"], int)
    assert_error(api.post(f"{path}/archive"), 400)
    assert api.ok("GET", path)["status"] == "archived"


def test_archived_projects_cannot_be_modified(api: Api, project: dict[str, Any]) -> None:
    path = f"{PROJECTS}/{project['id']}"
    api.ok("POST", f"{path}/archive")
    assert_error(api.post(path, json={"name": "Revived"}), 400)
    assert api.ok("GET", path)["name"] == "Test project"


def test_list_hides_archived_projects_unless_asked(api: Api, project: dict[str, Any]) -> None:
    api.ok("POST", f"{PROJECTS}/{project['id']}/archive")
    assert project["id"] not in [p["id"] for p in api.list_all(PROJECTS)]
    assert project["id"] not in [p["id"] for p in api.list_all(PROJECTS, include_archived="false")]
    with_archived = api.list_all(PROJECTS, include_archived="true")
    assert project["id"] in [p["id"] for p in with_archived]


def _archived_project_calls(project_id: str, user_id: str) -> list[tuple[str, str, Any]]:
    base = f"{PROJECTS}/{project_id}"
    return [
        ("GET", f"{base}/users", None),
        ("POST", f"{base}/users", {"user_id": user_id, "role": "member"}),
        ("GET", f"{base}/users/{user_id}", None),
        ("POST", f"{base}/users/{user_id}", {"role": "owner"}),
        ("DELETE", f"{base}/users/{user_id}", None),
        ("GET", f"{base}/service_accounts", None),
        ("POST", f"{base}/service_accounts", {"name": "bot"}),
        ("GET", f"{base}/service_accounts/svc_acct_x", None),
        ("POST", f"{base}/service_accounts/svc_acct_x", {"name": "bot2"}),
        ("DELETE", f"{base}/service_accounts/svc_acct_x", None),
        ("POST", f"{base}/service_accounts/svc_acct_x/api_keys", {}),
        ("GET", f"{base}/api_keys", None),
        ("GET", f"{base}/api_keys/key_x", None),
        ("DELETE", f"{base}/api_keys/key_x", None),
        ("GET", f"{base}/rate_limits", None),
        ("POST", f"{base}/rate_limits/rl-gpt-4o", {"max_requests_per_1_minute": 1}),
    ]


def test_every_member_account_key_and_rate_limit_call_on_an_archived_project_is_400(
    api: Api, emulator: EmulatorServer, project: dict[str, Any], member: dict[str, Any]
) -> None:
    api.ok("POST", f"{PROJECTS}/{project['id']}/users", json={"user_id": member["id"], "role": "member"})
    api.ok("POST", f"{PROJECTS}/{project['id']}/archive")
    for method, path, body in _archived_project_calls(project["id"], member["id"]):
        error = assert_error(api.request(method, path, json=body), 400)
        assert "archived" in error["message"], (method, path)


def test_keys_of_an_archived_project_stop_working(api: Api, emulator: EmulatorServer, project: dict[str, Any]) -> None:
    key = api.ok("POST", f"{PROJECTS}/{project['id']}/service_accounts", json={"name": "bot"})["api_key"]["value"]
    assert emulator.use_key(key) == 200
    api.ok("POST", f"{PROJECTS}/{project['id']}/archive")
    assert emulator.use_key(key) == 401
