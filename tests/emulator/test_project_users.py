"""Project members: only organization members can be added; roles owner|member."""

from __future__ import annotations

from typing import Any

import pytest

from airflow_provider_openai_projects.emulator.server import EmulatorServer

from .conftest import Api, assert_error


def _users(project: dict[str, Any]) -> str:
    return f"/organization/projects/{project['id']}/users"


def test_add_an_org_member_by_user_id(api: Api, project: dict[str, Any], member: dict[str, Any]) -> None:
    added = api.ok("POST", _users(project), json={"user_id": member["id"], "role": "member"})
    assert added["object"] == "organization.project.user"
    assert (added["id"], added["email"], added["name"], added["role"]) == (
        member["id"],
        "member@example.com",
        "Mem Ber",
        "member",
    )
    assert api.ok("GET", f"{_users(project)}/{member['id']}") == added
    assert [u["id"] for u in api.ok("GET", _users(project))["data"]] == [member["id"]]


def test_add_an_org_member_by_email_case_insensitively(
    api: Api, project: dict[str, Any], member: dict[str, Any]
) -> None:
    added = api.ok("POST", _users(project), json={"email": "MEMBER@example.com", "role": "owner"})
    assert (added["id"], added["role"]) == (member["id"], "owner")


@pytest.mark.parametrize(
    "body",
    [{"role": "member"}, {"role": "member", "user_id": "user-x", "email": "member@example.com"}],
)
def test_exactly_one_of_user_id_and_email_is_required(api: Api, project: dict[str, Any], body: dict[str, Any]) -> None:
    assert_error(api.post(_users(project), json=body), 400, param="user_id")


def test_someone_outside_the_organization_cannot_be_added(api: Api, project: dict[str, Any]) -> None:
    assert_error(api.post(_users(project), json={"user_id": "user-nobody", "role": "member"}), 400, param="user_id")
    assert_error(
        api.post(_users(project), json={"email": "stranger@example.com", "role": "member"}), 400, param="email"
    )
    assert api.ok("GET", _users(project))["data"] == []


@pytest.mark.parametrize("role", ["admin", "reader", "OWNER", ""])
def test_project_roles_are_owner_or_member(
    api: Api, project: dict[str, Any], member: dict[str, Any], role: str
) -> None:
    assert_error(api.post(_users(project), json={"user_id": member["id"], "role": role}), 400, param="role")


@pytest.mark.spec_violations_expected
def test_role_is_required(api: Api, project: dict[str, Any], member: dict[str, Any]) -> None:
    assert_error(api.post(_users(project), json={"user_id": member["id"]}), 400, param="role")


def test_adding_a_user_twice_is_a_clear_400(api: Api, project: dict[str, Any], member: dict[str, Any]) -> None:
    api.ok("POST", _users(project), json={"user_id": member["id"], "role": "member"})
    error = assert_error(api.post(_users(project), json={"email": member["email"], "role": "owner"}), 400)
    assert "already a member" in error["message"]
    assert api.ok("GET", f"{_users(project)}/{member['id']}")["role"] == "member"


def test_modify_changes_the_role(api: Api, project: dict[str, Any], member: dict[str, Any]) -> None:
    api.ok("POST", _users(project), json={"user_id": member["id"], "role": "member"})
    path = f"{_users(project)}/{member['id']}"
    assert api.ok("POST", path, json={"role": "owner"})["role"] == "owner"
    assert api.ok("GET", path)["role"] == "owner"
    assert_error(api.post(path, json={"role": "boss"}), 400, param="role")
    assert_error(api.post(path, json={}), 400, param="role")
    assert_error(api.post(f"{_users(project)}/user-nobody", json={"role": "owner"}), 404)


def test_remove_a_member_then_they_are_gone(api: Api, project: dict[str, Any], member: dict[str, Any]) -> None:
    api.ok("POST", _users(project), json={"user_id": member["id"], "role": "member"})
    path = f"{_users(project)}/{member['id']}"
    assert api.ok("DELETE", path) == {
        "object": "organization.project.user.deleted",
        "id": member["id"],
        "deleted": True,
    }
    assert_error(api.get(path), 404)
    assert_error(api.delete(path), 404)
    assert api.ok("GET", _users(project))["data"] == []
    assert api.ok("GET", f"/organization/users/{member['id']}")["id"] == member["id"]


def test_list_is_in_the_order_members_were_added(api: Api, emulator: EmulatorServer, project: dict[str, Any]) -> None:
    ids = [emulator.add_org_user(f"p{i}@example.com")["id"] for i in range(3)]
    for user_id in reversed(ids):
        api.ok("POST", _users(project), json={"user_id": user_id, "role": "member"})
    assert [u["id"] for u in api.list_all(_users(project))] == list(reversed(ids))


def test_unknown_project_is_404(api: Api, member: dict[str, Any]) -> None:
    assert_error(api.get("/organization/projects/proj_nope/users"), 404)
    assert_error(
        api.post("/organization/projects/proj_nope/users", json={"user_id": member["id"], "role": "member"}), 404
    )
