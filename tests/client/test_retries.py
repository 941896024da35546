"""Which failures are retried, how long the client waits, and what is never retried.

Faults are injected in the emulator; waits are recorded (not slept) through the client's
``sleep`` hook, so the assertions are on the waits the client chose.
"""

from __future__ import annotations

import email.utils
import socket
import time
from collections.abc import Callable

import pytest

from airflow_provider_openai_projects.client import (
    APIConnectionError,
    BadRequestError,
    OpenAIAdminClient,
    RateLimitError,
    ServerError,
)
from airflow_provider_openai_projects.emulator.faults import FaultRule
from airflow_provider_openai_projects.emulator.server import EmulatorServer

from .conftest import SleepRecorder

MakeClient = Callable[..., OpenAIAdminClient]
PROJECTS = "/organization/projects"


def _calls(emulator: EmulatorServer, method: str, path: str) -> int:
    return sum(1 for e in emulator.log.entries() if e.method == method and e.path == path)


def test_429_with_retry_after_waits_the_servers_delay_then_succeeds(
    emulator: EmulatorServer, client: OpenAIAdminClient, sleeps: SleepRecorder
) -> None:
    emulator.faults.add(FaultRule(method="GET", path=PROJECTS, status=429, retry_after=7, times=2))
    projects = client.list_projects()
    assert [p["name"] for p in projects] == ["Default project"]
    assert sleeps.calls == pytest.approx([7.0, 7.0], abs=0.5)
    assert _calls(emulator, "GET", PROJECTS) == 3


def test_429_with_retry_after_ms_is_preferred_and_read_in_milliseconds(
    emulator: EmulatorServer, client: OpenAIAdminClient, sleeps: SleepRecorder
) -> None:
    emulator.faults.add(FaultRule(method="GET", path=PROJECTS, status=429, retry_after_ms=1500, retry_after=9))
    client.list_projects()
    assert sleeps.calls == pytest.approx([1.5], abs=0.5)


def test_429_with_an_http_date_retry_after_is_honoured(
    emulator: EmulatorServer, client: OpenAIAdminClient, sleeps: SleepRecorder
) -> None:
    emulator.faults.add(FaultRule(method="GET", path=PROJECTS, status=429, retry_after_date=True, retry_after=30))
    client.list_projects()
    assert len(sleeps.calls) == 1
    assert 25 <= sleeps.calls[0] <= 31


def test_429_without_retry_after_backs_off_exponentially_with_jitter(
    emulator: EmulatorServer, make_client: MakeClient, sleeps: SleepRecorder
) -> None:
    emulator.faults.add(FaultRule(method="GET", path=PROJECTS, status=429, times=4))
    client = make_client(backoff_initial=1.0, backoff_max=30.0)
    client.list_projects()
    assert len(sleeps.calls) == 4
    for n, waited in enumerate(sleeps.calls):
        assert 0.75 * 2**n <= waited <= 2**n
    assert _calls(emulator, "GET", PROJECTS) == 5


def test_429_on_a_create_is_retried_because_it_was_not_applied(
    emulator: EmulatorServer, client: OpenAIAdminClient
) -> None:
    emulator.faults.add(FaultRule(method="POST", path=PROJECTS, status=429, times=2))
    project = client.create_project(name="throttled")
    assert _calls(emulator, "POST", PROJECTS) == 3
    names = [p["name"] for p in client.list_projects()]
    assert names.count("throttled") == 1
    assert project["name"] == "throttled"


def test_sustained_429_gives_up_after_max_retries_with_a_rate_limit_error(
    emulator: EmulatorServer, make_client: MakeClient, sleeps: SleepRecorder
) -> None:
    emulator.faults.add(FaultRule(method="GET", path=PROJECTS, status=429, times=100))
    client = make_client(max_retries=3)
    with pytest.raises(RateLimitError):
        client.list_projects()
    assert _calls(emulator, "GET", PROJECTS) == 4
    assert len(sleeps.calls) == 3


def test_retry_after_longer_than_the_cap_is_raised_not_slept(
    emulator: EmulatorServer, make_client: MakeClient, sleeps: SleepRecorder
) -> None:
    emulator.faults.add(FaultRule(method="GET", path=PROJECTS, status=429, retry_after=600))
    client = make_client(max_retry_wait=60)
    with pytest.raises(RateLimitError) as caught:
        client.list_projects()
    assert caught.value.retry_after == 600
    assert sleeps.calls == []
    assert _calls(emulator, "GET", PROJECTS) == 1


def test_500_on_get_is_retried(emulator: EmulatorServer, client: OpenAIAdminClient, sleeps: SleepRecorder) -> None:
    emulator.faults.add(FaultRule(method="GET", path=PROJECTS, status=500, times=2))
    assert client.list_projects()
    assert _calls(emulator, "GET", PROJECTS) == 3
    assert len(sleeps.calls) == 2


def test_500_on_delete_is_retried(emulator: EmulatorServer, client: OpenAIAdminClient) -> None:
    invite = client.create_invite(email="retry-delete@example.com", role="reader")
    path = f"/organization/invites/{invite['id']}"
    emulator.faults.add(FaultRule(method="DELETE", path=path, status=503, times=1))
    assert client.delete_invite(invite["id"])["deleted"] is True
    assert _calls(emulator, "DELETE", path) == 2
    assert client.list_invites() == []


def test_500_on_create_after_it_was_applied_is_not_blindly_retried(
    emulator: EmulatorServer, client: OpenAIAdminClient, sleeps: SleepRecorder
) -> None:
    emulator.faults.add(FaultRule(method="POST", path=PROJECTS, status=500, when="after"))
    with pytest.raises(ServerError) as caught:
        client.create_project(name="lost response")
    assert caught.value.maybe_applied is True
    assert _calls(emulator, "POST", PROJECTS) == 1
    assert sleeps.calls == []
    # The create did happen: exactly one project exists, and it is the caller's to find.
    assert [p["name"] for p in client.list_projects()].count("lost response") == 1


def test_dropped_connection_on_create_is_not_retried_and_is_marked_maybe_applied(
    emulator: EmulatorServer, client: OpenAIAdminClient
) -> None:
    emulator.faults.add(FaultRule(method="POST", path=PROJECTS, drop=True, when="after"))
    with pytest.raises(APIConnectionError) as caught:
        client.create_project(name="dropped")
    assert caught.value.maybe_applied is True
    assert _calls(emulator, "POST", PROJECTS) == 1
    assert [p["name"] for p in client.list_projects()].count("dropped") == 1


def test_idempotent_update_is_retried_after_a_500(emulator: EmulatorServer, client: OpenAIAdminClient) -> None:
    project = client.create_project(name="before")
    path = f"{PROJECTS}/{project['id']}"
    emulator.faults.add(FaultRule(method="POST", path=path, status=502, when="after"))
    assert client.update_project(project["id"], name="after")["name"] == "after"
    assert _calls(emulator, "POST", path) == 2


def test_400_is_raised_once_with_the_apis_message(emulator: EmulatorServer, client: OpenAIAdminClient) -> None:
    with pytest.raises(BadRequestError) as caught:
        client.create_project(name="")
    error = caught.value
    assert error.status_code == 400
    assert error.param == "name"
    assert str(error).startswith("POST /organization/projects -> 400 invalid_request_error: ")
    assert error.message in str(error)
    assert error.request_id is not None
    assert error.request_id.startswith("req_")
    assert _calls(emulator, "POST", PROJECTS) == 1


def _refused_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_connection_refused_on_a_create_is_retried_because_nothing_was_sent(sleeps: SleepRecorder) -> None:
    client = OpenAIAdminClient(
        "sk-admin-x", base_url=f"http://127.0.0.1:{_refused_port()}/v1", max_retries=2, sleep=sleeps
    )
    with pytest.raises(APIConnectionError) as caught:
        client.create_project(name="nobody listens")
    assert caught.value.maybe_applied is False
    assert "connection refused" in str(caught.value)
    assert len(sleeps.calls) == 2


def test_read_timeout_on_a_get_is_retried(emulator: EmulatorServer, make_client: MakeClient) -> None:
    emulator.faults.add(FaultRule(method="GET", path=PROJECTS, latency=1.5))
    client = make_client(timeout=0.5)
    assert client.list_projects()
    assert _calls(emulator, "GET", PROJECTS) == 2


def test_http_date_parser_handles_past_dates() -> None:
    from airflow_provider_openai_projects.client.retry import parse_retry_after

    past = email.utils.formatdate(time.time() - 60, usegmt=True)
    assert parse_retry_after({"Retry-After": past}) == 0.0
    assert parse_retry_after({"retry-after": "garbage"}) is None
    assert parse_retry_after({}) is None
