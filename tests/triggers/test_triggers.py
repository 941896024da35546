"""OrganizationUserTrigger and ApiKeyUsageTrigger: run() against the emulator over real HTTP.

Most tests replace the trigger's ``_sleep`` with a recorder, which records each wait and
can change the emulator's state at that moment ("while it waits, the invitee accepts"), so
the number of polls and the waits between them are exact. The event-loop test uses real
sleeps, because what it proves is that the loop keeps running while a poll is slow.
"""

from __future__ import annotations

import asyncio
import importlib
import json
import secrets
from collections.abc import Awaitable, Callable, Iterator
from typing import Any

import pytest
from airflow.sdk._shared.secrets_masker import redact
from airflow.triggers.base import TriggerEvent

from airflow_provider_openai_projects.client.pacing import forget_shared_pacers
from airflow_provider_openai_projects.emulator.faults import FaultRule
from airflow_provider_openai_projects.emulator.server import EmulatorServer
from airflow_provider_openai_projects.triggers import ApiKeyUsageTrigger, OrganizationUserTrigger
from airflow_provider_openai_projects.triggers.base import OpenAIAdminPollingTrigger

USERS = "/organization/users"
USERS_ROUTE = "GET /organization/users"
KEY_ROUTE = "GET /organization/projects/{project_id}/api_keys/{api_key_id}"


def set_connection(
    monkeypatch: pytest.MonkeyPatch,
    emulator: EmulatorServer,
    *,
    conn_id: str = "openai_admin_default",
    password: str | None = None,
    extra: dict[str, Any] | None = None,
) -> None:
    conn: dict[str, Any] = {
        "conn_type": "openai_admin",
        "host": emulator.base_url,
        "password": emulator.admin_key if password is None else password,
    }
    if extra:
        conn["extra"] = extra
    monkeypatch.setenv(f"AIRFLOW_CONN_{conn_id.upper()}", json.dumps(conn))


@pytest.fixture(autouse=True)
def _fresh_pacers() -> Iterator[None]:
    """Triggers of one connection share a pacer per process; tests must not inherit cooldowns."""
    forget_shared_pacers()
    yield
    forget_shared_pacers()


@pytest.fixture
def admin_conn(emulator: EmulatorServer, monkeypatch: pytest.MonkeyPatch) -> EmulatorServer:
    # No client-side retries: a transient failure reaches the trigger's own loop at once.
    set_connection(monkeypatch, emulator, extra={"max_retries": 0})
    return emulator


class Waits:
    """A trigger's ``_sleep``: records the waits and runs ``on_wait(n)`` at the n-th one."""

    def __init__(self, on_wait: Callable[[int], Awaitable[None] | None] | None = None, limit: int = 50) -> None:
        self.calls: list[float] = []
        self.on_wait = on_wait
        self.limit = limit

    async def __call__(self, seconds: float) -> None:
        self.calls.append(seconds)
        if len(self.calls) > self.limit:
            raise AssertionError(f"the trigger kept polling: {self.calls}")
        if self.on_wait is not None:
            outcome = self.on_wait(len(self.calls))
            if outcome is not None:
                await outcome
        await asyncio.sleep(0)


async def run_to_event(trigger: OpenAIAdminPollingTrigger, waits: Waits | None = None) -> list[TriggerEvent]:
    """Every event ``run()`` yields (it must be exactly one), with a safety timeout."""
    if waits is not None:
        trigger._sleep = waits

    async def collect() -> list[TriggerEvent]:
        return [event async for event in trigger.run()]

    return await asyncio.wait_for(collect(), timeout=30)


def owner_id(emulator: EmulatorServer) -> str:
    return next(iter(emulator.state.users)).id


def new_user_key(emulator: EmulatorServer) -> dict[str, Any]:
    return emulator.create_user_api_key(emulator.state.default_project_id, owner_id(emulator))


def key_trigger(emulator: EmulatorServer, key_id: str, **kwargs: Any) -> ApiKeyUsageTrigger:
    return ApiKeyUsageTrigger(
        project_id=emulator.state.default_project_id, api_key_id=key_id, poll_interval=30, **kwargs
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


# -- events ----------------------------------------------------------------------------------


@pytest.mark.asyncio
async def test_organization_user_trigger_fires_once_the_invite_is_accepted(admin_conn: EmulatorServer) -> None:
    invite = admin_conn.state.create_invite("new.hire@example.com", "reader", [])

    def accept_on_first_wait(n: int) -> None:
        if n == 1:
            admin_conn.accept_invite(invite["id"])

    waits = Waits(accept_on_first_wait)
    events = await run_to_event(OrganizationUserTrigger(email="New.Hire@example.com", poll_interval=30), waits)

    assert len(events) == 1
    payload = events[0].payload
    assert payload["status"] == "success"
    assert payload["user"]["email"] == "new.hire@example.com"
    assert payload["user"]["id"] == admin_conn.state.users.get(payload["user"]["id"]).id
    assert waits.calls == [30.0]  # one wait of exactly poll_interval between the two polls
    assert admin_conn.log.count(route=USERS_ROUTE) == 2
    assert admin_conn.log.writes() == []


@pytest.mark.asyncio
async def test_organization_user_trigger_fires_at_once_for_an_existing_member(admin_conn: EmulatorServer) -> None:
    admin_conn.add_org_user("member@example.com")
    waits = Waits()
    (event,) = await run_to_event(OrganizationUserTrigger(email="member@example.com"), waits)
    assert event.payload["user"]["email"] == "member@example.com"
    assert waits.calls == []
    assert admin_conn.log.count(route=USERS_ROUTE) == 1


@pytest.mark.asyncio
async def test_organization_user_trigger_picks_up_a_user_added_while_it_polls_in_real_time(
    admin_conn: EmulatorServer,
) -> None:
    trigger = OrganizationUserTrigger(email="late@example.com", poll_interval=0.05)
    task = asyncio.create_task(run_to_event(trigger))
    for _ in range(500):  # two polls answered "not a member" before the person joins
        if sum(1 for e in admin_conn.log.entries() if e.route == USERS_ROUTE and e.complete) >= 2:
            break
        await asyncio.sleep(0.01)
    assert not task.done()
    admin_conn.add_org_user("late@example.com")
    (event,) = await asyncio.wait_for(task, timeout=10)
    assert event.payload["user"]["email"] == "late@example.com"
    assert admin_conn.log.count(route=USERS_ROUTE) >= 3


@pytest.mark.asyncio
async def test_api_key_usage_trigger_fires_when_the_key_is_used(admin_conn: EmulatorServer) -> None:
    key = new_user_key(admin_conn)

    async def use_on_second_wait(n: int) -> None:
        if n == 2:
            assert await asyncio.to_thread(admin_conn.use_key, key["value"]) == 200

    waits = Waits(use_on_second_wait)
    (event,) = await run_to_event(key_trigger(admin_conn, key["id"]), waits)

    stored = admin_conn.state.projects.get(admin_conn.state.default_project_id).api_keys.get(key["id"])
    assert event.payload == {"status": "success", "api_key_id": key["id"], "last_used_at": stored.last_used_at}
    assert waits.calls == [30.0, 30.0]
    assert admin_conn.log.count(route=KEY_ROUTE) == 3
    assert key["value"] not in json.dumps(event.payload)


@pytest.mark.asyncio
async def test_api_key_usage_trigger_ignores_uses_before_used_after(admin_conn: EmulatorServer) -> None:
    key = new_user_key(admin_conn)
    assert admin_conn.use_key(key["value"]) == 200
    used_before = (
        admin_conn.state.projects.get(admin_conn.state.default_project_id).api_keys.get(key["id"]).last_used_at
    )

    async def use_later_on_first_wait(n: int) -> None:
        if n == 1:
            admin_conn.state.advance_clock(10)
            assert await asyncio.to_thread(admin_conn.use_key, key["value"]) == 200

    waits = Waits(use_later_on_first_wait)
    (event,) = await run_to_event(key_trigger(admin_conn, key["id"], used_after=used_before), waits)

    assert event.payload["status"] == "success"
    assert event.payload["last_used_at"] >= used_before + 10
    assert admin_conn.log.count(route=KEY_ROUTE) == 2


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


# -- failures ------------------------------------------------------------------------------


@pytest.mark.asyncio
async def test_a_deleted_key_gives_an_error_event_at_once(admin_conn: EmulatorServer) -> None:
    key = new_user_key(admin_conn)
    admin_conn.state.delete_api_key(admin_conn.state.default_project_id, key["id"])
    waits = Waits()
    (event,) = await run_to_event(key_trigger(admin_conn, key["id"]), waits)

    assert event.payload["status"] == "error"
    assert f"API key '{key['id']}'" in event.payload["message"]
    assert "does not exist (deleted?)" in event.payload["message"]
    assert "404" in event.payload["message"]
    assert waits.calls == []
    assert admin_conn.log.count(route=KEY_ROUTE) == 1
    text = json.dumps(event.payload)
    assert key["value"] not in text
    assert admin_conn.admin_key not in text


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


# -- throttling and transient failures: waited out in the triggerer ---------------------------


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


# -- secrets ---------------------------------------------------------------------------------


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
