"""CreateServiceAccountOperator and DeleteServiceAccountOperator against the emulator."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import pytest
from airflow.sdk._shared.secrets_masker import redact
from airflow.sdk.exceptions import AirflowFailException

from airflow_provider_openai_projects.client import ServerError
from airflow_provider_openai_projects.emulator.faults import FaultRule
from airflow_provider_openai_projects.emulator.server import EmulatorServer
from airflow_provider_openai_projects.operators.service_accounts import (
    CreateServiceAccountOperator,
    DeleteServiceAccountOperator,
)
from airflow_provider_openai_projects.sinks.memory import InMemoryKeySink

from .conftest import make_context, new_project

SERVICE_ACCOUNTS = "/organization/projects/*/service_accounts"
LIST_ROUTE = "GET /organization/projects/{project_id}/service_accounts"
CREATE_ROUTE = "POST /organization/projects/{project_id}/service_accounts"
GET_ROUTE = "GET /organization/projects/{project_id}/service_accounts/{service_account_id}"
DELETE_ROUTE = "DELETE /organization/projects/{project_id}/service_accounts/{service_account_id}"


def project_state(emulator: EmulatorServer, project_id: str) -> Any:
    project = emulator.state.projects.get(project_id)
    assert project is not None
    return project


def accounts(emulator: EmulatorServer, project_id: str) -> dict[str, str]:
    """service account id -> name, straight from the emulator's state."""
    return {a.id: a.name for a in project_state(emulator, project_id).service_accounts}


def routes(emulator: EmulatorServer) -> list[str | None]:
    return [e.route for e in emulator.log.entries()]


def assert_secret_kept(value: str, *, result: Any, context: Any, output: str = "", error: object = None) -> None:
    """The key is registered with Airflow's masker and appears in no return value, XCom,
    log output or exception text."""
    assert value not in redact(f"Authorization: Bearer {value}")
    assert value not in json.dumps(result)
    assert value not in json.dumps(context["ti"].xcom)
    assert value not in output
    if error is not None:
        assert value not in str(error)
        assert value not in repr(error)


def assert_stored_and_working(
    emulator: EmulatorServer, sink: InMemoryKeySink, entry: str, project_id: str, name: str
) -> Mapping[str, Any]:
    """Exactly one account of that name exists, the sink holds its key, and the key works."""
    same_name = [i for i, n in accounts(emulator, project_id).items() if n == name]
    assert len(same_name) == 1, f"expected exactly one {name!r}, found {same_name}"
    stored = sink.load(entry)
    assert stored is not None
    assert stored.metadata["service_account_id"] == same_name[0]
    assert emulator.use_key(stored.value) == 200
    return stored.metadata


# -- CreateServiceAccountOperator -------------------------------------------------------


def test_create_service_account_stores_its_key_and_returns_only_ids(
    admin_conn: EmulatorServer, context: Any, sink: InMemoryKeySink, capsys: pytest.CaptureFixture[str]
) -> None:
    project_id = new_project(admin_conn)
    result = CreateServiceAccountOperator(
        task_id="create", project_id=project_id, name="ci-bot", secret_variable="openai_ci_bot_api_key", key_sink=sink
    ).execute(context)
    assert routes(admin_conn) == [LIST_ROUTE, CREATE_ROUTE]

    metadata = assert_stored_and_working(admin_conn, sink, "openai_ci_bot_api_key", project_id, "ci-bot")
    stored = sink.load("openai_ci_bot_api_key")
    assert stored is not None
    account_id = metadata["service_account_id"]
    api_key = next(k for k in project_state(admin_conn, project_id).api_keys if k.owner_id == account_id)
    assert dict(metadata) == {
        "project_id": project_id,
        "service_account_id": account_id,
        "service_account_name": "ci-bot",
        "api_key_id": api_key.id,
        "redacted_value": f"{stored.value[:8]}...{stored.value[-4:]}",
        "created_at": project_state(admin_conn, project_id).service_accounts.get(account_id).created_at,
    }
    assert result == {
        "project_id": project_id,
        "service_account_id": account_id,
        "service_account_name": "ci-bot",
        "api_key_id": api_key.id,
        "redacted_value": metadata["redacted_value"],
        "secret_variable": "openai_ci_bot_api_key",
        "key_sink": "InMemoryKeySink",
        "created": True,
        "deleted_orphans": [],
    }
    assert context["ti"].xcom == {"project_id": project_id}
    assert_secret_kept(stored.value, result=result, context=context, output="".join(capsys.readouterr()))


def test_create_service_account_second_run_writes_nothing(
    admin_conn: EmulatorServer, context: Any, sink: InMemoryKeySink
) -> None:
    project_id = new_project(admin_conn)
    first = CreateServiceAccountOperator(task_id="c", project_id=project_id, name="ci-bot", key_sink=sink).execute(
        context
    )
    admin_conn.log.clear()
    second = CreateServiceAccountOperator(task_id="c", project_id=project_id, name="ci-bot", key_sink=sink).execute(
        make_context()
    )
    assert admin_conn.log.writes() == []
    assert routes(admin_conn) == [LIST_ROUTE]
    assert second == {**first, "created": False}
    assert_stored_and_working(admin_conn, sink, "openai_ci_bot_api_key", project_id, "ci-bot")


def test_create_service_account_default_entry_name_contains_a_sensitive_keyword(
    admin_conn: EmulatorServer, context: Any, sink: InMemoryKeySink
) -> None:
    project_id = new_project(admin_conn)
    result = CreateServiceAccountOperator(
        task_id="c", project_id=project_id, name="Team Search Bot!", key_sink=sink
    ).execute(context)
    assert result["secret_variable"] == "openai_team_search_bot_api_key"
    assert sink.names() == ["openai_team_search_bot_api_key"]


def test_create_service_account_replaces_an_account_whose_key_is_not_stored(
    admin_conn: EmulatorServer, context: Any, sink: InMemoryKeySink
) -> None:
    project_id = new_project(admin_conn)
    keyless = admin_conn.state.create_service_account(project_id, "ci-bot")
    other = admin_conn.state.create_service_account(project_id, "ci-bot-2")
    result = CreateServiceAccountOperator(task_id="c", project_id=project_id, name="ci-bot", key_sink=sink).execute(
        context
    )
    assert result["deleted_orphans"] == [keyless["id"]]
    assert result["created"] is True
    assert keyless["id"] not in accounts(admin_conn, project_id)
    assert other["id"] in accounts(admin_conn, project_id)
    assert admin_conn.use_key(keyless["api_key"]["value"]) == 401
    assert_stored_and_working(admin_conn, sink, "openai_ci_bot_api_key", project_id, "ci-bot")


def test_create_service_account_replaces_an_account_deleted_behind_its_back(
    admin_conn: EmulatorServer, context: Any, sink: InMemoryKeySink
) -> None:
    project_id = new_project(admin_conn)
    first = CreateServiceAccountOperator(task_id="c", project_id=project_id, name="ci-bot", key_sink=sink).execute(
        context
    )
    admin_conn.state.delete_service_account(project_id, first["service_account_id"])
    second = CreateServiceAccountOperator(task_id="c", project_id=project_id, name="ci-bot", key_sink=sink).execute(
        make_context()
    )
    assert second["created"] is True
    assert second["service_account_id"] != first["service_account_id"]
    assert_stored_and_working(admin_conn, sink, "openai_ci_bot_api_key", project_id, "ci-bot")


@pytest.mark.parametrize("fault", [{"status": 500}, {"drop": True}], ids=["500-after-create", "dropped-after-create"])
def test_create_service_account_lost_response_leaves_exactly_one_account_with_a_stored_key(
    admin_conn: EmulatorServer, context: Any, sink: InMemoryKeySink, fault: dict[str, Any]
) -> None:
    project_id = new_project(admin_conn)
    admin_conn.faults.add(FaultRule(method="POST", path=SERVICE_ACCOUNTS, when="after", **fault))
    result = CreateServiceAccountOperator(task_id="c", project_id=project_id, name="ci-bot", key_sink=sink).execute(
        context
    )
    assert_stored_and_working(admin_conn, sink, "openai_ci_bot_api_key", project_id, "ci-bot")
    assert admin_conn.log.count(route=CREATE_ROUTE) == 2
    assert len(result["deleted_orphans"]) == 1  # the account of the lost response: its key was never seen
    assert result["deleted_orphans"][0] not in accounts(admin_conn, project_id)


def test_create_service_account_retries_a_create_that_failed_before_applying(
    admin_conn: EmulatorServer, context: Any, sink: InMemoryKeySink
) -> None:
    project_id = new_project(admin_conn)
    admin_conn.faults.add(FaultRule(method="POST", path=SERVICE_ACCOUNTS, status=503, when="before"))
    result = CreateServiceAccountOperator(task_id="c", project_id=project_id, name="ci-bot", key_sink=sink).execute(
        context
    )
    assert result["deleted_orphans"] == []
    assert_stored_and_working(admin_conn, sink, "openai_ci_bot_api_key", project_id, "ci-bot")


def test_create_service_account_deletes_the_new_account_when_the_key_cannot_be_stored(
    admin_conn: EmulatorServer, context: Any, sink: InMemoryKeySink, capsys: pytest.CaptureFixture[str]
) -> None:
    project_id = new_project(admin_conn)
    sink.fail_next_store = True
    op = CreateServiceAccountOperator(task_id="c", project_id=project_id, name="ci-bot", key_sink=sink)
    with pytest.raises(OSError, match="key sink unavailable") as failure:
        op.execute(context)
    assert accounts(admin_conn, project_id) == {}
    assert sink.names() == []
    assert routes(admin_conn) == [LIST_ROUTE, CREATE_ROUTE, DELETE_ROUTE]
    assert "sk-" not in str(failure.value)
    assert "sk-svcacct-" not in "".join(capsys.readouterr())

    CreateServiceAccountOperator(task_id="c", project_id=project_id, name="ci-bot", key_sink=sink).execute(
        make_context()
    )
    assert_stored_and_working(admin_conn, sink, "openai_ci_bot_api_key", project_id, "ci-bot")


def test_create_service_account_killed_between_create_and_store_converges_on_rerun(
    no_retry_conn: EmulatorServer, context: Any, sink: InMemoryKeySink
) -> None:
    # The store fails and so does the clean-up: the account is left without a stored key,
    # as if the worker had died right after the create. The re-run must replace it.
    project_id = new_project(no_retry_conn)
    sink.fail_next_store = True
    no_retry_conn.faults.add(FaultRule(method="DELETE", path=f"{SERVICE_ACCOUNTS}/*", status=503))
    with pytest.raises(OSError, match="key sink unavailable"):
        CreateServiceAccountOperator(task_id="c", project_id=project_id, name="ci-bot", key_sink=sink).execute(context)
    assert list(accounts(no_retry_conn, project_id).values()) == ["ci-bot"]
    assert sink.names() == []

    result = CreateServiceAccountOperator(task_id="c", project_id=project_id, name="ci-bot", key_sink=sink).execute(
        make_context()
    )
    assert len(result["deleted_orphans"]) == 1
    assert_stored_and_working(no_retry_conn, sink, "openai_ci_bot_api_key", project_id, "ci-bot")


def test_create_service_account_refuses_an_entry_holding_another_projects_key(
    admin_conn: EmulatorServer, context: Any, sink: InMemoryKeySink
) -> None:
    first_project, second_project = new_project(admin_conn, "A"), new_project(admin_conn, "B")
    CreateServiceAccountOperator(task_id="c", project_id=first_project, name="ci-bot", key_sink=sink).execute(context)
    stored = sink.load("openai_ci_bot_api_key")
    admin_conn.log.clear()
    with pytest.raises(AirflowFailException, match=r"invalid secret_variable: .*already holds the key"):
        CreateServiceAccountOperator(task_id="c", project_id=second_project, name="ci-bot", key_sink=sink).execute(
            make_context()
        )
    assert admin_conn.log.entries() == []
    assert sink.load("openai_ci_bot_api_key") == stored


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"project_id": ""}, "project_id"),
        ({"project_id": "proj with space"}, "project_id"),
        ({"name": ""}, "name"),
        ({"name": "   "}, "name"),
        ({"name": "x" * 129}, "name"),
        ({"name": "two\nlines"}, "name"),
        ({"secret_variable": ""}, "secret_variable"),
        ({"secret_variable": "has space_api_key"}, "secret_variable"),
        ({"secret_variable": "x" * 243}, "secret_variable"),
        ({"secret_variable": "../openai_ci_bot_api_key"}, "secret_variable"),
        ({"secret_variable": "team/../openai_ci_bot_api_key"}, "secret_variable"),
        ({"secret_variable": "team//openai_ci_bot_api_key"}, "secret_variable"),
        ({"secret_variable": "team/openai_ci_bot_api_key/"}, "secret_variable"),
    ],
)
def test_create_service_account_rejects_bad_input_before_any_request(
    admin_conn: EmulatorServer, context: Any, sink: InMemoryKeySink, kwargs: dict[str, Any], field: str
) -> None:
    arguments = {"project_id": "proj_abc", "name": "ci-bot", "key_sink": sink, **kwargs}
    with pytest.raises(AirflowFailException, match=f"invalid {field}"):
        CreateServiceAccountOperator(task_id="c", **arguments).execute(context)
    assert admin_conn.log.entries() == []
    assert sink.names() == []


def test_create_service_account_in_an_unknown_project_is_a_clear_not_found(
    admin_conn: EmulatorServer, context: Any, sink: InMemoryKeySink
) -> None:
    with pytest.raises(AirflowFailException, match="404"):
        CreateServiceAccountOperator(task_id="c", project_id="proj_nope", name="ci-bot", key_sink=sink).execute(context)
    assert admin_conn.log.writes() == []


# -- DeleteServiceAccountOperator -------------------------------------------------------


def test_delete_service_account_by_id_deletes_then_second_run_writes_nothing(
    admin_conn: EmulatorServer, context: Any
) -> None:
    project_id = new_project(admin_conn)
    account = admin_conn.state.create_service_account(project_id, "ci-bot")
    result = DeleteServiceAccountOperator(task_id="d", project_id=project_id, service_account_id=account["id"]).execute(
        context
    )
    assert routes(admin_conn) == [GET_ROUTE, DELETE_ROUTE]
    assert result == {
        "project_id": project_id,
        "deleted": [account["id"]],
        "service_accounts": [{"id": account["id"], "name": "ci-bot"}],
        "already_gone": [],
    }
    assert accounts(admin_conn, project_id) == {}
    assert admin_conn.use_key(account["api_key"]["value"]) == 401

    admin_conn.log.clear()
    again = DeleteServiceAccountOperator(task_id="d", project_id=project_id, service_account_id=account["id"]).execute(
        make_context()
    )
    assert admin_conn.log.writes() == []
    assert again == {"project_id": project_id, "deleted": [], "service_accounts": [], "already_gone": [account["id"]]}


def test_delete_service_account_by_name_deletes_every_account_of_exactly_that_name(
    admin_conn: EmulatorServer, context: Any
) -> None:
    project_id = new_project(admin_conn)
    first = admin_conn.state.create_service_account(project_id, "ci-bot")
    second = admin_conn.state.create_service_account(project_id, "ci-bot")
    survivors = [admin_conn.state.create_service_account(project_id, n)["id"] for n in ("ci-bot-2", "CI-BOT", "ci")]
    result = DeleteServiceAccountOperator(task_id="d", project_id=project_id, name="ci-bot").execute(context)
    assert result["deleted"] == [first["id"], second["id"]]
    assert sorted(accounts(admin_conn, project_id)) == sorted(survivors)

    admin_conn.log.clear()
    again = DeleteServiceAccountOperator(task_id="d", project_id=project_id, name="ci-bot").execute(make_context())
    assert again["deleted"] == []
    assert admin_conn.log.writes() == []


def test_delete_service_account_lost_response_is_success(admin_conn: EmulatorServer, context: Any) -> None:
    project_id = new_project(admin_conn)
    account = admin_conn.state.create_service_account(project_id, "ci-bot")
    admin_conn.faults.add(FaultRule(method="DELETE", path=f"{SERVICE_ACCOUNTS}/*", status=500, when="after"))
    result = DeleteServiceAccountOperator(task_id="d", project_id=project_id, service_account_id=account["id"]).execute(
        context
    )
    assert accounts(admin_conn, project_id) == {}
    assert result["deleted"] + result["already_gone"] == [account["id"]]


def test_delete_service_account_fails_when_the_delete_keeps_failing(
    no_retry_conn: EmulatorServer, context: Any
) -> None:
    project_id = new_project(no_retry_conn)
    account = no_retry_conn.state.create_service_account(project_id, "ci-bot")
    no_retry_conn.faults.add(FaultRule(method="DELETE", path=f"{SERVICE_ACCOUNTS}/*", status=503, when="before"))
    with pytest.raises(ServerError):
        DeleteServiceAccountOperator(task_id="d", project_id=project_id, service_account_id=account["id"]).execute(
            context
        )
    assert account["id"] in accounts(no_retry_conn, project_id)


def test_delete_service_account_in_an_unknown_project_is_not_already_gone(
    admin_conn: EmulatorServer, context: Any
) -> None:
    with pytest.raises(AirflowFailException, match="404"):
        DeleteServiceAccountOperator(task_id="d", project_id="proj_nope", service_account_id="svc_acct_x").execute(
            context
        )
    assert admin_conn.log.writes() == []


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({}, "service_account_id/name"),
        ({"service_account_id": "svc_acct_1", "name": "ci-bot"}, "service_account_id/name"),
        ({"service_account_id": "has space"}, "service_account_id"),
        ({"name": "two\nlines"}, "name"),
        ({"project_id": "", "name": "ci-bot"}, "project_id"),
    ],
)
def test_delete_service_account_rejects_bad_input_before_any_request(
    admin_conn: EmulatorServer, context: Any, kwargs: dict[str, Any], field: str
) -> None:
    arguments = {"project_id": "proj_abc", **kwargs}
    with pytest.raises(AirflowFailException, match=f"invalid {field}"):
        DeleteServiceAccountOperator(task_id="d", **arguments).execute(context)
    assert admin_conn.log.entries() == []


def test_template_fields_cover_every_input() -> None:
    assert set(CreateServiceAccountOperator.template_fields) >= {"project_id", "name", "secret_variable"}
    assert set(DeleteServiceAccountOperator.template_fields) >= {"project_id", "service_account_id", "name"}
