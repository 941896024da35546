"""A long paced rate-limit sync continues from the triggerer: the worker slot is freed, and
the result (writes, call count, report, idempotence) is the one the worker would have had.

Over real HTTP to the emulator: the operator is executed as a worker would, its deferral
is caught, the trigger (rebuilt from its serialized kwargs, as the triggerer does) runs on
an event loop, and the event goes back to the operator's resume method.
"""

from __future__ import annotations

import asyncio
import importlib
from collections import Counter
from typing import Any

import pytest
from airflow.sdk.exceptions import AirflowFailException, TaskDeferred

from airflow_provider_openai_projects.emulator.server import EmulatorServer
from airflow_provider_openai_projects.operators import SyncRateLimitsOperator
from airflow_provider_openai_projects.triggers.rate_limit_sync import RateLimitSyncTrigger
from benchmarks import scenarios
from benchmarks.harness import CONN_ENV, connection_json, task_context

RATE = 1200.0  # per endpoint per minute: 0.05 s apart
SEEDED = 6
PROJECTS = SEEDED + 1  # with the default project: no project_ids, so every active project
READ = "GET /organization/projects/{project_id}/rate_limits"
WRITE = "POST /organization/projects/{project_id}/rate_limits/{rate_limit_id}"


def _seed(emulator: EmulatorServer, monkeypatch: pytest.MonkeyPatch, **extra: Any) -> dict[str, dict[str, int]]:
    emulator.reset()
    monkeypatch.setenv(CONN_ENV, connection_json(emulator, **extra))
    scenarios.seed_projects(emulator, SEEDED)
    policy = scenarios.rate_limit_policy(emulator, changed_models=2)
    emulator.log.clear()
    return policy


def _names(emulator: EmulatorServer) -> dict[str, str]:
    return {p.id: p.name for p in emulator.state.projects}


def _outcome(emulator: EmulatorServer, report: dict[str, Any]) -> dict[str, Any]:
    """What a run did, with project ids replaced by names (ids differ between seedings)."""
    names = _names(emulator)
    entries = emulator.log.entries()
    writes = sorted(
        (names[e.path.split("/")[3]], e.path.rsplit("/", 1)[1].split("-", 1)[-1], repr(e.body))
        for e in entries
        if e.method == "POST"
    )
    projects = {names[pid]: body for pid, body in report["projects"].items()}
    return {
        "calls": Counter(e.route for e in entries),
        "writes": writes,
        "throttled": sum(1 for e in entries if e.status == 429),
        "projects": projects,
        "counts": report["counts"],
    }


def _through_the_triggerer(op: SyncRateLimitsOperator, context: Any, emulator: EmulatorServer) -> dict[str, Any]:
    """Execute until the deferral (proving no rate-limit call was made in the worker), run
    the trigger rebuilt from its serialized form, and resume the operator with its event."""
    with pytest.raises(TaskDeferred) as deferred:
        op.execute(context)
    assert deferred.value.method_name == "resume_sync_from_trigger"
    assert emulator.log.count(route=READ) == 0
    assert emulator.log.writes() == []
    classpath, kwargs = deferred.value.trigger.serialize()
    module, _, name = classpath.rpartition(".")
    trigger = getattr(importlib.import_module(module), name)(**kwargs)

    async def collect() -> list[Any]:
        return [event async for event in trigger.run()]

    events = asyncio.run(asyncio.wait_for(collect(), timeout=60))
    assert len(events) == 1
    result: dict[str, Any] = op.resume_sync_from_trigger(context, event=events[0].payload)
    return result


def test_a_long_paced_sync_defers_and_makes_the_same_writes_and_calls_as_in_the_worker(
    emulator: EmulatorServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    policy = _seed(emulator, monkeypatch, requests_per_minute=RATE)
    emulator.faults.throttle(RATE, burst=2, scope="endpoint", retry_after=False, retry_after_ms=True)
    in_worker = SyncRateLimitsOperator(task_id="sync", rate_limits=policy, deferrable=False).execute(task_context())
    expected = _outcome(emulator, in_worker)

    policy = _seed(emulator, monkeypatch, requests_per_minute=RATE)
    emulator.faults.throttle(RATE, burst=2, scope="endpoint", retry_after=False, retry_after_ms=True)
    op = SyncRateLimitsOperator(task_id="sync", rate_limits=policy, deferrable=True, defer_paced_work_after=0.1)
    deferred = _through_the_triggerer(op, task_context(), emulator)
    assert _outcome(emulator, deferred) == expected
    assert expected["throttled"] == 0
    assert expected["calls"][WRITE] == PROJECTS * 2 == deferred["counts"]["updated"]
    assert expected["calls"][READ] == PROJECTS

    # Idempotent: the next run (deferred again) reads everything once and writes nothing.
    emulator.log.clear()
    again = _through_the_triggerer(
        SyncRateLimitsOperator(task_id="sync", rate_limits=policy, deferrable=True, defer_paced_work_after=0.1),
        task_context(),
        emulator,
    )
    assert again["counts"]["updated"] == 0
    assert emulator.log.writes() == []
    assert emulator.log.count(route=READ) == PROJECTS


def test_an_unknown_model_fails_after_the_deferral_without_any_write(
    emulator: EmulatorServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    policy = _seed(emulator, monkeypatch, requests_per_minute=RATE)
    policy["no-such-model"] = {"max_requests_per_1_minute": 1}
    op = SyncRateLimitsOperator(task_id="sync", rate_limits=policy, deferrable=True, defer_paced_work_after=0.1)
    context = task_context()
    with pytest.raises(AirflowFailException, match=r"invalid rate_limits\['no-such-model'\]: unknown model"):
        _through_the_triggerer(op, context, emulator)
    assert emulator.log.writes() == []
    assert emulator.log.count(route=READ) == PROJECTS
    assert context["ti"].xcom["rate_limit_report"]["counts"]["updated"] == 0


def test_a_failed_write_is_reported_like_in_the_worker_and_the_others_go_on(
    emulator: EmulatorServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    from airflow_provider_openai_projects.domain.ratelimit_policy import RateLimitSyncError
    from airflow_provider_openai_projects.emulator.faults import FaultRule

    policy = _seed(emulator, monkeypatch, requests_per_minute=RATE, max_retries=0)
    target = list(emulator.state.projects)[-1].id
    emulator.faults.add(FaultRule(method="POST", path=f"/organization/projects/{target}/rate_limits/*", status=500))
    op = SyncRateLimitsOperator(task_id="sync", rate_limits=policy, deferrable=True, defer_paced_work_after=0.1)
    context = task_context()
    with pytest.raises(RateLimitSyncError, match="1 failed"):
        _through_the_triggerer(op, context, emulator)
    report = context["ti"].xcom["rate_limit_report"]
    assert report["counts"]["failed"] == 1
    assert emulator.log.count(route=WRITE) == report["counts"]["updated"] + 1


def test_short_paced_work_and_unpaced_connections_stay_in_the_worker(
    emulator: EmulatorServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    policy = _seed(emulator, monkeypatch, requests_per_minute=RATE)
    report = SyncRateLimitsOperator(task_id="sync", rate_limits=policy, deferrable=True).execute(task_context())
    assert report["counts"]["updated"] == PROJECTS * 2  # 7 reads at 0.05 s: far under 60 s

    policy = _seed(emulator, monkeypatch)  # no requests_per_minute: nothing is paced
    op = SyncRateLimitsOperator(task_id="sync", rate_limits=policy, deferrable=True, defer_paced_work_after=0)
    assert op.execute(task_context())["counts"]["updated"] == PROJECTS * 2


def test_the_trigger_serializes_to_plain_json_without_secrets(emulator: EmulatorServer) -> None:
    from airflow.sdk.serde import deserialize, serialize

    trigger = RateLimitSyncTrigger(
        rate_limits={"gpt-4o*": {"max_requests_per_1_minute": 5}},
        targets=[["proj_1", "Team A"], ["proj_2", None]],
        openai_admin_conn_id="openai_prod",
    )
    classpath, kwargs = trigger.serialize()
    assert classpath == "airflow_provider_openai_projects.triggers.rate_limit_sync.RateLimitSyncTrigger"
    assert RateLimitSyncTrigger(**deserialize(serialize(kwargs))) == trigger
    assert emulator.admin_key not in repr(kwargs)
