"""ApiKeyUsageSensor against the emulator: last_used_at, used_after, deleted keys, both modes."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pendulum
import pytest
from airflow.sdk.exceptions import AirflowFailException, TaskDeferred

from airflow_provider_openai_projects.client import InvalidInputError
from airflow_provider_openai_projects.client.shared_pacers import forget_shared_pacers
from airflow_provider_openai_projects.emulator.faults import FaultRule
from airflow_provider_openai_projects.emulator.server import EmulatorServer
from airflow_provider_openai_projects.sensors import ApiKeyUsageSensor
from airflow_provider_openai_projects.sensors.api_key_usage import parse_used_after
from airflow_provider_openai_projects.triggers import ApiKeyUsageTrigger
from tests.operators.conftest import make_context

KEY_ROUTE = "GET /organization/projects/{project_id}/api_keys/{api_key_id}"


@pytest.fixture
def admin_conn(emulator: EmulatorServer, monkeypatch: pytest.MonkeyPatch) -> EmulatorServer:
    # No client-side retries, so transient faults reach the sensor at once (and nothing sleeps).
    conn = {
        "conn_type": "openai_admin",
        "host": emulator.base_url,
        "password": emulator.admin_key,
        "extra": {"max_retries": 0},
    }
    monkeypatch.setenv("AIRFLOW_CONN_OPENAI_ADMIN_DEFAULT", json.dumps(conn))
    forget_shared_pacers()
    return emulator


@pytest.fixture
def user_key(admin_conn: EmulatorServer) -> dict[str, Any]:
    """A user-owned project key in the default project, with its one-time ``value``."""
    owner = next(iter(admin_conn.state.users))
    return admin_conn.create_user_api_key(admin_conn.state.default_project_id, owner.id)


def last_used_at(emulator: EmulatorServer, key_id: str) -> int | None:
    key = emulator.state.projects.get(emulator.state.default_project_id).api_keys.get(key_id)
    return key.last_used_at


def sensor(emulator: EmulatorServer, key_id: str, **kwargs: Any) -> ApiKeyUsageSensor:
    kwargs.setdefault("task_id", "new_key_in_use")
    kwargs.setdefault("deferrable", False)
    kwargs.setdefault("project_id", emulator.state.default_project_id)
    return ApiKeyUsageSensor(api_key_id=key_id, **kwargs)


# -- poke mode ------------------------------------------------------------------------------


def test_poke_is_not_done_until_the_key_is_used_then_returns_id_and_time(
    admin_conn: EmulatorServer, user_key: dict[str, Any]
) -> None:
    waiting = sensor(admin_conn, user_key["id"])
    first = waiting.poke(make_context())
    assert first.is_done is False
    assert first.xcom_value is None

    assert admin_conn.use_key(user_key["value"]) == 200
    second = waiting.poke(make_context())
    assert second.is_done is True
    assert second.xcom_value == {"api_key_id": user_key["id"], "last_used_at": last_used_at(admin_conn, user_key["id"])}
    assert admin_conn.log.count(route=KEY_ROUTE) == 2
    assert admin_conn.log.writes() == []


def test_execute_in_poke_mode_returns_only_the_id_and_time_never_the_key(
    admin_conn: EmulatorServer, user_key: dict[str, Any]
) -> None:
    assert admin_conn.use_key(user_key["value"]) == 200
    result = sensor(admin_conn, user_key["id"]).execute(make_context())
    assert set(result) == {"api_key_id", "last_used_at"}
    assert user_key["value"] not in json.dumps(result)
    assert user_key["redacted_value"] not in json.dumps(result)


def test_a_use_before_used_after_does_not_count_but_a_later_one_does(
    admin_conn: EmulatorServer, user_key: dict[str, Any]
) -> None:
    assert admin_conn.use_key(user_key["value"]) == 200
    used = last_used_at(admin_conn, user_key["id"])
    assert used is not None
    rotated_at = datetime.fromtimestamp(used, tz=UTC)  # the same second: not "after"
    waiting = sensor(admin_conn, user_key["id"], used_after=rotated_at)
    assert waiting.poke(make_context()).is_done is False

    admin_conn.state.advance_clock(60)
    assert admin_conn.use_key(user_key["value"]) == 200
    done = waiting.poke(make_context())
    assert done.is_done is True
    assert done.xcom_value["last_used_at"] >= used + 60


def test_used_after_is_templated(admin_conn: EmulatorServer, user_key: dict[str, Any]) -> None:
    assert admin_conn.use_key(user_key["value"]) == 200
    waiting = sensor(admin_conn, "{{ params.key }}", used_after="{{ params.since }}")
    waiting.render_template_fields(context={"params": {"key": user_key["id"], "since": "2020-01-01T00:00:00Z"}})
    assert waiting.api_key_id == user_key["id"]
    assert waiting.execute(make_context())["api_key_id"] == user_key["id"]


def test_a_deleted_key_fails_the_task_at_once_in_poke_mode(
    admin_conn: EmulatorServer, user_key: dict[str, Any]
) -> None:
    admin_conn.state.delete_api_key(admin_conn.state.default_project_id, user_key["id"])
    with pytest.raises(AirflowFailException, match=r"does not exist \(deleted\?\)") as caught:
        sensor(admin_conn, user_key["id"], poke_interval=0, timeout=600).execute(make_context())
    assert "404" in str(caught.value)
    assert user_key["value"] not in str(caught.value)
    assert admin_conn.log.count(route=KEY_ROUTE) == 1
    assert admin_conn.log.writes() == []


def test_a_transient_failure_counts_as_not_yet_in_poke_mode(
    admin_conn: EmulatorServer, user_key: dict[str, Any]
) -> None:
    assert admin_conn.use_key(user_key["value"]) == 200
    path = f"/organization/projects/{admin_conn.state.default_project_id}/api_keys/{user_key['id']}"
    admin_conn.faults.add(FaultRule(method="GET", path=path, status=429))
    waiting = sensor(admin_conn, user_key["id"])
    assert waiting.poke(make_context()).is_done is False
    assert waiting.poke(make_context()).is_done is True


# -- deferrable mode -------------------------------------------------------------------------


def test_deferrable_defers_at_once_with_used_after_in_unix_seconds(
    admin_conn: EmulatorServer, user_key: dict[str, Any]
) -> None:
    waiting = sensor(
        admin_conn,
        user_key["id"],
        deferrable=True,
        used_after="2026-11-26T08:00:00+00:00",
        poke_interval=120,
        timeout=timedelta(hours=6),
    )
    with pytest.raises(TaskDeferred) as caught:
        waiting.execute(make_context())
    deferred = caught.value
    assert deferred.trigger == ApiKeyUsageTrigger(
        project_id=admin_conn.state.default_project_id,
        api_key_id=user_key["id"],
        used_after=1795680000.0,
        poll_interval=120,
    )
    assert deferred.method_name == "execute_complete"
    assert deferred.timeout == timedelta(hours=6)
    assert admin_conn.log.entries() == []
    assert user_key["value"] not in json.dumps(deferred.trigger.serialize()[1])


@pytest.mark.asyncio
async def test_deferred_wait_sees_the_use_and_resumes_with_the_same_result_as_poke_mode(
    admin_conn: EmulatorServer, user_key: dict[str, Any]
) -> None:
    waiting = sensor(admin_conn, user_key["id"], deferrable=True, poke_interval=30)
    with pytest.raises(TaskDeferred) as caught:
        waiting.execute(make_context())
    trigger = caught.value.trigger

    async def consumer_switches(seconds: float) -> None:
        assert seconds == 30.0
        assert await asyncio.to_thread(admin_conn.use_key, user_key["value"]) == 200

    trigger._sleep = consumer_switches
    (event,) = [event async for event in trigger.run()]
    resumed = waiting.resume_execution("execute_complete", {"event": event.payload}, make_context())

    poked = sensor(admin_conn, user_key["id"]).poke(make_context()).xcom_value
    assert resumed == poked == {"api_key_id": user_key["id"], "last_used_at": last_used_at(admin_conn, user_key["id"])}


@pytest.mark.asyncio
async def test_deferred_wait_on_a_deleted_key_fails_the_task_with_a_clear_message(
    admin_conn: EmulatorServer, user_key: dict[str, Any]
) -> None:
    waiting = sensor(admin_conn, user_key["id"], deferrable=True)
    with pytest.raises(TaskDeferred) as caught:
        waiting.execute(make_context())
    admin_conn.state.delete_api_key(admin_conn.state.default_project_id, user_key["id"])
    (event,) = [event async for event in caught.value.trigger.run()]
    with pytest.raises(AirflowFailException, match=r"does not exist \(deleted\?\)") as failed:
        waiting.resume_execution("execute_complete", {"event": event.payload}, make_context())
    assert user_key["value"] not in str(failed.value)
    assert admin_conn.admin_key not in str(failed.value)


def test_execute_complete_returns_only_the_id_and_time(admin_conn: EmulatorServer) -> None:
    event = {"status": "success", "api_key_id": "key_1", "last_used_at": 1795680001}
    assert sensor(admin_conn, "key_1").execute_complete(make_context(), event) == {
        "api_key_id": "key_1",
        "last_used_at": 1795680001,
    }


# -- inputs ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"project_id": ""}, "project_id"),
        ({"project_id": "proj with space"}, "project_id"),
        ({"project_id": None}, "project_id"),
        ({"api_key_id": ""}, "api_key_id"),
        ({"api_key_id": "   "}, "api_key_id"),
        ({"used_after": "yesterday"}, "used_after"),
        ({"used_after": -5}, "used_after"),
    ],
)
@pytest.mark.parametrize("deferrable", [False, True])
def test_bad_input_fails_before_any_request(
    admin_conn: EmulatorServer, kwargs: dict[str, Any], field: str, deferrable: bool
) -> None:
    arguments = {"api_key_id": "key_1", "project_id": admin_conn.state.default_project_id, **kwargs}
    with pytest.raises(AirflowFailException, match=f"invalid {field}"):
        ApiKeyUsageSensor(task_id="t", deferrable=deferrable, **arguments).execute(make_context())
    assert admin_conn.log.entries() == []


NOV_26_8AM = 1795680000.0  # 2026-11-26T08:00:00Z


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, None),
        (datetime(2026, 11, 26, 8, 0, tzinfo=UTC), NOV_26_8AM),
        (datetime(2026, 11, 26, 10, 0, tzinfo=timezone(timedelta(hours=2))), NOV_26_8AM),
        (datetime(2026, 11, 26, 8, 0), NOV_26_8AM),  # naive: UTC
        (pendulum.datetime(2026, 11, 26, 9, 0, tz="Europe/Paris"), NOV_26_8AM),
        (1795680000, NOV_26_8AM),
        (1795680000.25, NOV_26_8AM + 0.25),
        (0, 0.0),
        ("1795680000", NOV_26_8AM),
        (" 1795680000.5 ", NOV_26_8AM + 0.5),
        ("2026-11-26T08:00:00Z", NOV_26_8AM),
        ("2026-11-26T08:00:00+00:00", NOV_26_8AM),
        ("2026-11-26T03:00:00-05:00", NOV_26_8AM),
        ("2026-11-26 08:00:00", NOV_26_8AM),  # no offset: UTC
        ("2026-11-26T08:00:00.000000+00:00", NOV_26_8AM),
        ("2026-11-26", NOV_26_8AM - 8 * 3600),
    ],
)
def test_used_after_accepts_datetimes_iso_strings_and_unix_seconds(value: object, expected: float | None) -> None:
    assert parse_used_after(value) == expected


@pytest.mark.parametrize(
    "value",
    ["", "   ", "yesterday", "2026-13-01", "26/11/2026", True, False, -1, -0.5, float("nan"), float("inf"), "inf", [1]],
)
def test_used_after_rejects_anything_else_naming_the_field(value: object) -> None:
    with pytest.raises(InvalidInputError) as caught:
        parse_used_after(value)
    assert caught.value.field == "used_after"
