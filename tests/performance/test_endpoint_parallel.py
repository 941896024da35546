"""The rate-limit sync keeps its read and write endpoints busy at once, within the budget."""

from __future__ import annotations

import pytest

from airflow_provider_openai_projects.emulator.server import EmulatorServer
from benchmarks import scenarios
from benchmarks.harness import CONN_ENV, connection_json

RATE = 600.0  # per endpoint per minute: 0.1 s apart


def test_writes_overlap_the_remaining_reads_and_the_calls_stay_minimal(
    emulator: EmulatorServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(CONN_ENV, connection_json(emulator, requests_per_minute=RATE))
    emulator.faults.throttle(RATE, burst=2, scope="endpoint", retry_after=False, retry_after_ms=True)
    first, _second, _dry = scenarios.rate_limit_sync(emulator, projects=11, changed_models=2, rate_per_minute=RATE)
    assert (first.calls, first.writes, first.throttled) == (first.min_calls, first.min_writes, 0)
    # Floor: the busiest endpoint (24 writes) at the paced rate; the sum of both would be ~37 calls' time.
    assert first.seconds < (first.min_writes + 6) * 60.0 / RATE * 1.15


def test_an_unknown_model_still_fails_before_any_write_while_reads_go_on(
    emulator: EmulatorServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    from airflow.sdk.exceptions import AirflowFailException

    from airflow_provider_openai_projects.operators import SyncRateLimitsOperator
    from benchmarks.harness import task_context

    monkeypatch.setenv(CONN_ENV, connection_json(emulator))
    scenarios.seed_projects(emulator, 5)
    policy = scenarios.rate_limit_policy(emulator, changed_models=2)
    policy["no-such-model"] = {"max_requests_per_1_minute": 1}
    with pytest.raises(AirflowFailException, match="no-such-model"):
        SyncRateLimitsOperator(task_id="sync", rate_limits=policy).execute(task_context())
    assert [e for e in emulator.log.entries() if e.method != "GET"] == []
