"""OrganizationUserSensor against the emulator: poke mode with the hook, deferrable mode with its trigger."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import threading
from datetime import timedelta
from typing import Any

import pytest
from airflow.sdk import PokeReturnValue
from airflow.sdk.exceptions import AirflowException, AirflowFailException, AirflowSensorTimeout, TaskDeferred

from airflow_provider_openai_projects.client.shared_pacers import forget_shared_pacers
from airflow_provider_openai_projects.emulator.faults import FaultRule
from airflow_provider_openai_projects.emulator.server import EmulatorServer
from airflow_provider_openai_projects.sensors import OrganizationUserSensor
from airflow_provider_openai_projects.triggers import OrganizationUserTrigger
from tests.operators.conftest import make_context

USERS = "/organization/users"
USERS_ROUTE = "GET /organization/users"


def set_connection(monkeypatch: pytest.MonkeyPatch, emulator: EmulatorServer, **fields: Any) -> None:
    conn = {"conn_type": "openai_admin", "host": emulator.base_url, "password": emulator.admin_key, **fields}
    monkeypatch.setenv("AIRFLOW_CONN_OPENAI_ADMIN_DEFAULT", json.dumps(conn))


@pytest.fixture
def admin_conn(emulator: EmulatorServer, monkeypatch: pytest.MonkeyPatch) -> EmulatorServer:
    # No client-side retries, so transient faults reach the sensor at once (and nothing sleeps).
    set_connection(monkeypatch, emulator, extra={"max_retries": 0})
    forget_shared_pacers()
    return emulator


def sensor(**kwargs: Any) -> OrganizationUserSensor:
    kwargs.setdefault("task_id", "wait_for_member")
    kwargs.setdefault("deferrable", False)
    return OrganizationUserSensor(**kwargs)


# -- poke mode ------------------------------------------------------------------------------


def test_poke_is_not_done_until_the_person_is_a_member_then_returns_the_user(admin_conn: EmulatorServer) -> None:
    waiting = sensor(email="ada@example.com")
    first = waiting.poke(make_context())
    assert isinstance(first, PokeReturnValue)
    assert first.is_done is False
    assert first.xcom_value is None

    added = admin_conn.add_org_user("ada@example.com", name="Ada")
    second = waiting.poke(make_context())
    assert second.is_done is True
    assert second.xcom_value == added
    assert admin_conn.log.count(route=USERS_ROUTE) == 2
    assert [e.query["emails"] for e in admin_conn.log.entries()] == [["ada@example.com"], ["ada@example.com"]]
    assert admin_conn.log.writes() == []


def test_poke_matches_the_email_case_insensitively(admin_conn: EmulatorServer) -> None:
    admin_conn.add_org_user("grace.hopper@example.com")
    result = sensor(email="  Grace.Hopper@EXAMPLE.com ").poke(make_context())
    assert result.is_done is True
    assert result.xcom_value["email"] == "grace.hopper@example.com"


def test_execute_in_poke_mode_returns_the_user_for_xcom(admin_conn: EmulatorServer) -> None:
    added = admin_conn.add_org_user("member@example.com")
    returned = sensor(email="member@example.com").execute(make_context())
    assert returned == added
    assert json.loads(json.dumps(returned)) == returned
    assert admin_conn.log.count(route=USERS_ROUTE) == 1


def test_execute_in_poke_mode_waits_until_the_invite_is_accepted(admin_conn: EmulatorServer) -> None:
    invite = admin_conn.state.create_invite("invitee@example.com", "reader", [])
    stop = threading.Event()

    def accept_after_a_negative_poke() -> None:
        while not stop.wait(0.01):
            if any(e.route == USERS_ROUTE and e.complete for e in admin_conn.log.entries()):
                admin_conn.accept_invite(invite["id"])
                return

    invitee = threading.Thread(target=accept_after_a_negative_poke, daemon=True)
    invitee.start()
    try:
        user = sensor(email="invitee@example.com", poke_interval=0.05, timeout=30).execute(make_context())
    finally:
        stop.set()
        invitee.join(timeout=5)
    assert user["email"] == "invitee@example.com"
    assert admin_conn.log.count(route=USERS_ROUTE) >= 2
    assert admin_conn.log.writes() == []


def test_execute_in_poke_mode_times_out_when_nobody_joins(admin_conn: EmulatorServer) -> None:
    with pytest.raises(AirflowSensorTimeout):
        sensor(email="never@example.com", poke_interval=0, timeout=0).execute(make_context())
    assert admin_conn.log.count(route=USERS_ROUTE) == 1


def test_a_transient_failure_counts_as_not_yet_in_poke_mode(admin_conn: EmulatorServer) -> None:
    admin_conn.add_org_user("flaky@example.com")
    admin_conn.faults.add(FaultRule(method="GET", path=USERS, status=503))
    waiting = sensor(email="flaky@example.com")
    assert waiting.poke(make_context()).is_done is False
    assert waiting.poke(make_context()).is_done is True


def test_a_refused_admin_key_fails_the_task_in_poke_mode(
    emulator: EmulatorServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    wrong = "sk-admin-revoked-0123456789abcdef"
    set_connection(monkeypatch, emulator, password=wrong)
    with pytest.raises(AirflowFailException, match="401") as caught:
        sensor(email="ada@example.com").execute(make_context())
    assert wrong not in str(caught.value)
    assert emulator.log.count(route=USERS_ROUTE) == 1


# -- deferrable mode -------------------------------------------------------------------------


def test_deferrable_defers_at_once_to_the_trigger_without_a_request(admin_conn: EmulatorServer) -> None:
    waiting = sensor(
        email="Ada@Example.com ", deferrable=True, poke_interval=15, timeout=3600, openai_admin_conn_id="openai_prod"
    )
    with pytest.raises(TaskDeferred) as caught:
        waiting.execute(make_context())
    deferred = caught.value
    assert deferred.trigger == OrganizationUserTrigger(
        email="Ada@Example.com", openai_admin_conn_id="openai_prod", poll_interval=15
    )
    assert deferred.trigger.serialize() == (
        "airflow_provider_openai_projects.triggers.organization_user.OrganizationUserTrigger",
        {"email": "Ada@Example.com", "openai_admin_conn_id": "openai_prod", "poll_interval": 15.0},
    )
    assert deferred.method_name == "execute_complete"
    assert deferred.timeout == timedelta(seconds=3600)
    assert admin_conn.log.entries() == []


@pytest.mark.asyncio
async def test_deferred_wait_runs_in_the_trigger_and_resumes_with_the_user(admin_conn: EmulatorServer) -> None:
    waiting = sensor(email="joiner@example.com", deferrable=True, poke_interval=30)
    with pytest.raises(TaskDeferred) as caught:
        waiting.execute(make_context())
    trigger = caught.value.trigger
    waits: list[float] = []

    async def record_and_join(seconds: float) -> None:
        waits.append(seconds)
        admin_conn.add_org_user("joiner@example.com")
        await asyncio.sleep(0)

    trigger._sleep = record_and_join
    events = [event async for event in trigger.run()]
    assert len(events) == 1
    assert waits == [30.0]

    user = waiting.resume_execution("execute_complete", {"event": events[0].payload}, make_context())
    assert user["email"] == "joiner@example.com"
    assert user == admin_conn.state.get_user(user["id"])
    assert admin_conn.log.count(route=USERS_ROUTE) == 2


def test_execute_complete_returns_the_user_of_a_success_event() -> None:
    user = {"object": "organization.user", "id": "user-1", "email": "a@example.com", "role": "reader", "added_at": 1}
    assert sensor(email="a@example.com").execute_complete(make_context(), {"status": "success", "user": user}) == user


def test_execute_complete_fails_the_task_with_the_error_events_message() -> None:
    event = {"status": "error", "message": "GET /organization/users -> 401 invalid_request_error: Incorrect API key"}
    with pytest.raises(AirflowFailException, match="401 invalid_request_error"):
        sensor(email="a@example.com").execute_complete(make_context(), event)


@pytest.mark.parametrize("event", [None, {}, {"status": "pending"}, "success"])
def test_execute_complete_rejects_an_unexpected_event(event: Any) -> None:
    with pytest.raises(AirflowException, match="unexpected event"):
        sensor(email="a@example.com").execute_complete(make_context(), event)


def test_a_trigger_timeout_is_a_sensor_timeout() -> None:
    from airflow.sdk.bases.operator import TRIGGER_FAIL_REPR, TriggerFailureReason

    waiting = sensor(email="a@example.com", deferrable=True)
    with pytest.raises(AirflowSensorTimeout):
        waiting.resume_execution(TRIGGER_FAIL_REPR, {"error": TriggerFailureReason.TRIGGER_TIMEOUT}, make_context())


# -- inputs and configuration ---------------------------------------------------------------


@pytest.mark.parametrize("email", ["", "   ", "not-an-email", "ada@example", "two@@example.com", None, 42])
@pytest.mark.parametrize("deferrable", [False, True])
def test_a_malformed_email_fails_before_any_request(admin_conn: EmulatorServer, email: Any, deferrable: bool) -> None:
    with pytest.raises(AirflowFailException, match="invalid email"):
        sensor(email=email, deferrable=deferrable).execute(make_context())
    assert admin_conn.log.entries() == []


def test_the_email_is_templated(admin_conn: EmulatorServer) -> None:
    admin_conn.add_org_user("templated@example.com")
    waiting = sensor(email="{{ params.who }}@example.com")
    waiting.render_template_fields(context={"params": {"who": "templated"}})
    assert waiting.user_email == "templated@example.com"
    assert waiting.execute(make_context())["email"] == "templated@example.com"


def test_the_person_never_becomes_the_tasks_alert_email_address() -> None:
    waiting = sensor(email="invitee@example.com")
    assert waiting.email is None
    assert "user_email" in waiting.template_fields


@pytest.mark.parametrize(("setting", "expected"), [("True", True), ("False", False)])
def test_deferrable_defaults_to_airflows_default_deferrable(setting: str, expected: bool) -> None:
    code = (
        "from airflow_provider_openai_projects.sensors import ApiKeyUsageSensor, OrganizationUserSensor\n"
        "a = OrganizationUserSensor(task_id='a', email='a@example.com')\n"
        "b = ApiKeyUsageSensor(task_id='b', project_id='p', api_key_id='k')\n"
        "print(a.deferrable, b.deferrable)\n"
    )
    env = {**os.environ, "AIRFLOW__OPERATORS__DEFAULT_DEFERRABLE": setting}
    done = subprocess.run(  # noqa: S603 (this interpreter, a fixed script)
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120, check=True
    )
    assert done.stdout.split()[-2:] == [str(expected), str(expected)]
