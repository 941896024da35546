"""The org-as-code benchmark (members, rate limits, model permissions) at a small size: plan
and apply make exactly the minimum reads and writes (formulas in ``benchmarks/org.py``), and a
second apply writes nothing."""

from __future__ import annotations

import pytest

from airflow_provider_openai_projects.emulator.server import EmulatorServer
from benchmarks import org
from benchmarks.harness import CONN_ENV, connection_json


@pytest.fixture
def bench_emulator(emulator: EmulatorServer, monkeypatch: pytest.MonkeyPatch) -> EmulatorServer:
    monkeypatch.setenv(CONN_ENV, connection_json(emulator))
    return emulator


def test_org_as_code_plan_and_apply_make_the_minimum_calls_and_a_second_apply_no_write(
    bench_emulator: EmulatorServer,
) -> None:
    plan, apply, second = org.org_as_code(bench_emulator, projects=9, people=4, rate_per_minute=None)
    for row in (plan, apply, second):
        assert (row.calls, row.writes) == (row.min_calls, row.min_writes), row
        assert row.throttled == 0
    assert apply.writes == 9 * (1 + 2 + 1)  # per project: a member, the two gpt-4o* limits, the permissions
    assert second.writes == 0
