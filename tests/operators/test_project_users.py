"""AddProjectUserOperator and RemoveProjectUserOperator against the emulator."""

from __future__ import annotations

import json
from typing import Any

import pytest
from airflow.sdk.exceptions import AirflowFailException

from airflow_provider_openai_projects.client import ServerError
from airflow_provider_openai_projects.emulator.faults import FaultRule
from airflow_provider_openai_projects.emulator.server import EmulatorServer
from airflow_provider_openai_projects.operators.project_users import (
    AddProjectUserOperator,
    RemoveProjectUserOperator,
)

from .conftest import make_context, new_project

USERS_ROUTE = "GET /organization/projects/{project_id}/users"
ADD_ROUTE = "POST /organization/projects/{project_id}/users"
UPDATE_ROUTE = "POST /organization/projects/{project_id}/users/{user_id}"
REMOVE_ROUTE = "DELETE /organization/projects/{project_id}/users/{user_id}"


def members(emulator: EmulatorServer, project_id: str) -> dict[str, str]:
    """user id -> role, straight from the emulator's state."""
    project = emulator.state.projects.get(project_id)
    assert project is not None
    return {m.user_id: m.role for m in project.users}


# -- AddProjectUserOperator ------------------------------------------------------------


def test_add_project_user_by_email_adds_once_then_writes_nothing(admin_conn: EmulatorServer, context: Any) -> None:
    project_id = new_project(admin_conn)
    alice = admin_conn.add_org_user("alice@example.com", name="Alice")
    admin_conn.log.clear()

    result = AddProjectUserOperator(
        task_id="add", project_id=project_id, email="alice@example.com", role="member"
    ).execute(context)

    assert result["id"] == alice["id"]
    assert result["role"] == "member"
    assert result["changed"] == "added"
    assert result["project_id"] == project_id
    assert context["ti"].xcom["project_id"] == project_id
    assert members(admin_conn, project_id) == {alice["id"]: "member"}
    assert [e.route for e in admin_conn.log.entries()] == [USERS_ROUTE, ADD_ROUTE]
    json.dumps(result)

    admin_conn.log.clear()
    again = AddProjectUserOperator(
        task_id="add", project_id=project_id, email="alice@example.com", role="member"
    ).execute(make_context())
    assert again["changed"] is None
    assert again["id"] == alice["id"]
    assert admin_conn.log.writes() == []
    assert admin_conn.log.count(route=USERS_ROUTE) == 1


def test_add_project_user_matches_the_email_case_insensitively(admin_conn: EmulatorServer, context: Any) -> None:
    project_id = new_project(admin_conn)
    admin_conn.add_org_user("Bob.Smith@Example.com")
    AddProjectUserOperator(task_id="add", project_id=project_id, email="Bob.Smith@Example.com", role="member").execute(
        context
    )
    admin_conn.log.clear()
    result = AddProjectUserOperator(
        task_id="add", project_id=project_id, email="bob.smith@example.COM", role="member"
    ).execute(make_context())
    assert result["changed"] is None
    assert admin_conn.log.writes() == []


def test_add_project_user_with_another_role_updates_the_role_only(admin_conn: EmulatorServer, context: Any) -> None:
    project_id = new_project(admin_conn)
    carol = admin_conn.add_org_user("carol@example.com")
    admin_conn.state.add_project_user(project_id, "member", user_id=carol["id"])
    admin_conn.log.clear()

    result = AddProjectUserOperator(task_id="add", project_id=project_id, user_id=carol["id"], role="owner").execute(
        context
    )

    assert result["changed"] == "role_updated"
    assert result["role"] == "owner"
    assert members(admin_conn, project_id) == {carol["id"]: "owner"}
    writes = admin_conn.log.writes()
    assert [(w.route, w.body) for w in writes] == [(UPDATE_ROUTE, {"role": "owner"})]

    admin_conn.log.clear()
    AddProjectUserOperator(task_id="add", project_id=project_id, user_id=carol["id"], role="owner").execute(
        make_context()
    )
    assert admin_conn.log.writes() == []


@pytest.mark.parametrize("identity", ["email", "user_id"])
def test_add_project_user_who_is_not_an_organization_member_says_to_invite_first(
    admin_conn: EmulatorServer, context: Any, identity: str
) -> None:
    project_id = new_project(admin_conn)
    admin_conn.log.clear()
    person = {"email": "stranger@example.com"} if identity == "email" else {"user_id": "user-doesnotexist"}

    with pytest.raises(AirflowFailException) as failure:
        AddProjectUserOperator(task_id="add", project_id=project_id, role="member", **person).execute(context)

    message = str(failure.value)
    assert "not a member of the organization" in message
    assert "InviteUserOperator" in message
    assert "OrganizationUserSensor" in message
    assert members(admin_conn, project_id) == {}
    assert [w.applied for w in admin_conn.log.writes()] == [False]


def test_add_project_user_reconciles_a_lost_response_instead_of_adding_twice(
    admin_conn: EmulatorServer, context: Any
) -> None:
    project_id = new_project(admin_conn)
    dave = admin_conn.add_org_user("dave@example.com")
    admin_conn.faults.add(
        FaultRule(method="POST", path=f"/organization/projects/{project_id}/users", status=500, when="after")
    )
    admin_conn.log.clear()

    result = AddProjectUserOperator(task_id="add", project_id=project_id, user_id=dave["id"], role="owner").execute(
        context
    )

    assert result["id"] == dave["id"]
    assert result["changed"] == "added"
    assert members(admin_conn, project_id) == {dave["id"]: "owner"}
    assert admin_conn.log.count(route=ADD_ROUTE) == 1
    assert admin_conn.log.count(route=USERS_ROUTE) == 2  # the look before, and the look after the lost response


def test_add_project_user_reconciles_a_dropped_connection_and_a_re_run_writes_nothing(
    no_retry_conn: EmulatorServer, context: Any
) -> None:
    emulator = no_retry_conn
    project_id = new_project(emulator)
    erin = emulator.add_org_user("erin@example.com")
    emulator.faults.add(
        FaultRule(method="POST", path=f"/organization/projects/{project_id}/users", drop=True, when="after", times=None)
    )
    result = AddProjectUserOperator(
        task_id="add", project_id=project_id, email="erin@example.com", role="member"
    ).execute(context)
    assert result["changed"] == "added"
    assert members(emulator, project_id) == {erin["id"]: "member"}
    assert emulator.log.count(route=ADD_ROUTE) == 1

    emulator.faults.clear()
    emulator.log.clear()
    again = AddProjectUserOperator(
        task_id="add", project_id=project_id, email="erin@example.com", role="member"
    ).execute(make_context())
    assert again["changed"] is None
    assert emulator.log.writes() == []


def test_add_project_user_retries_an_add_that_failed_before_applying(admin_conn: EmulatorServer, context: Any) -> None:
    project_id = new_project(admin_conn)
    frank = admin_conn.add_org_user("frank@example.com")
    admin_conn.faults.add(FaultRule(method="POST", path=f"/organization/projects/{project_id}/users", status=503))
    admin_conn.log.clear()
    AddProjectUserOperator(task_id="add", project_id=project_id, user_id=frank["id"], role="member").execute(context)
    assert members(admin_conn, project_id) == {frank["id"]: "member"}
    assert admin_conn.log.count(route=ADD_ROUTE) == 2


def test_add_project_user_to_an_archived_project_fails_clearly(admin_conn: EmulatorServer, context: Any) -> None:
    project_id = new_project(admin_conn)
    admin_conn.state.archive_project(project_id)
    admin_conn.add_org_user("gina@example.com")
    with pytest.raises(AirflowFailException, match="archived"):
        AddProjectUserOperator(task_id="add", project_id=project_id, email="gina@example.com", role="member").execute(
            context
        )
    assert admin_conn.log.writes() == []


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"project_id": "", "email": "a@example.com", "role": "member"}, "project_id"),
        ({"project_id": "proj 1", "email": "a@example.com", "role": "member"}, "project_id"),
        ({"project_id": "proj_1", "email": "a@example.com", "role": "admin"}, "role"),
        ({"project_id": "proj_1", "email": "a@example.com", "role": "reader"}, "role"),
        ({"project_id": "proj_1", "email": "not-an-email", "role": "member"}, "email"),
        ({"project_id": "proj_1", "email": "a@b", "role": "member"}, "email"),
        ({"project_id": "proj_1", "user_id": "user 1", "role": "member"}, "user_id"),
        ({"project_id": "proj_1", "user_id": "user-1", "email": "a@example.com", "role": "member"}, "user_id/email"),
        ({"project_id": "proj_1", "role": "member"}, "user_id/email"),
    ],
)
def test_add_project_user_rejects_bad_input_before_any_request(
    admin_conn: EmulatorServer, context: Any, kwargs: dict[str, Any], field: str
) -> None:
    with pytest.raises(AirflowFailException, match=f"invalid {field}"):
        AddProjectUserOperator(task_id="add", **kwargs).execute(context)
    assert admin_conn.log.entries() == []


# -- RemoveProjectUserOperator ---------------------------------------------------------


def test_remove_project_user_removes_once_then_writes_nothing(admin_conn: EmulatorServer, context: Any) -> None:
    project_id = new_project(admin_conn)
    hank = admin_conn.add_org_user("hank@example.com")
    admin_conn.state.add_project_user(project_id, "member", user_id=hank["id"])
    admin_conn.log.clear()

    result = RemoveProjectUserOperator(task_id="remove", project_id=project_id, email="HANK@example.com").execute(
        context
    )

    assert result == {"project_id": project_id, "user_id": hank["id"], "email": "hank@example.com", "removed": True}
    assert members(admin_conn, project_id) == {}
    assert [e.route for e in admin_conn.log.entries()] == [USERS_ROUTE, REMOVE_ROUTE]
    assert admin_conn.state.users.get(hank["id"]) is not None  # still in the organization

    admin_conn.log.clear()
    again = RemoveProjectUserOperator(task_id="remove", project_id=project_id, user_id=hank["id"]).execute(
        make_context()
    )
    assert again == {"project_id": project_id, "user_id": hank["id"], "email": None, "removed": False}
    assert admin_conn.log.writes() == []


def test_remove_project_user_who_never_was_there_is_success_without_a_write(
    admin_conn: EmulatorServer, context: Any
) -> None:
    project_id = new_project(admin_conn)
    admin_conn.log.clear()
    result = RemoveProjectUserOperator(task_id="remove", project_id=project_id, email="nobody@example.com").execute(
        context
    )
    assert result["removed"] is False
    assert admin_conn.log.writes() == []
    assert admin_conn.log.count() == 1


def test_remove_project_user_makes_their_key_in_the_project_stop_working(
    admin_conn: EmulatorServer, context: Any
) -> None:
    project_id = new_project(admin_conn)
    ivy = admin_conn.add_org_user("ivy@example.com")
    admin_conn.state.add_project_user(project_id, "member", user_id=ivy["id"])
    key = admin_conn.create_user_api_key(project_id, ivy["id"])
    assert admin_conn.use_key(key["value"]) == 200
    RemoveProjectUserOperator(task_id="remove", project_id=project_id, user_id=ivy["id"]).execute(context)
    assert admin_conn.use_key(key["value"]) == 401


def test_remove_project_user_treats_a_404_on_delete_as_already_gone(admin_conn: EmulatorServer, context: Any) -> None:
    project_id = new_project(admin_conn)
    jack = admin_conn.add_org_user("jack@example.com")
    admin_conn.state.add_project_user(project_id, "member", user_id=jack["id"])
    admin_conn.faults.add(FaultRule(method="DELETE", path=f"/organization/projects/{project_id}/users/*", status=404))
    result = RemoveProjectUserOperator(task_id="remove", project_id=project_id, user_id=jack["id"]).execute(context)
    assert result["removed"] is True
    assert admin_conn.log.count(route=REMOVE_ROUTE) == 1


def test_remove_project_user_with_a_lost_response_converges_within_the_run(
    admin_conn: EmulatorServer, context: Any
) -> None:
    project_id = new_project(admin_conn)
    kim = admin_conn.add_org_user("kim@example.com")
    admin_conn.state.add_project_user(project_id, "member", user_id=kim["id"])
    admin_conn.faults.add(
        FaultRule(method="DELETE", path=f"/organization/projects/{project_id}/users/*", status=500, when="after")
    )
    result = RemoveProjectUserOperator(task_id="remove", project_id=project_id, user_id=kim["id"]).execute(context)
    assert result["removed"] is True
    assert members(admin_conn, project_id) == {}
    # The client repeated the (idempotent) DELETE and got 404: already gone = success.
    assert [e.status for e in admin_conn.log.entries() if e.route == REMOVE_ROUTE] == [500, 404]


def test_remove_project_user_failed_by_a_lost_response_converges_on_a_re_run(
    no_retry_conn: EmulatorServer, context: Any
) -> None:
    emulator = no_retry_conn
    project_id = new_project(emulator)
    lea = emulator.add_org_user("lea@example.com")
    emulator.state.add_project_user(project_id, "owner", user_id=lea["id"])
    emulator.faults.add(
        FaultRule(method="DELETE", path=f"/organization/projects/{project_id}/users/*", status=500, when="after")
    )
    with pytest.raises(ServerError):
        RemoveProjectUserOperator(task_id="remove", project_id=project_id, user_id=lea["id"]).execute(context)
    emulator.log.clear()
    result = RemoveProjectUserOperator(task_id="remove", project_id=project_id, user_id=lea["id"]).execute(
        make_context()
    )
    assert result["removed"] is False
    assert emulator.log.writes() == []
    assert members(emulator, project_id) == {}


def test_remove_project_user_of_an_unknown_project_is_a_clear_not_found(
    admin_conn: EmulatorServer, context: Any
) -> None:
    with pytest.raises(AirflowFailException, match="404"):
        RemoveProjectUserOperator(task_id="remove", project_id="proj_doesnotexist", email="a@example.com").execute(
            context
        )
    assert admin_conn.log.writes() == []


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"project_id": "", "email": "a@example.com"}, "project_id"),
        ({"project_id": "proj_1", "email": "a@@example"}, "email"),
        ({"project_id": "proj_1", "user_id": "  "}, "user_id"),
        ({"project_id": "proj_1", "user_id": "user-1", "email": "a@example.com"}, "user_id/email"),
        ({"project_id": "proj_1"}, "user_id/email"),
    ],
)
def test_remove_project_user_rejects_bad_input_before_any_request(
    admin_conn: EmulatorServer, context: Any, kwargs: dict[str, Any], field: str
) -> None:
    with pytest.raises(AirflowFailException, match=f"invalid {field}"):
        RemoveProjectUserOperator(task_id="remove", **kwargs).execute(context)
    assert admin_conn.log.entries() == []


def test_template_fields_cover_every_input() -> None:
    assert set(AddProjectUserOperator.template_fields) >= {"project_id", "role", "user_id", "user_email"}
    assert set(RemoveProjectUserOperator.template_fields) >= {"project_id", "user_id", "user_email"}
