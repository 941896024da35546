"""AuditEventSensor against the emulator: poke with the hook, or defer to its trigger."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest
from airflow.sdk.exceptions import AirflowFailException, TaskDeferred

from airflow_provider_openai_projects.client import OpenAIAdminClient
from airflow_provider_openai_projects.client.shared_pacers import forget_shared_pacers
from airflow_provider_openai_projects.emulator.server import EmulatorServer
from airflow_provider_openai_projects.sensors.audit_event import AuditEventSensor
from airflow_provider_openai_projects.testing import dashboard_change
from airflow_provider_openai_projects.triggers.audit_event import AuditEventTrigger
from tests.operators.conftest import make_context


@pytest.fixture
def admin_conn(emulator: EmulatorServer, monkeypatch: pytest.MonkeyPatch) -> EmulatorServer:
    conn = {"conn_type": "openai_admin", "host": emulator.base_url, "password": emulator.admin_key}
    monkeypatch.setenv("AIRFLOW_CONN_OPENAI_ADMIN_DEFAULT", json.dumps({**conn, "extra": {"max_retries": 0}}))
    forget_shared_pacers()
    return emulator


def sensor(**kwargs: Any) -> AuditEventSensor:
    kwargs.setdefault("task_id", "wait_for_event")
    kwargs.setdefault("deferrable", False)
    return AuditEventSensor(**kwargs)


def test_poke_waits_for_a_person_s_change_in_the_protected_project_and_returns_the_event(
    admin_conn: EmulatorServer,
) -> None:
    """``project_ids`` catches what a person does in the project (a dashboard session), not
    an admin key's writes there ("associated with the default project")."""
    client = OpenAIAdminClient(admin_conn.admin_key, base_url=admin_conn.base_url)
    protected = admin_conn.state.create_project("protected")["id"]
    elsewhere = admin_conn.state.create_project("elsewhere")["id"]
    owner = admin_conn.state._owners()[0]
    since = datetime.fromtimestamp(admin_conn.state.now() - 1, UTC)
    waiting = sensor(after=since, event_types=["service_account.created"], project_ids=[protected])

    dashboard_change(
        admin_conn, owner.id, "POST", f"/v1/organization/projects/{elsewhere}/service_accounts", {"name": "x"}
    )
    by_admin_key = client.create_service_account(protected, name="automation's")
    assert waiting.poke(make_context()).is_done is False
    created = dashboard_change(
        admin_conn, owner.id, "POST", f"/v1/organization/projects/{protected}/service_accounts", {"name": "by hand"}
    )
    done = waiting.poke(make_context())

    assert done.is_done is True
    assert done.xcom_value["type"] == "service_account.created"
    assert done.xcom_value["project"]["id"] == protected
    assert done.xcom_value["actor"]["session"]["user"]["id"] == owner.id
    assert done.xcom_value["service_account.created"]["id"] == created["id"]
    assert created["api_key"]["value"] not in json.dumps(done.xcom_value)
    assert by_admin_key["api_key"]["value"] not in json.dumps(done.xcom_value)


def test_resource_ids_catch_an_admin_key_s_change_of_the_project_that_project_ids_miss(
    admin_conn: EmulatorServer,
) -> None:
    client = OpenAIAdminClient(admin_conn.admin_key, base_url=admin_conn.base_url)
    protected = admin_conn.state.create_project("protected")["id"]
    since = datetime.fromtimestamp(admin_conn.state.now() - 1, UTC)
    by_project = sensor(after=since, event_types=["project.updated"], project_ids=[protected])
    by_resource = sensor(after=since, event_types=["project.updated"], resource_ids=[protected])

    client.update_project(protected, name="renamed by an automation")

    assert by_project.poke(make_context()).is_done is False
    done = by_resource.poke(make_context())
    assert done.is_done is True
    assert done.xcom_value["project"]["id"] == admin_conn.state.default_project_id
    assert done.xcom_value["project.updated"] == {
        "id": protected,
        "changes_requested": {"title": "renamed by an automation"},
    }


def test_deferrable_defers_at_once_to_the_audit_event_trigger_with_no_request(admin_conn: EmulatorServer) -> None:
    admin_conn.log.clear()
    waiting = sensor(after="1700000000", event_types=["invite.accepted"], deferrable=True, poke_interval=7)
    with pytest.raises(TaskDeferred) as deferred:
        waiting.execute(make_context())
    trigger = deferred.value.trigger
    assert isinstance(trigger, AuditEventTrigger)
    assert trigger.serialize()[1]["after"] == 1700000000
    assert trigger.poll_interval == 7
    assert admin_conn.log.entries() == []
    assert waiting.execute_complete(make_context(), {"status": "success", "event": {"id": "e"}}) == {"id": "e"}


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [({"after": "not a time"}, "after"), ({"after": 0, "event_types": "invite.accepted"}, "event_types")],
)
def test_bad_input_fails_once_naming_the_field_with_no_request(
    admin_conn: EmulatorServer, kwargs: dict[str, Any], field: str
) -> None:
    admin_conn.log.clear()
    with pytest.raises(AirflowFailException, match=field):
        sensor(**kwargs).execute(make_context())
    assert admin_conn.log.entries() == []
