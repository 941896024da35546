"""Finding 4: a server-directed wait beyond the cap (an hour by default, connection extra
``max_server_wait``) fails the try with a clear error instead of deferring; no header value
overflows.

The attack (issue 14): ``Retry-After: 1000000000`` deferred a deferrable
``CreateProjectOperator`` to 2058, an HTTP date in 9999 to 9999-12-31, ``1e12`` crashed
with ``OverflowError`` in ``operators/base.py``, and a trigger waited 1e9 s.
"""

from __future__ import annotations

import json
import math
from typing import Any

import pytest
from airflow.sdk.exceptions import TaskDeferred

from airflow_provider_openai_projects.client import OpenAIAdminClient, RateLimitError
from airflow_provider_openai_projects.client.errors import ServerWaitTooLongError
from airflow_provider_openai_projects.client.retry import parse_retry_after
from airflow_provider_openai_projects.emulator.faults import FaultRule
from airflow_provider_openai_projects.emulator.server import EmulatorServer
from airflow_provider_openai_projects.operators import CreateProjectOperator
from airflow_provider_openai_projects.triggers import OrganizationUserTrigger
from tests.reliability.hostile import Scripted, always, hostile
from tests.reliability.hygiene import CONN_ENV, make_context

HUGE = ["1000000000", "1e12", "Fri, 31 Dec 9999 23:59:59 GMT", "1e308"]
IGNORED = ["inf", "-inf", "nan", "-5", "soon", "Fri, 31 Dec 99999 23:59:59 GMT", "9" * 5000]


def throttled(retry_after: str) -> Scripted:
    body = json.dumps({"error": {"message": "Rate limit", "type": "rate_limit_exceeded", "param": None, "code": None}})
    return Scripted(429, {"retry-after": retry_after, "content-type": "application/json"}, body.encode())


def connect(monkeypatch: pytest.MonkeyPatch, base_url: str, password: str, **extra: Any) -> None:
    connection = {"conn_type": "openai_admin", "host": base_url, "password": password, "extra": extra}
    monkeypatch.setenv(CONN_ENV, json.dumps(connection))


@pytest.mark.parametrize("value", [*HUGE, *IGNORED])
def test_no_retry_after_value_overflows(value: str) -> None:
    wait = parse_retry_after({"Retry-After": value}, now=0.0)
    assert wait is None or (math.isfinite(wait) and wait >= 0)
    wait_ms = parse_retry_after({"Retry-After-Ms": value}, now=0.0)
    assert wait_ms is None or (math.isfinite(wait_ms) and wait_ms >= 0)


@pytest.mark.parametrize("value", HUGE)
def test_the_sync_client_refuses_a_wait_beyond_the_cap_at_once(value: str) -> None:
    slept: list[float] = []
    with hostile(always(throttled(value))) as upstream:
        client = OpenAIAdminClient("sk-admin-0123456789abcdef", base_url=upstream.base_url, sleep=slept.append)
        with pytest.raises(ServerWaitTooLongError, match="max_server_wait") as caught:
            client.list_projects()
    assert len(upstream.received) == 1  # not retried, not slept
    assert slept == []
    assert not isinstance(caught.value, RateLimitError)  # so no operator defers on it


@pytest.mark.parametrize("value", IGNORED)
def test_an_unusable_retry_after_falls_back_to_the_backoff(value: str) -> None:
    slept: list[float] = []
    with hostile(always(throttled(value))) as upstream:
        client = OpenAIAdminClient(
            "sk-admin-0123456789abcdef", base_url=upstream.base_url, max_retries=1, backoff_max=0.01, sleep=slept.append
        )
        with pytest.raises(RateLimitError):
            client.list_projects()
    assert len(upstream.received) == 2
    assert all(math.isfinite(s) and s <= 0.01 for s in slept)


@pytest.mark.parametrize("seconds", [1e9, 86400 * 2])
def test_a_deferrable_operator_fails_the_try_instead_of_deferring_for_days(
    emulator: EmulatorServer, monkeypatch: pytest.MonkeyPatch, seconds: float
) -> None:
    connect(monkeypatch, emulator.base_url, emulator.admin_key)
    emulator.faults.add(FaultRule(method="GET", path="/organization/projects", status=429, retry_after=seconds))
    operator = CreateProjectOperator(task_id="p", name="team", deferrable=True)
    before = emulator.state.snapshot()
    with pytest.raises(ServerWaitTooLongError, match="more than the 3600 s"):
        operator.execute(make_context())
    assert [(e.method, e.status) for e in emulator.log.entries()] == [("GET", 429)]
    assert emulator.state.snapshot() == before


def test_the_cap_is_a_connection_extra(emulator: EmulatorServer, monkeypatch: pytest.MonkeyPatch) -> None:
    connect(monkeypatch, emulator.base_url, emulator.admin_key, max_server_wait=600)
    emulator.faults.add(FaultRule(method="GET", path="/organization/projects", status=429, retry_after=900))
    operator = CreateProjectOperator(task_id="p", name="team", deferrable=True)
    with pytest.raises(ServerWaitTooLongError, match="more than the 600 s"):
        operator.execute(make_context())
    connect(monkeypatch, emulator.base_url, emulator.admin_key, max_server_wait=7200)
    emulator.faults.add(FaultRule(method="GET", path="/organization/projects", status=429, retry_after=900))
    operator = CreateProjectOperator(task_id="p", name="team", deferrable=True)
    with pytest.raises(TaskDeferred):  # within the cap: deferred as before, for 900 s
        operator.execute(make_context())
    assert [e.method for e in emulator.log.entries()] == ["GET", "GET"]


@pytest.mark.parametrize("value", ["1e12", "Fri, 31 Dec 9999 23:59:59 GMT"])
def test_the_operator_never_overflows_on_a_hostile_upstream(monkeypatch: pytest.MonkeyPatch, value: str) -> None:
    with hostile(always(throttled(value))) as upstream:
        connect(monkeypatch, upstream.base_url, "sk-admin-0123456789abcdef")
        operator = CreateProjectOperator(task_id="p", name="team", deferrable=True)
        with pytest.raises(ServerWaitTooLongError):
            operator.execute(make_context())
    assert [r.method for r in upstream.received] == ["GET"]


def test_the_operator_refuses_to_defer_for_a_non_finite_wait(
    emulator: EmulatorServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    connect(monkeypatch, emulator.base_url, emulator.admin_key)
    operator = CreateProjectOperator(task_id="p", name="team", deferrable=True)
    for hint in (math.inf, math.nan, 1e12):
        error = RateLimitError("slow down", method="GET", path="/x", status_code=429, retry_after=hint)
        if math.isnan(hint):
            assert operator._throttle_wait(error) == 60.0  # no usable hint: the default cooldown
            continue
        with pytest.raises(ServerWaitTooLongError):
            operator._throttle_wait(error)
    assert emulator.log.entries() == []


@pytest.mark.asyncio
async def test_a_trigger_ends_with_an_error_instead_of_waiting_a_billion_seconds(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    with hostile(always(throttled("1000000000"))) as upstream:
        connect(monkeypatch, upstream.base_url, "sk-admin-0123456789abcdef")
        trigger = OrganizationUserTrigger(email="ada@example.com", poll_interval=0.01)
        waited: list[float] = []

        async def record(seconds: float) -> None:
            waited.append(seconds)

        trigger._sleep = record
        events = [event async for event in trigger.run()]
    assert len(events) == 1
    assert events[0].payload["status"] == "error"
    assert "max_server_wait" in events[0].payload["message"]
    assert waited == []
    assert len(upstream.received) == 1
