"""Guarantee 3, throttling: every operator converges under 429s, honours the server's hint,
and with client-side pacing at the API's rate (almost) never meets a 429.

- Under throttling (every request too close to the previous one refused, ``Retry-After-Ms``),
  with a run of 429s carrying ``Retry-After``, and with 429s carrying no header at all, every
  operator (and both sensors, poking) finishes its job within the connection's
  ``max_retries``; a throttle that outlasts them fails the try (for Airflow's retry) without
  a write.
- The retry after a 429 comes no earlier than ``Retry-After`` (seconds or HTTP date) or
  ``Retry-After-Ms`` said (which wins when both are sent), measured on the emulator's arrival
  timestamps; without a header the client backs off exponentially.
- With the connection's ``requests_per_minute`` equal to the emulator's limit, a run of
  several operators gets (almost) no 429, where the same run without pacing gets many.

Long waits are deferred to the triggerer instead of sleeping in a worker:
``tests/operators/test_throttle_deferral.py``. The delays here are kept short (fractions of
a second, a fractional ``Retry-After`` where the exact value does not matter); the client's
waits are real sleeps.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
import requests
from airflow.sdk import BaseOperator

from airflow_provider_openai_projects.client import RateLimitError
from airflow_provider_openai_projects.emulator.faults import FaultRule
from airflow_provider_openai_projects.emulator.server import EmulatorServer
from airflow_provider_openai_projects.operators.api_keys import DeleteProjectApiKeyOperator
from airflow_provider_openai_projects.operators.invites import InviteUserOperator
from airflow_provider_openai_projects.operators.offboarding import OffboardUserOperator
from airflow_provider_openai_projects.operators.project_users import (
    AddProjectUserOperator,
    RemoveProjectUserOperator,
)
from airflow_provider_openai_projects.operators.projects import (
    ArchiveProjectOperator,
    CreateProjectOperator,
    EnsureProjectsOperator,
    UpdateProjectOperator,
)
from airflow_provider_openai_projects.operators.rate_limits import SyncRateLimitsOperator
from airflow_provider_openai_projects.operators.rotation import (
    DeleteServiceAccountGenerationsOperator,
    RotateServiceAccountOperator,
)
from airflow_provider_openai_projects.operators.service_accounts import (
    CreateServiceAccountOperator,
    DeleteServiceAccountOperator,
)
from airflow_provider_openai_projects.sensors import ApiKeyUsageSensor, OrganizationUserSensor
from airflow_provider_openai_projects.sinks.memory import InMemoryKeySink
from tests.operators.conftest import make_context
from tests.reliability.conftest import Ledger
from tests.reliability.harness import accounts_named, active_projects_named, connect, injected_faults, role_in

POLICY = {"gpt-4o": {"max_requests_per_1_minute": 123}}
TOLERANCE = 0.02  # seconds: clock granularity between the client's sleep and the emulator's timestamp


@dataclass
class Task:
    """An operator ready to run against a seeded emulator, and the proof that it did its job
    (in the emulator's state, or for a sensor in what it returned)."""

    make: Callable[[], BaseOperator]
    done: Callable[[], None] = lambda: None
    returned: Callable[[Any], None] = lambda result: None


def _project(emulator: EmulatorServer, name: str = "Throttled") -> str:
    return str(emulator.state.create_project(name)["id"])


def create_project(emulator: EmulatorServer) -> Task:
    return Task(
        lambda: CreateProjectOperator(task_id="t", name="New"),
        lambda: _assert(active_projects_named(emulator, "New") == 1),
    )


def ensure_projects(emulator: EmulatorServer) -> Task:
    return Task(
        lambda: EnsureProjectsOperator(task_id="t", names=["One", "Two"]),
        lambda: _assert(active_projects_named(emulator, "One") == active_projects_named(emulator, "Two") == 1),
    )


def update_project(emulator: EmulatorServer) -> Task:
    project_id = _project(emulator)
    return Task(
        lambda: UpdateProjectOperator(task_id="t", project_id=project_id, name="Renamed"),
        lambda: _assert(emulator.state.projects.get(project_id).name == "Renamed"),
    )


def archive_project(emulator: EmulatorServer) -> Task:
    project_id = _project(emulator)
    return Task(
        lambda: ArchiveProjectOperator(task_id="t", project_id=project_id),
        lambda: _assert(emulator.state.projects.get(project_id).archived),
    )


def create_service_account(emulator: EmulatorServer) -> Task:
    project_id, sink = _project(emulator), InMemoryKeySink()
    return Task(
        lambda: CreateServiceAccountOperator(task_id="t", project_id=project_id, name="bot", key_sink=sink),
        lambda: _assert(
            len(accounts_named(emulator, project_id, "bot")) == 1 and sink.names() == ["openai_bot_api_key"]
        ),
    )


def delete_service_account(emulator: EmulatorServer) -> Task:
    project_id = _project(emulator)
    emulator.state.create_service_account(project_id, "old-bot")
    return Task(
        lambda: DeleteServiceAccountOperator(task_id="t", project_id=project_id, name="old-bot"),
        lambda: _assert(accounts_named(emulator, project_id, "old-bot") == []),
    )


def rotate_service_account(emulator: EmulatorServer) -> Task:
    project_id, sink = _project(emulator), InMemoryKeySink()

    def done() -> None:
        stored = sink.load("openai_team_api_key")
        assert stored is not None
        assert emulator.use_key(stored.value) == 200

    return Task(
        lambda: RotateServiceAccountOperator(
            task_id="t", project_id=project_id, service_account_name="team", key_sink=sink, verify_backoff=0
        ),
        done,
    )


def delete_generations(emulator: EmulatorServer) -> Task:
    project_id, sink = _project(emulator), InMemoryKeySink()
    for day in (19, 26):  # two generations, made before the throttle is armed
        RotateServiceAccountOperator(
            task_id="t", project_id=project_id, service_account_name="team", key_sink=sink, verify_backoff=0
        ).execute(make_context(run_id=f"scheduled__{day}", run_after=f"2026-11-{day}T08:00:00Z"))
    project = emulator.state.projects.get(project_id)
    assert project is not None
    return Task(
        lambda: DeleteServiceAccountGenerationsOperator(
            task_id="t", project_id=project_id, service_account_name="team", key_sink=sink, keep_previous=0
        ),
        lambda: _assert(len(list(project.service_accounts)) == 1),
    )


def delete_project_api_key(emulator: EmulatorServer) -> Task:
    project_id = _project(emulator)
    user_id = emulator.add_org_user("dev@example.com")["id"]
    emulator.state.add_project_user(project_id, "member", user_id=user_id)
    key = emulator.create_user_api_key(project_id, user_id)
    return Task(
        lambda: DeleteProjectApiKeyOperator(task_id="t", project_id=project_id, api_key_id=key["id"]),
        lambda: _assert(emulator.use_key(key["value"]) == 401),
    )


def invite_user(emulator: EmulatorServer) -> Task:
    return Task(
        lambda: InviteUserOperator(task_id="t", email="hire@example.com", projects=[]),
        lambda: _assert([i.email for i in emulator.state.invites] == ["hire@example.com"]),
    )


def add_project_user(emulator: EmulatorServer) -> Task:
    project_id = _project(emulator)
    user_id = emulator.add_org_user("member@example.com")["id"]
    return Task(
        lambda: AddProjectUserOperator(task_id="t", project_id=project_id, user_id=user_id, role="owner"),
        lambda: _assert(role_in(emulator, project_id, user_id) == "owner"),
    )


def remove_project_user(emulator: EmulatorServer) -> Task:
    project_id = _project(emulator)
    user_id = emulator.add_org_user("member@example.com")["id"]
    emulator.state.add_project_user(project_id, "member", user_id=user_id)
    return Task(
        lambda: RemoveProjectUserOperator(task_id="t", project_id=project_id, user_id=user_id),
        lambda: _assert(role_in(emulator, project_id, user_id) is None),
    )


def offboard_user(emulator: EmulatorServer) -> Task:
    project_id = _project(emulator)
    user_id = emulator.add_org_user("leaver@example.com")["id"]
    emulator.state.add_project_user(project_id, "member", user_id=user_id)
    return Task(
        lambda: OffboardUserOperator(task_id="t", email="leaver@example.com"),
        lambda: _assert(emulator.state.users.get(user_id) is None),
    )


def sync_rate_limits(emulator: EmulatorServer) -> Task:
    project_id = _project(emulator)
    project = emulator.state.projects.get(project_id)
    assert project is not None
    return Task(
        lambda: SyncRateLimitsOperator(task_id="t", project_ids=[project_id], rate_limits=POLICY),
        lambda: _assert(project.rate_limits.get("rl-gpt-4o").limits["max_requests_per_1_minute"] == 123),
    )


def organization_user_sensor(emulator: EmulatorServer) -> Task:
    user_id = emulator.add_org_user("joined@example.com")["id"]
    return Task(
        lambda: OrganizationUserSensor(
            task_id="t", email="joined@example.com", deferrable=False, poke_interval=0.1, timeout=30
        ),
        returned=lambda result: _assert(result["id"] == user_id),
    )


def api_key_usage_sensor(emulator: EmulatorServer) -> Task:
    project_id = _project(emulator)
    user_id = emulator.add_org_user("dev@example.com")["id"]
    emulator.state.add_project_user(project_id, "member", user_id=user_id)
    key = emulator.create_user_api_key(project_id, user_id)
    assert emulator.use_key(key["value"]) == 200
    return Task(
        lambda: ApiKeyUsageSensor(
            task_id="t", project_id=project_id, api_key_id=key["id"], deferrable=False, poke_interval=0.1, timeout=30
        ),
        returned=lambda result: _assert(result["api_key_id"] == key["id"] and result["last_used_at"] is not None),
    )


def _assert(condition: bool) -> None:
    assert condition


OPERATORS: dict[str, Callable[[EmulatorServer], Task]] = {
    "CreateProject": create_project,
    "EnsureProjects": ensure_projects,
    "UpdateProject": update_project,
    "ArchiveProject": archive_project,
    "CreateServiceAccount": create_service_account,
    "DeleteServiceAccount": delete_service_account,
    "RotateServiceAccount": rotate_service_account,
    "DeleteServiceAccountGenerations": delete_generations,
    "DeleteProjectApiKey": delete_project_api_key,
    "InviteUser": invite_user,
    "AddProjectUser": add_project_user,
    "RemoveProjectUser": remove_project_user,
    "OffboardUser": offboard_user,
    "SyncRateLimits": sync_rate_limits,
    "OrganizationUserSensor": organization_user_sensor,
    "ApiKeyUsageSensor": api_key_usage_sensor,
}


def throttled(emulator: EmulatorServer) -> list[Any]:
    return [e for e in emulator.log.entries() if e.status == 429]


def take_the_only_token(emulator: EmulatorServer) -> None:
    """One request of another client right before the operator's (a global throttle)."""
    response = requests.get(
        f"{emulator.base_url}/organization/projects",
        headers={"Authorization": f"Bearer {emulator.admin_key}"},
        timeout=10,
    )
    assert response.status_code == 200


def stop_faults(emulator: EmulatorServer) -> None:
    """Disarm every fault and the throttle (the log stays), so checking the result is not throttled."""
    emulator.faults.clear()


def run_once(task: Task, ledger: Ledger) -> Any:
    ledger.add("runs")
    return task.make().execute(make_context())


# -- every operator converges ------------------------------------------------------------------


@pytest.mark.parametrize("operator", list(OPERATORS))
def test_every_operator_converges_under_sustained_throttling_with_retry_after_ms(
    emulator: EmulatorServer, monkeypatch: pytest.MonkeyPatch, ledger: Ledger, operator: str
) -> None:
    """Every request that follows another within 0.1 s is refused: the whole run is throttled."""
    connect(monkeypatch, emulator, max_retries=3)
    task = OPERATORS[operator](emulator)
    emulator.log.clear()
    emulator.faults.throttle(600, burst=1, scope="global", retry_after=False, retry_after_ms=True)
    take_the_only_token(emulator)  # so that even the operator's first request is throttled
    result = run_once(task, ledger)
    ledger.add("faults_injected", injected_faults(emulator))
    stop_faults(emulator)
    task.done()
    task.returned(result)
    assert throttled(emulator), "the run was throttled"


@pytest.mark.parametrize("operator", list(OPERATORS))
def test_every_operator_converges_when_429s_with_retry_after_use_up_all_but_its_last_attempt(
    emulator: EmulatorServer, monkeypatch: pytest.MonkeyPatch, ledger: Ledger, operator: str
) -> None:
    connect(monkeypatch, emulator, max_retries=2)
    task = OPERATORS[operator](emulator)
    emulator.log.clear()
    emulator.faults.add(FaultRule(status=429, retry_after=0.1, times=2))
    result = run_once(task, ledger)
    ledger.add("faults_injected", injected_faults(emulator))
    stop_faults(emulator)
    task.done()
    task.returned(result)
    first, second, third = emulator.log.entries()[:3]
    assert (first.status, second.status) == (429, 429)
    assert first.path == second.path == third.path, "the same request, attempted three times"
    assert third.status != 429, "the third attempt went through"


@pytest.mark.parametrize("operator", list(OPERATORS))
def test_every_operator_converges_when_a_429_carries_no_retry_after(
    emulator: EmulatorServer, monkeypatch: pytest.MonkeyPatch, ledger: Ledger, operator: str
) -> None:
    connect(monkeypatch, emulator, max_retries=1)
    task = OPERATORS[operator](emulator)
    emulator.log.clear()
    emulator.faults.add(FaultRule(status=429, times=1))
    result = run_once(task, ledger)
    ledger.add("faults_injected", injected_faults(emulator))
    stop_faults(emulator)
    task.done()
    task.returned(result)
    assert len(throttled(emulator)) == 1


@pytest.mark.parametrize("operator", ["CreateProject", "RotateServiceAccount", "SyncRateLimits"])
def test_a_throttle_that_outlasts_the_configured_attempts_fails_the_try_without_a_write(
    emulator: EmulatorServer, monkeypatch: pytest.MonkeyPatch, ledger: Ledger, operator: str
) -> None:
    connect(monkeypatch, emulator, max_retries=2)
    task = OPERATORS[operator](emulator)
    emulator.log.clear()
    emulator.faults.add(FaultRule(status=429, retry_after=0.1, times=3))
    with pytest.raises(RateLimitError):
        run_once(task, ledger)
    ledger.add("faults_injected", injected_faults(emulator))
    assert len(emulator.log.entries()) == 3, "exactly 1 + max_retries attempts"
    assert emulator.log.writes() == []

    emulator.log.clear()
    run_once(task, ledger)  # Airflow's retry
    task.done()


# -- the wait honours the server's hint ---------------------------------------------------------


@pytest.mark.parametrize(
    ("hint", "at_least", "below"),
    [
        ({"retry_after": 2}, 2.0, 3.0),
        ({"retry_after": 2, "retry_after_date": True}, 1.0, 3.0),  # an HTTP date, whole seconds
        ({"retry_after_ms": 300}, 0.3, 0.75),
        ({"retry_after": 2, "retry_after_ms": 300}, 0.3, 0.75),  # Retry-After-Ms wins
        ({}, 0.75, 1.5),  # no hint: backoff of 1 s minus up to 25 % jitter
    ],
    ids=["retry-after-seconds", "retry-after-http-date", "retry-after-ms", "both-headers", "no-header"],
)
def test_the_retry_after_a_429_comes_no_earlier_than_the_header_said(
    emulator: EmulatorServer,
    monkeypatch: pytest.MonkeyPatch,
    ledger: Ledger,
    hint: dict[str, Any],
    at_least: float,
    below: float,
) -> None:
    connect(monkeypatch, emulator, max_retries=2)
    emulator.faults.add(FaultRule(method="GET", path="/organization/projects", status=429, **hint))
    run_once(create_project(emulator), ledger)
    ledger.add("faults_injected", injected_faults(emulator))
    refused, retried = emulator.log.entries()[:2]
    assert (refused.status, retried.status, retried.path) == (429, 200, refused.path)
    waited = retried.time - refused.time
    assert waited >= at_least - TOLERANCE, f"retried after {waited:.3f}s, the server said {at_least}s"
    assert waited < below, f"waited {waited:.3f}s: the hint was not what decided the wait"


# -- pacing at the API's rate ---------------------------------------------------------------------

RATE = 600  # per minute and endpoint: 0.1 s between two calls of an endpoint


def onboarding_day(emulator: EmulatorServer, ledger: Ledger) -> int:
    """Several operators in a row, over fifty calls; returns how many requests were sent."""
    emulator.log.clear()
    names = [f"Team {n}" for n in range(8)]
    projects = EnsureProjectsOperator(task_id="ensure", names=names).execute(make_context())
    ledger.add("runs")
    project_ids = [p["id"] for p in projects]
    sink = InMemoryKeySink()
    for index, project_id in enumerate(project_ids[:4]):
        CreateServiceAccountOperator(task_id="bot", project_id=project_id, name=f"bot-{index}", key_sink=sink).execute(
            make_context()
        )
        ledger.add("runs")
    policy = {"gpt-4o*": {"max_requests_per_1_minute": 321}}
    SyncRateLimitsOperator(task_id="sync", project_ids=project_ids, rate_limits=policy).execute(make_context())
    ledger.add("runs")
    for index in range(4):
        InviteUserOperator(task_id="invite", email=f"hire{index}@example.com", projects=[]).execute(make_context())
        ledger.add("runs")
    for name in names:
        assert active_projects_named(emulator, name) == 1
    assert len(sink.names()) == 4
    return len(emulator.log.entries())


def test_pacing_at_the_emulators_limit_meets_almost_no_429(
    emulator: EmulatorServer, monkeypatch: pytest.MonkeyPatch, ledger: Ledger
) -> None:
    connect(monkeypatch, emulator, requests_per_minute=RATE, max_retries=5)
    emulator.faults.throttle(RATE, burst=2, scope="endpoint", retry_after=False, retry_after_ms=True)
    sent = onboarding_day(emulator, ledger)
    refused = len(throttled(emulator))
    ledger.add("faults_injected", injected_faults(emulator))
    print(f"pacing at the limit: {refused} of {sent} requests throttled")
    assert sent >= 50
    assert refused <= sent // 100, f"{refused} of {sent} requests throttled"


def test_without_pacing_the_same_run_meets_the_throttle(
    emulator: EmulatorServer, monkeypatch: pytest.MonkeyPatch, ledger: Ledger
) -> None:
    """The control of the test above: the throttle is real, pacing is what avoids it."""
    connect(monkeypatch, emulator, max_retries=5)
    emulator.faults.throttle(RATE, burst=2, scope="endpoint", retry_after=False, retry_after_ms=True)
    sent = onboarding_day(emulator, ledger)
    refused = len(throttled(emulator))
    ledger.add("faults_injected", injected_faults(emulator))
    assert refused >= sent // 10, f"only {refused} of {sent} requests throttled"
