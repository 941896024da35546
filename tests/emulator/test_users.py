"""Organization users: list with the emails filter, roles, deletion cascades."""

from __future__ import annotations

from typing import Any

import pytest

from airflow_provider_openai_projects.emulator.server import EmulatorServer

from .conftest import Api, assert_error

USERS = "/organization/users"


def _owner(api: Api) -> dict[str, Any]:
    return api.ok("GET", USERS, params={"emails": "owner@example.com"})["data"][0]


def test_list_and_retrieve(api: Api, member: dict[str, Any]) -> None:
    listed = api.ok("GET", USERS)["data"]
    assert [u["email"] for u in listed] == ["owner@example.com", "member@example.com"]
    assert listed[1] == member
    assert member["object"] == "organization.user"
    assert member["id"].startswith("user-")
    assert api.ok("GET", f"{USERS}/{member['id']}") == member
    assert_error(api.get(f"{USERS}/user-nobody"), 404)


@pytest.mark.parametrize("form", ["emails", "emails[]"])
def test_emails_filter_matches_exactly_in_both_query_forms(api: Api, emulator: EmulatorServer, form: str) -> None:
    for email in ("ann@example.com", "bob@example.com", "annabel@example.com"):
        emulator.add_org_user(email)
    found = api.ok("GET", USERS, params={form: ["ANN@example.com", "bob@example.com", "zed@example.com"]})
    assert [u["email"] for u in found["data"]] == ["ann@example.com", "bob@example.com"]
    assert api.ok("GET", USERS, params={form: "example.com"})["data"] == []


def test_modify_role_owner_reader_and_member_alias(api: Api, member: dict[str, Any]) -> None:
    path = f"{USERS}/{member['id']}"
    assert api.ok("POST", path, json={"role": "owner"})["role"] == "owner"
    assert api.ok("POST", path, json={"role": "member"})["role"] == "reader"
    assert api.ok("POST", path, json={"role": "owner"})["role"] == "owner"
    assert api.ok("POST", path, json={"role": "reader"})["role"] == "reader"
    assert_error(api.post(path, json={"role": "admin"}), 400, param="role")
    assert_error(api.post(path, json={}), 400, param="role")
    assert_error(api.post(path, json={"role_id": "role_x"}), 400, param="role_id")
    assert api.ok("GET", path)["role"] == "reader"


def test_the_last_owner_can_be_neither_demoted_nor_deleted(api: Api) -> None:
    owner = _owner(api)
    assert_error(api.post(f"{USERS}/{owner['id']}", json={"role": "reader"}), 400, param="role")
    assert_error(api.delete(f"{USERS}/{owner['id']}"), 400)
    assert api.ok("GET", f"{USERS}/{owner['id']}")["role"] == "owner"


def test_deleting_a_user_removes_their_memberships_and_keys(
    api: Api, emulator: EmulatorServer, project: dict[str, Any], member: dict[str, Any]
) -> None:
    api.ok("POST", f"/organization/projects/{project['id']}/users", json={"user_id": member["id"], "role": "member"})
    key = emulator.create_user_api_key(project["id"], member["id"])
    bot = api.ok("POST", f"/organization/projects/{project['id']}/service_accounts", json={"name": "bot"})
    assert emulator.use_key(key["value"]) == 200
    path = f"{USERS}/{member['id']}"
    assert api.ok("DELETE", path) == {"object": "organization.user.deleted", "id": member["id"], "deleted": True}
    assert_error(api.get(path), 404)
    assert_error(api.delete(path), 404)
    assert_error(api.get(f"/organization/projects/{project['id']}/users/{member['id']}"), 404)
    assert emulator.use_key(key["value"]) == 401
    keys = api.ok("GET", f"/organization/projects/{project['id']}/api_keys", params={"owner_project_access": "any"})
    assert [k["id"] for k in keys["data"]] == [bot["api_key"]["id"]]
