"""Shared by the trigger tests: the connection to the emulator, a recorder of the waits,
and running a trigger to its event."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable, Iterator
from typing import Any

import pytest
from airflow.triggers.base import TriggerEvent

from airflow_provider_openai_projects.client.shared_pacers import forget_shared_pacers
from airflow_provider_openai_projects.emulator.server import EmulatorServer
from airflow_provider_openai_projects.triggers import ApiKeyUsageTrigger
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
