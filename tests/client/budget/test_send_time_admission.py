"""The shared budget admits a request when its process is about to send it, not ahead of time.

A process that wakes up late (a loaded host did not run it) sends on its own time and the
next sender, in any process, keeps an interval after it (less ``SEND_TOLERANCE``). So late
wake-ups cannot pile requests onto the server's bucket: the arrivals stay as far apart as
the admissions, whatever the lateness, and no 429 costs a retried call.
"""

from __future__ import annotations

import itertools
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from airflow_provider_openai_projects.client.budget import SharedPacer, open_store
from airflow_provider_openai_projects.client.budget.pacer import SEND_TOLERANCE
from airflow_provider_openai_projects.emulator.server import EmulatorServer
from tests.client.budget.test_missed_slot import ENDPOINT, LateClock

ROOT = Path(__file__).resolve().parents[3]
CONN_ENV = "AIRFLOW_CONN_OPENAI_ADMIN_DEFAULT"


def sends(tmp_path: Path, overrun: list[float], count: int) -> tuple[list[float], LateClock]:
    """When each of ``count`` requests was admitted (one per second), the sleeps overrunning as given."""
    clock = LateClock(overrun=overrun)
    pacer = SharedPacer(open_store(f"sqlite:///{tmp_path}/budget.db"), "conn", 60, clock=clock, sleep=clock.sleep)
    times = []
    for _ in range(count):
        pacer.wait(ENDPOINT)
        times.append(clock.now)
    return times, clock


def test_a_late_wake_up_sends_at_once_and_the_next_keeps_an_interval_after_it(tmp_path: Path) -> None:
    times, clock = sends(tmp_path, overrun=[0.8], count=3)
    assert len(clock.sleeps) == 2  # no slot given up and re-taken: one sleep per request
    assert times[1] - times[0] == pytest.approx(1.0 - SEND_TOLERANCE + 0.8, abs=0.002)
    assert times[2] - times[1] == pytest.approx(1.0 - SEND_TOLERANCE, abs=0.002)


def test_any_run_of_admissions_spans_its_intervals_less_the_tolerance_whatever_the_lateness(tmp_path: Path) -> None:
    overrun = [0.0, 0.8, 0.1, 0.0, 0.5, 0.0, 0.0, 1.7, 0.2, 0.24, 0.0, 0.0]
    times, clock = sends(tmp_path, overrun=overrun, count=len(overrun) + 1)
    assert len(clock.sleeps) == len(overrun)
    for (i, a), (j, b) in itertools.combinations(enumerate(times), 2):
        assert b - a >= (j - i) - SEND_TOLERANCE - 0.002, (i, j)


def test_a_lateness_within_the_tolerance_costs_the_pace_nothing(tmp_path: Path) -> None:
    late = SEND_TOLERANCE * 0.8
    times, _ = sends(tmp_path, overrun=[late] * 10, count=11)
    # Each sleep ends at the earliest admission time plus ``late``: the lateness never adds up.
    assert times[-1] - times[0] == pytest.approx(10.0 - SEND_TOLERANCE + late, abs=0.01)


def test_late_waking_processes_sharing_the_budget_meet_no_429_and_make_only_the_needed_calls(
    emulator: EmulatorServer, backend_url: str, tmp_path: Path
) -> None:
    """Four processes; every second sleep of each overruns by 45 % of an interval (a host too
    loaded to wake them on time): the admissions still keep the server's bucket of 2 from
    running dry, on every back-end. (A regression guard: the earlier reserve-ahead design
    passed it too; what differs is proved above, where a late wake-up gives up no turn.)"""
    rate, processes, calls = 300.0, 4, 6
    project_id = emulator.state.create_project("shared")["id"]
    emulator.faults.throttle(rate, burst=2, scope="endpoint", retry_after=False, retry_after_ms=True)
    extra = {"requests_per_minute": rate, "rate_limit_backend": backend_url}
    conn = {"conn_type": "openai_admin", "host": emulator.base_url, "password": emulator.admin_key, "extra": extra}
    env = {**os.environ, CONN_ENV: json.dumps(conn)}
    barrier = tmp_path / "barrier"
    barrier.mkdir()
    command = [sys.executable, "-m", "tests.client.budget.budget_worker", str(calls), project_id, str(barrier)]
    workers = [subprocess.Popen([*command, "2", "0.45"], cwd=ROOT, env=env) for _ in range(processes)]  # noqa: S603
    deadline = time.monotonic() + 180
    while len(list(barrier.glob("ready-*"))) < processes and time.monotonic() < deadline:
        assert all(worker.poll() is None for worker in workers)
        time.sleep(0.05)
    (barrier / "go").touch()
    assert [worker.wait(timeout=240) for worker in workers] == [0] * processes
    entries = emulator.log.entries()
    assert [e.status for e in entries if e.status != 200] == []  # no 429
    assert len(entries) == processes * calls * 2  # the minimum: no retried call
