"""What every polling trigger does (``OpenAIAdminPollingTrigger``): serialization, error
events, throttling, pacing, masking; run() against the emulator over real HTTP.

Most tests replace the trigger's ``_sleep`` with a recorder (:class:`Waits` in conftest),
which records each wait and can change the emulator's state at that moment, so the number
of polls and the waits between them are exact.
"""

from __future__ import annotations

import asyncio
import importlib
import json
import secrets

import pytest
from airflow.sdk._shared.secrets_masker import redact

from airflow_provider_openai_projects.emulator.faults import FaultRule
from airflow_provider_openai_projects.emulator.server import EmulatorServer
from airflow_provider_openai_projects.triggers import ApiKeyUsageTrigger, OrganizationUserTrigger
from airflow_provider_openai_projects.triggers.base import OpenAIAdminPollingTrigger

from .conftest import (
    USERS,
    USERS_ROUTE,
    Waits,
    key_trigger,
    new_user_key,
    run_to_event,
    set_connection,
)

# -- serialization -----------------------------------------------------------------------

TRIGGERS = [
    OrganizationUserTrigger(email="ada@example.com", openai_admin_conn_id="openai_prod", poll_interval=45),
    ApiKeyUsageTrigger(project_id="proj_1", api_key_id="key_1", used_after=1764144000.5, poll_interval=10),
    ApiKeyUsageTrigger(project_id="proj_1", api_key_id="key_1"),
]


@pytest.mark.parametrize("trigger", TRIGGERS, ids=lambda t: type(t).__name__)
def test_serialize_round_trips_to_an_equal_trigger(trigger: OpenAIAdminPollingTrigger) -> None:
    classpath, kwargs = trigger.serialize()
    module_name, _, class_name = classpath.rpartition(".")
    cls = getattr(importlib.import_module(module_name), class_name)
    assert cls is type(trigger)
    rebuilt = cls(**kwargs)
    assert rebuilt == trigger
    assert rebuilt.serialize() == (classpath, kwargs)
    assert json.loads(json.dumps(kwargs)) == kwargs


@pytest.mark.parametrize("trigger", TRIGGERS, ids=lambda t: type(t).__name__)
def test_serialized_kwargs_survive_the_task_runners_serde(trigger: OpenAIAdminPollingTrigger) -> None:
    """The task runner sends ``serde.serialize(kwargs)`` to the triggerer, which deserializes them."""
    from airflow.sdk.serde import deserialize, serialize

    _, kwargs = trigger.serialize()
    assert deserialize(serialize(kwargs)) == kwargs
    assert type(trigger)(**deserialize(serialize(kwargs))) == trigger


def test_serialized_kwargs_hold_the_connection_id_and_never_a_key(admin_conn: EmulatorServer) -> None:
    _, kwargs = OrganizationUserTrigger(email="ada@example.com").serialize()
    assert kwargs == {"email": "ada@example.com", "openai_admin_conn_id": "openai_admin_default", "poll_interval": 60.0}
    assert admin_conn.admin_key not in json.dumps(kwargs)


def test_triggers_with_different_kwargs_are_not_equal() -> None:
    assert OrganizationUserTrigger(email="a@example.com") != OrganizationUserTrigger(email="b@example.com")
    assert ApiKeyUsageTrigger(project_id="p", api_key_id="k") != ApiKeyUsageTrigger(
        project_id="p", api_key_id="k", used_after=1
    )
    assert len({OrganizationUserTrigger(email="a@example.com"), OrganizationUserTrigger(email="a@example.com")}) == 1


def test_a_negative_poll_interval_is_refused() -> None:
    with pytest.raises(ValueError, match="poll_interval"):
        OrganizationUserTrigger(email="a@example.com", poll_interval=-1)


@pytest.mark.asyncio
async def test_the_event_loop_keeps_running_while_a_poll_is_slow(admin_conn: EmulatorServer) -> None:
    admin_conn.add_org_user("slow@example.com")
    admin_conn.faults.add(FaultRule(method="GET", path=USERS, latency=2.0))
    ticks_while_in_flight = 0
    stop = asyncio.Event()

    async def ticker() -> None:
        nonlocal ticks_while_in_flight
        while not stop.is_set():
            await asyncio.sleep(0.05)
            if any(not e.complete for e in admin_conn.log.entries()):
                ticks_while_in_flight += 1

    ticking = asyncio.create_task(ticker())
    (event,) = await run_to_event(OrganizationUserTrigger(email="slow@example.com", poll_interval=0.05))
    stop.set()
    await ticking

    assert event.payload["status"] == "success"
    (poll,) = admin_conn.log.entries()
    assert poll.fault == "latency=2s when=before"
    # About 40 ticks fit in the 2 s the poll was in flight; a blocked loop would allow none.
    assert ticks_while_in_flight >= 10


@pytest.mark.asyncio
async def test_a_refused_admin_key_gives_an_error_event_without_the_key(
    emulator: EmulatorServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    wrong = f"sk-admin-revoked-{secrets.token_hex(12)}"
    set_connection(monkeypatch, emulator, password=wrong)
    (event,) = await run_to_event(OrganizationUserTrigger(email="ada@example.com"), Waits())

    assert event.payload["status"] == "error"
    assert "401" in event.payload["message"]
    assert wrong not in json.dumps(event.payload)
    assert emulator.log.count(route=USERS_ROUTE) == 1


@pytest.mark.asyncio
async def test_a_project_key_in_the_connection_gives_a_403_error_event_without_the_key(
    emulator: EmulatorServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    project_key = new_user_key(emulator)["value"]
    set_connection(monkeypatch, emulator, password=project_key)
    (event,) = await run_to_event(OrganizationUserTrigger(email="ada@example.com"), Waits())
    assert event.payload["status"] == "error"
    assert "403" in event.payload["message"]
    assert project_key not in json.dumps(event.payload)


@pytest.mark.asyncio
async def test_a_missing_connection_gives_an_error_event_and_no_request(emulator: EmulatorServer) -> None:
    trigger = OrganizationUserTrigger(email="ada@example.com", openai_admin_conn_id="openai_admin_nowhere")
    (event,) = await run_to_event(trigger, Waits())
    assert event.payload["status"] == "error"
    assert "openai_admin_nowhere" in event.payload["message"]
    assert emulator.log.entries() == []


@pytest.mark.asyncio
async def test_a_connection_without_a_key_gives_an_error_event_and_no_request(
    emulator: EmulatorServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    set_connection(monkeypatch, emulator, password="")
    (event,) = await run_to_event(OrganizationUserTrigger(email="ada@example.com"), Waits())
    assert event.payload == {
        "status": "error",
        "message": "cannot use connection 'openai_admin_default': connection 'openai_admin_default' has no "
        "admin key: set its password to an OpenAI admin key (sk-admin-...)",
    }
    assert emulator.log.entries() == []


@pytest.mark.asyncio
@pytest.mark.parametrize("extra", ["rate_limit_backend", "extra__openai_admin__rate_limit_backend"])
async def test_the_shared_budget_of_either_form_of_the_extra_is_the_triggers_too(
    emulator: EmulatorServer, monkeypatch: pytest.MonkeyPatch, extra: str
) -> None:
    # The trigger read only the plain key: with the UI's prefixed form it paced per process, silently.
    set_connection(monkeypatch, emulator, extra={extra: "sqlite:budget.db"})
    (event,) = await run_to_event(OrganizationUserTrigger(email="ada@example.com"), Waits())
    assert event.payload["status"] == "error"
    assert "extra 'rate_limit_backend' (sqlite:budget.db) must name an absolute file path" in event.payload["message"]
    assert emulator.log.entries() == []


@pytest.mark.asyncio
async def test_a_long_retry_after_is_awaited_in_the_triggerer_then_polling_goes_on(
    admin_conn: EmulatorServer,
) -> None:
    admin_conn.add_org_user("patient@example.com")
    admin_conn.faults.add(FaultRule(method="GET", path=USERS, status=429, retry_after=900))
    waits = Waits()
    (event,) = await run_to_event(OrganizationUserTrigger(email="patient@example.com", poll_interval=30), waits)
    assert event.payload["status"] == "success"
    assert waits.calls == pytest.approx([900.0], abs=1)
    assert [e.status for e in admin_conn.log.entries()] == [429, 200]


@pytest.mark.asyncio
async def test_a_short_retry_after_is_awaited_by_the_client_within_its_retries(
    emulator: EmulatorServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    set_connection(monkeypatch, emulator, extra={"max_retries": 2})
    emulator.add_org_user("quick@example.com")
    emulator.faults.add(FaultRule(method="GET", path=USERS, status=429, retry_after=3, times=2))
    waits = Waits()
    (event,) = await run_to_event(OrganizationUserTrigger(email="quick@example.com", poll_interval=30), waits)
    assert event.payload["status"] == "success"
    assert waits.calls == pytest.approx([3.0, 3.0], abs=0.5)
    assert [e.status for e in emulator.log.entries()] == [429, 429, 200]


@pytest.mark.asyncio
async def test_429_without_retry_after_waits_a_poll_interval_and_polls_again(admin_conn: EmulatorServer) -> None:
    admin_conn.add_org_user("throttled@example.com")
    admin_conn.faults.add(FaultRule(method="GET", path=USERS, status=429, times=3))
    waits = Waits()
    (event,) = await run_to_event(OrganizationUserTrigger(email="throttled@example.com", poll_interval=20), waits)
    assert event.payload["status"] == "success"
    assert waits.calls == [20.0, 20.0, 20.0]
    assert admin_conn.log.count(route=USERS_ROUTE) == 4


@pytest.mark.asyncio
async def test_server_errors_and_dropped_connections_are_waited_out(admin_conn: EmulatorServer) -> None:
    key = new_user_key(admin_conn)
    assert admin_conn.use_key(key["value"]) == 200
    path = f"/organization/projects/{admin_conn.state.default_project_id}/api_keys/{key['id']}"
    admin_conn.faults.add(FaultRule(method="GET", path=path, status=503, times=2))
    admin_conn.faults.add(FaultRule(method="GET", path=path, drop=True, times=1))
    waits = Waits()
    (event,) = await run_to_event(key_trigger(admin_conn, key["id"]), waits)
    assert event.payload["status"] == "success"
    assert waits.calls == [30.0, 30.0, 30.0]
    assert [e.status for e in admin_conn.log.entries()][-4:] == [503, 503, None, 200]


@pytest.mark.asyncio
async def test_the_connections_pacing_applies_to_polls(
    emulator: EmulatorServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    set_connection(monkeypatch, emulator, extra={"requests_per_minute": 6})

    def join_on_second_wait(n: int) -> None:
        if n == 2:
            emulator.add_org_user("paced@example.com")

    waits = Waits(join_on_second_wait)
    (event,) = await run_to_event(OrganizationUserTrigger(email="paced@example.com", poll_interval=1), waits)
    assert event.payload["status"] == "success"
    # poll, wait poll_interval, then the pacer holds the next poll to one per 10 s.
    assert waits.calls[0] == 1.0
    assert waits.calls[1] == pytest.approx(10.0, abs=0.5)
    assert emulator.log.count(route=USERS_ROUTE) == 2


@pytest.mark.asyncio
async def test_the_admin_key_is_registered_with_the_masker_before_polling(monkeypatch: pytest.MonkeyPatch) -> None:
    unique_key = f"sk-admin-trigger-{secrets.token_hex(16)}"
    assert redact(unique_key) == unique_key  # never seen before in this process
    with EmulatorServer(admin_key=unique_key) as private:
        set_connection(monkeypatch, private)
        private.add_org_user("masked@example.com")
        (event,) = await run_to_event(OrganizationUserTrigger(email="masked@example.com"), Waits())
    assert event.payload["status"] == "success"
    assert unique_key not in str(redact(f"Authorization: Bearer {unique_key}"))
    assert unique_key not in json.dumps(event.payload)
