"""Long throttling is waited out in the triggerer (a deferral), not in a worker slot."""

from __future__ import annotations

from typing import Any

import pendulum
import pytest
from airflow.sdk.exceptions import TaskDeferred

from airflow_provider_openai_projects.client import RateLimitError
from airflow_provider_openai_projects.emulator.faults import FaultRule
from airflow_provider_openai_projects.emulator.server import EmulatorServer
from airflow_provider_openai_projects.operators import CreateProjectOperator

LIST = "/organization/projects"


def test_a_long_retry_after_defers_the_task_instead_of_sleeping(admin_conn: EmulatorServer, context: Any) -> None:
    admin_conn.faults.add(FaultRule(method="GET", path=LIST, status=429, retry_after=90))
    op = CreateProjectOperator(task_id="create", name="Throttled", deferrable=True)
    before = pendulum.now("UTC")
    with pytest.raises(TaskDeferred) as deferred:
        op.execute(context)
    assert deferred.value.method_name == "resume_after_throttle"
    assert deferred.value.kwargs == {"throttle_deferrals": 1}
    moment = deferred.value.trigger.serialize()[1]["moment"]
    assert 85 <= (moment - before).total_seconds() <= 95
    assert admin_conn.log.count(method="GET") == 1
    assert admin_conn.log.writes() == []

    project = op.resume_after_throttle(context, event=None, throttle_deferrals=1)
    assert project["name"] == "Throttled"
    assert [p.name for p in admin_conn.state.projects].count("Throttled") == 1


def test_sustained_429_without_retry_after_defers_for_a_minute_after_short_backoffs(
    admin_conn: EmulatorServer, context: Any
) -> None:
    admin_conn.faults.add(FaultRule(method="GET", path=LIST, status=429, times=None))
    op = CreateProjectOperator(task_id="create", name="Busy", deferrable=True, throttle_wait_in_worker=0.5)
    with pytest.raises(TaskDeferred) as deferred:
        op.execute(context)
    moment = deferred.value.trigger.serialize()[1]["moment"]
    assert 55 <= (moment - pendulum.now("UTC")).total_seconds() <= 61
    # Backoffs of at most 0.5 s were taken in the worker before deferring (0.5, then 1 > 0.5).
    assert admin_conn.log.count(method="GET") == 1


def test_deferrals_are_bounded(admin_conn: EmulatorServer, context: Any) -> None:
    admin_conn.faults.add(FaultRule(method="GET", path=LIST, status=429, retry_after=90, times=None))
    op = CreateProjectOperator(task_id="create", name="Never", deferrable=True, max_throttle_deferrals=3)
    with pytest.raises(RateLimitError):
        op.resume_after_throttle(context, event=None, throttle_deferrals=3)


def test_without_deferrable_a_long_retry_after_fails_the_try_for_airflow_to_retry(
    admin_conn: EmulatorServer, context: Any
) -> None:
    admin_conn.faults.add(FaultRule(method="GET", path=LIST, status=429, retry_after=600))
    with pytest.raises(RateLimitError) as caught:
        CreateProjectOperator(task_id="create", name="Plain", deferrable=False).execute(context)
    assert caught.value.retry_after == 600
    assert admin_conn.log.writes() == []
