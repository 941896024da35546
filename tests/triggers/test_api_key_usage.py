"""ApiKeyUsageTrigger: fires once the key is used after ``used_after``; a deleted key is an error event.

Most tests replace the trigger's ``_sleep`` with a recorder (:class:`Waits` in conftest),
which records each wait and can change the emulator's state at that moment, so the number
of polls and the waits between them are exact.
"""

from __future__ import annotations

import asyncio
import json

import pytest

from airflow_provider_openai_projects.emulator.server import EmulatorServer

from .conftest import (
    KEY_ROUTE,
    Waits,
    key_trigger,
    new_user_key,
    run_to_event,
)


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
