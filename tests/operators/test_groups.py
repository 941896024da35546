"""AddGroupUserOperator and RemoveGroupUserOperator against the emulator: idempotent
(a second run makes zero writes, proven from the request log), "already gone" is
success, SCIM-managed groups fail without a write, bad input fails before any request."""

from __future__ import annotations

import json
from typing import Any

import pytest
from airflow.sdk.exceptions import AirflowFailException

from airflow_provider_openai_projects.emulator.faults import FaultRule
from airflow_provider_openai_projects.emulator.server import EmulatorServer
from airflow_provider_openai_projects.operators.groups import AddGroupUserOperator, RemoveGroupUserOperator

from .conftest import make_context

ADD_ROUTE = "POST /organization/groups/{group_id}/users"
MEMBERS_ROUTE = "GET /organization/groups/{group_id}/users"
REMOVE_ROUTE = "DELETE /organization/groups/{group_id}/users/{user_id}"


def _members(emulator: EmulatorServer, group_id: str) -> list[str]:
    group = emulator.state.groups.get(group_id)
    assert group is not None
    return group.users.ids()


# -- AddGroupUserOperator --------------------------------------------------------------


def test_add_group_user_by_name_and_email_adds_once_then_writes_nothing(
    admin_conn: EmulatorServer, context: Any
) -> None:
    group = admin_conn.state.create_group("Support Team")
    ada = admin_conn.add_org_user("ada@example.com", "Ada")
    admin_conn.log.clear()

    result = AddGroupUserOperator(task_id="add", group_name="Support Team", email="ADA@example.com").execute(context)

    assert result == {
        "group_id": group["id"],
        "group_name": "Support Team",
        "user_id": ada["id"],
        "email": "ADA@example.com",
        "added": True,
    }
    json.dumps(result)
    assert _members(admin_conn, group["id"]) == [ada["id"]]
    assert admin_conn.log.count(route=ADD_ROUTE) == 1
    assert len(admin_conn.log.writes()) == 1

    admin_conn.log.clear()
    again = AddGroupUserOperator(task_id="add", group_name="Support Team", email="ada@example.com").execute(
        make_context()
    )
    assert again["added"] is False
    assert again["user_id"] == ada["id"]
    assert admin_conn.log.writes() == []
    assert _members(admin_conn, group["id"]) == [ada["id"]]


def test_add_group_user_by_ids_makes_one_write_in_three_requests(admin_conn: EmulatorServer, context: Any) -> None:
    group = admin_conn.state.create_group("g")
    bob = admin_conn.add_org_user("bob@example.com")
    admin_conn.log.clear()
    result = AddGroupUserOperator(task_id="add", group_id=group["id"], user_id=bob["id"]).execute(context)
    assert result["added"] is True
    assert [e.route for e in admin_conn.log.entries()] == [
        "GET /organization/groups/{group_id}",
        MEMBERS_ROUTE,
        ADD_ROUTE,
    ]


def test_add_group_user_reconciles_a_lost_response_instead_of_adding_twice(
    admin_conn: EmulatorServer, context: Any
) -> None:
    group = admin_conn.state.create_group("g")
    dave = admin_conn.add_org_user("dave@example.com")
    admin_conn.faults.add(
        FaultRule(method="POST", path=f"/organization/groups/{group['id']}/users", status=500, when="after")
    )
    admin_conn.log.clear()
    result = AddGroupUserOperator(task_id="add", group_id=group["id"], user_id=dave["id"]).execute(context)
    assert result["added"] is True
    assert _members(admin_conn, group["id"]) == [dave["id"]]
    assert admin_conn.log.count(route=ADD_ROUTE) == 1
    assert admin_conn.log.count(route=MEMBERS_ROUTE) == 2  # the look before, and the look after the lost response


def test_add_group_user_gives_access_to_the_group_projects(admin_conn: EmulatorServer, context: Any) -> None:
    group = admin_conn.state.create_group("g")
    role = next(r["id"] for r in admin_conn.state.list_roles()["data"] if r["name"] == "Project Member")
    projects = {admin_conn.state.create_project(f"p{n}")["id"] for n in range(3)}
    for project_id in projects:
        admin_conn.state.add_project_group(project_id, group["id"], role)
    erin = admin_conn.add_org_user("erin@example.com")
    AddGroupUserOperator(task_id="add", group_name="g", user_id=erin["id"]).execute(context)
    assert admin_conn.state.projects_reachable_by(erin["id"]) == projects


def test_add_group_user_fails_clearly_for_a_person_outside_the_organization(
    admin_conn: EmulatorServer, context: Any
) -> None:
    group = admin_conn.state.create_group("g")
    with pytest.raises(AirflowFailException, match="not a member of the organization"):
        AddGroupUserOperator(task_id="add", group_id=group["id"], email="stranger@example.com").execute(context)
    assert admin_conn.log.writes() == []


def test_add_group_user_to_a_scim_managed_group_fails_without_a_write(admin_conn: EmulatorServer, context: Any) -> None:
    ada = admin_conn.add_org_user("ada@example.com")
    bob = admin_conn.add_org_user("bob@example.com")
    scim = admin_conn.state.add_scim_group("Okta engineers", [ada["id"]])
    admin_conn.log.clear()
    with pytest.raises(AirflowFailException, match="identity provider"):
        AddGroupUserOperator(task_id="add", group_id=scim["id"], user_id=bob["id"]).execute(context)
    assert admin_conn.log.writes() == []
    # already a member of the SCIM group: success, nothing to do
    done = AddGroupUserOperator(task_id="add", group_id=scim["id"], user_id=ada["id"]).execute(context)
    assert done["added"] is False


@pytest.mark.parametrize(
    ("name", "match"),
    [("missing", "invalid group_name: no group is named 'missing'"), ("twin", "2 groups are named 'twin'")],
)
def test_add_group_user_needs_a_name_that_names_exactly_one_group(
    admin_conn: EmulatorServer, context: Any, name: str, match: str
) -> None:
    admin_conn.state.create_group("twin")
    admin_conn.state.create_group("twin")
    ada = admin_conn.add_org_user("ada@example.com")
    with pytest.raises(AirflowFailException, match=match):
        AddGroupUserOperator(task_id="add", group_name=name, user_id=ada["id"]).execute(context)
    assert admin_conn.log.writes() == []


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"group_id": "group_1", "group_name": "g", "user_id": "user-1"}, "group_id/group_name"),
        ({"user_id": "user-1"}, "group_id/group_name"),
        ({"group_id": "group 1", "user_id": "user-1"}, "group_id"),
        ({"group_name": "x" * 256, "user_id": "user-1"}, "group_name"),
        ({"group_id": "group_1"}, "user_id/email"),
        ({"group_id": "group_1", "email": "not-an-email"}, "email"),
        ({"group_id": "group_1", "user_id": "user-1", "email": "a@example.com"}, "user_id/email"),
    ],
)
@pytest.mark.parametrize("operator", [AddGroupUserOperator, RemoveGroupUserOperator])
def test_group_user_operators_reject_bad_input_before_any_request(
    admin_conn: EmulatorServer, context: Any, kwargs: dict[str, Any], field: str, operator: type[Any]
) -> None:
    with pytest.raises(AirflowFailException, match=f"invalid {field}"):
        operator(task_id="t", **kwargs).execute(context)
    assert admin_conn.log.entries() == []


# -- RemoveGroupUserOperator -----------------------------------------------------------


def test_remove_group_user_removes_once_then_writes_nothing(admin_conn: EmulatorServer, context: Any) -> None:
    group = admin_conn.state.create_group("Support Team")
    ada = admin_conn.add_org_user("ada@example.com")
    admin_conn.state.add_group_user(group["id"], ada["id"])
    admin_conn.log.clear()

    result = RemoveGroupUserOperator(task_id="rm", group_name="Support Team", email="ada@example.com").execute(context)
    assert result == {
        "group_id": group["id"],
        "group_name": "Support Team",
        "user_id": ada["id"],
        "email": "ada@example.com",
        "removed": True,
    }
    assert _members(admin_conn, group["id"]) == []
    assert admin_conn.log.count(route=REMOVE_ROUTE) == 1

    admin_conn.log.clear()
    again = RemoveGroupUserOperator(task_id="rm", group_name="Support Team", email="ada@example.com").execute(
        make_context()
    )
    assert again["removed"] is False
    assert admin_conn.log.writes() == []


def test_remove_group_user_treats_already_gone_as_success(admin_conn: EmulatorServer, context: Any) -> None:
    group = admin_conn.state.create_group("g")
    ada = admin_conn.add_org_user("ada@example.com")
    admin_conn.state.add_group_user(group["id"], ada["id"])
    # someone else removes the person between our read and our delete: the API answers 404
    admin_conn.faults.add(FaultRule(method="DELETE", path=f"/organization/groups/{group['id']}/users/*", status=404))
    result = RemoveGroupUserOperator(task_id="rm", group_id=group["id"], user_id=ada["id"]).execute(context)
    assert result["removed"] is True


def test_remove_group_user_who_left_the_organization_is_success(admin_conn: EmulatorServer, context: Any) -> None:
    group = admin_conn.state.create_group("g")
    admin_conn.log.clear()
    result = RemoveGroupUserOperator(task_id="rm", group_id=group["id"], email="gone@example.com").execute(context)
    assert result["removed"] is False
    assert admin_conn.log.writes() == []


def test_remove_group_user_revokes_the_projects_reached_through_the_group(
    admin_conn: EmulatorServer, context: Any
) -> None:
    group = admin_conn.state.create_group("g")
    role = next(r["id"] for r in admin_conn.state.list_roles()["data"] if r["name"] == "Project Member")
    ada = admin_conn.add_org_user("ada@example.com")
    admin_conn.state.add_group_user(group["id"], ada["id"])
    for n in range(3):
        admin_conn.state.add_project_group(admin_conn.state.create_project(f"p{n}")["id"], group["id"], role)
    assert len(admin_conn.state.projects_reachable_by(ada["id"])) == 3
    RemoveGroupUserOperator(task_id="rm", group_name="g", user_id=ada["id"]).execute(context)
    assert admin_conn.state.projects_reachable_by(ada["id"]) == set()


def test_remove_group_user_from_a_scim_managed_group_fails_without_a_write(
    admin_conn: EmulatorServer, context: Any
) -> None:
    ada = admin_conn.add_org_user("ada@example.com")
    scim = admin_conn.state.add_scim_group("Okta engineers", [ada["id"]])
    admin_conn.log.clear()
    with pytest.raises(AirflowFailException, match="identity provider"):
        RemoveGroupUserOperator(task_id="rm", group_id=scim["id"], user_id=ada["id"]).execute(context)
    assert admin_conn.log.writes() == []
    assert _members(admin_conn, scim["id"]) == [ada["id"]]
