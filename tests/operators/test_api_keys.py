"""DeleteProjectApiKeyOperator against the emulator."""

from __future__ import annotations

from typing import Any

import pytest
from airflow.sdk.exceptions import AirflowFailException

from airflow_provider_openai_projects.emulator.faults import FaultRule
from airflow_provider_openai_projects.emulator.server import EmulatorServer
from airflow_provider_openai_projects.operators.api_keys import DeleteProjectApiKeyOperator

from .conftest import make_context

GET_ROUTE = "GET /organization/projects/{project_id}/api_keys/{api_key_id}"
DELETE_ROUTE = "DELETE /organization/projects/{project_id}/api_keys/{api_key_id}"
PROJECT_ROUTE = "GET /organization/projects/{project_id}"


def project_with_user_key(emulator: EmulatorServer) -> tuple[str, dict[str, Any], dict[str, Any]]:
    """A project, a member of it, and a key that member minted (with its one-time value)."""
    project_id = str(emulator.state.create_project("Team")["id"])
    user = emulator.add_org_user("alice@example.com", name="Alice")
    emulator.state.add_project_user(project_id, "member", user_id=user["id"])
    return project_id, user, emulator.create_user_api_key(project_id, user["id"], name="laptop")


def key_ids(emulator: EmulatorServer, project_id: str) -> list[str]:
    project = emulator.state.projects.get(project_id)
    assert project is not None
    return [k.id for k in project.api_keys]


def routes(emulator: EmulatorServer) -> list[str | None]:
    return [e.route for e in emulator.log.entries()]


def test_delete_project_api_key_revokes_a_user_key_then_second_run_writes_nothing(
    admin_conn: EmulatorServer, context: Any
) -> None:
    project_id, user, key = project_with_user_key(admin_conn)
    result = DeleteProjectApiKeyOperator(task_id="d", project_id=project_id, api_key_id=key["id"]).execute(context)
    assert routes(admin_conn) == [GET_ROUTE, DELETE_ROUTE]
    assert result == {
        "project_id": project_id,
        "api_key_id": key["id"],
        "name": "laptop",
        "redacted_value": key["redacted_value"],
        "owner": {"type": "user", "id": user["id"], "email": "alice@example.com"},
        "deleted": True,
        "already_gone": False,
    }
    assert key["id"] not in key_ids(admin_conn, project_id)
    assert admin_conn.use_key(key["value"]) == 401
    assert key["value"] not in str(result)

    admin_conn.log.clear()
    again = DeleteProjectApiKeyOperator(task_id="d", project_id=project_id, api_key_id=key["id"]).execute(
        make_context()
    )
    assert admin_conn.log.writes() == []
    assert routes(admin_conn) == [GET_ROUTE, PROJECT_ROUTE]
    assert again == {"project_id": project_id, "api_key_id": key["id"], "deleted": False, "already_gone": True}


def test_delete_project_api_key_refuses_a_service_account_key_naming_the_account(
    admin_conn: EmulatorServer, context: Any
) -> None:
    project_id = str(admin_conn.state.create_project("Team")["id"])
    account = admin_conn.state.create_service_account(project_id, "ci-bot")
    key_id = account["api_key"]["id"]
    with pytest.raises(AirflowFailException) as failure:
        DeleteProjectApiKeyOperator(task_id="d", project_id=project_id, api_key_id=key_id).execute(context)
    message = str(failure.value)
    assert "invalid api_key_id" in message
    assert "'ci-bot'" in message
    assert account["id"] in message
    assert "only be revoked by deleting the service account" in message
    assert account["api_key"]["value"] not in message
    assert admin_conn.log.writes() == []
    assert admin_conn.use_key(account["api_key"]["value"]) == 200


def test_delete_project_api_key_lost_response_is_success(admin_conn: EmulatorServer, context: Any) -> None:
    project_id, _, key = project_with_user_key(admin_conn)
    admin_conn.faults.add(
        FaultRule(method="DELETE", path="/organization/projects/*/api_keys/*", drop=True, when="after")
    )
    result = DeleteProjectApiKeyOperator(task_id="d", project_id=project_id, api_key_id=key["id"]).execute(context)
    assert key["id"] not in key_ids(admin_conn, project_id)
    assert result["deleted"] or result["already_gone"]


def test_delete_project_api_key_of_an_unknown_project_is_a_clear_not_found(
    admin_conn: EmulatorServer, context: Any
) -> None:
    with pytest.raises(AirflowFailException, match="404"):
        DeleteProjectApiKeyOperator(task_id="d", project_id="proj_nope", api_key_id="key_abc").execute(context)
    assert admin_conn.log.writes() == []


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"project_id": ""}, "project_id"),
        ({"project_id": "proj x"}, "project_id"),
        ({"api_key_id": ""}, "api_key_id"),
        ({"api_key_id": "key abc"}, "api_key_id"),
        ({"api_key_id": None}, "api_key_id"),
    ],
)
def test_delete_project_api_key_rejects_bad_input_before_any_request(
    admin_conn: EmulatorServer, context: Any, kwargs: dict[str, Any], field: str
) -> None:
    arguments = {"project_id": "proj_abc", "api_key_id": "key_abc", **kwargs}
    with pytest.raises(AirflowFailException, match=f"invalid {field}"):
        DeleteProjectApiKeyOperator(task_id="d", **arguments).execute(context)
    assert admin_conn.log.entries() == []


def test_template_fields_cover_every_input() -> None:
    assert set(DeleteProjectApiKeyOperator.template_fields) >= {"project_id", "api_key_id"}
