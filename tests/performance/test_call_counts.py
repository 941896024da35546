"""Each benchmark scenario at a small size makes exactly the minimum number of calls.

Performance is guarded by counting API calls (the cost under the Admin API's throttle),
never by timing: these are the benchmark's own scenario functions.
"""

from __future__ import annotations

import pytest

from airflow_provider_openai_projects.emulator.server import EmulatorServer
from benchmarks import scenarios
from benchmarks.harness import CONN_ENV, Measurement, connection_json


@pytest.fixture
def bench_emulator(emulator: EmulatorServer, monkeypatch: pytest.MonkeyPatch) -> EmulatorServer:
    monkeypatch.setenv(CONN_ENV, connection_json(emulator))
    return emulator


def assert_minimal(row: Measurement) -> None:
    assert (row.calls, row.writes) == (row.min_calls, row.min_writes), row
    assert row.throttled == 0


def test_rate_limit_sync_makes_the_minimum_calls_and_a_second_run_only_reads(bench_emulator: EmulatorServer) -> None:
    first, second, dry = scenarios.rate_limit_sync(bench_emulator, projects=7, changed_models=2, rate_per_minute=None)
    for row in (first, second, dry):
        assert_minimal(row)
    assert first.writes == 8 * 2
    assert second.writes == dry.writes == 0


def test_rotation_makes_four_calls_per_account(bench_emulator: EmulatorServer) -> None:
    (row,) = scenarios.rotation(bench_emulator, accounts=6, projects=2, rate_per_minute=None)
    assert_minimal(row)


def test_offboarding_reads_each_project_once_and_writes_only_handovers_and_the_removal(
    bench_emulator: EmulatorServer,
) -> None:
    (row,) = scenarios.offboarding(bench_emulator, projects=12, member_of=7, sole_owner_of=2, rate_per_minute=None)
    assert_minimal(row)


def test_offboarding_through_groups_reads_each_group_and_each_projects_groups_once(
    bench_emulator: EmulatorServer,
) -> None:
    (row,) = scenarios.offboarding(
        bench_emulator, projects=12, member_of=5, sole_owner_of=1, rate_per_minute=None, groups=3, through_group=3
    )
    assert_minimal(row)


def test_onboarding_makes_the_minimum_calls(bench_emulator: EmulatorServer) -> None:
    (row,) = scenarios.onboarding(bench_emulator, projects=4, rate_per_minute=None)
    assert_minimal(row)
