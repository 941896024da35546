"""Guarantee 5, secrets: neither the admin key nor any minted key ever shows.

Every key-handling operator (create, rotate with resume and revoke, delete generations),
every other operator and sensor, both triggers and every example DAG run against the
emulator with log capture, on the happy path and under forced failures (bad input, 400,
401, 500 on create, a lost create response, a failed verification, a failing key sink).
After each, :class:`~tests.reliability.hygiene.SecretWatch` looks for the admin key and
every key the emulator ever minted (service-account and user keys, including those of
accounts deleted since) in: captured stdout/stderr and log records (formatted and raw),
return values, every XCom push (read back from the metadata DB after ``dag.test()``),
rendered template fields (the RTIF table after ``dag.test()``), exception text and
traceback, trigger events, and the emulator's request log as the client sent it (paths,
queries, bodies). It also checks that the admin key and every key the provider received
are registered with Airflow's secrets masker. Each check is one run in the ledger; each
hit is a leak, and there must be none.

Each test uses its own random admin key, so "registered with the masker" is proven by that
test, not inherited from an earlier one. A real worker's task log (masking with ``***``) is
``test_worker_masking.py``.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import pendulum
import pytest
from airflow.sdk.exceptions import AirflowFailException, TaskDeferred

from airflow_provider_openai_projects.client import ServerError
from airflow_provider_openai_projects.emulator.faults import FaultRule
from airflow_provider_openai_projects.emulator.server import EmulatorServer
from airflow_provider_openai_projects.operators import (
    AddProjectUserOperator,
    ArchiveProjectOperator,
    CreateProjectOperator,
    CreateServiceAccountOperator,
    DeleteProjectApiKeyOperator,
    DeleteServiceAccountGenerationsOperator,
    DeleteServiceAccountOperator,
    EnsureProjectsOperator,
    InviteUserOperator,
    KeyVerificationError,
    OffboardUserOperator,
    RemoveProjectUserOperator,
    RotateServiceAccountOperator,
    SyncRateLimitsOperator,
    UpdateProjectOperator,
)
from airflow_provider_openai_projects.sensors import ApiKeyUsageSensor, OrganizationUserSensor
from airflow_provider_openai_projects.sinks.memory import InMemoryKeySink
from tests.dags.conftest import (
    InviteAccepter,
    KeyConsumer,
    airflow_db,  # noqa: F401 (a fixture)
    delete_variables,
    example_dags,  # noqa: F401 (a fixture)
    read_variable,
    run_dag,
    run_texts,
    task_states,
)
from tests.reliability.conftest import Ledger
from tests.reliability.hygiene import CONN_ENV, SecretWatch, connection_env, fresh_admin_key, make_context

SERVICE_ACCOUNTS = "/organization/projects/*/service_accounts"
ENTRY = "openai_team_api_key"
PENDING = ENTRY + "_pending"


@pytest.fixture
def watch(emulator: EmulatorServer, ledger: Ledger, monkeypatch: pytest.MonkeyPatch) -> SecretWatch:
    """The emulator behind ``openai_admin_default`` with this test's own random admin key,
    recording every key it mints. No client retries: a failure reaches the operator at once."""
    key = fresh_admin_key()
    monkeypatch.setattr(emulator.state, "admin_key", key)
    monkeypatch.setattr(emulator, "admin_key", key)
    monkeypatch.setenv(CONN_ENV, connection_env(emulator, extra={"max_retries": 0}))
    return SecretWatch(emulator, ledger).install(monkeypatch)


@pytest.fixture
def project_id(watch: SecretWatch) -> str:
    return str(watch.emulator.state.create_project("team")["id"])


class FlakySink(InMemoryKeySink):
    """An in-memory sink whose ``store`` of one entry name fails once."""

    def __init__(self, fail_store_of: str | None = None) -> None:
        super().__init__()
        self.fail_store_of = fail_store_of

    def store(self, name: str, value: str, metadata: Mapping[str, Any]) -> None:
        if name == self.fail_store_of:
            self.fail_store_of = None
            raise OSError(f"key sink unavailable: could not store {name!r}")
        super().store(name, value, metadata)


def week(day: int) -> Any:
    return make_context(run_id=f"scheduled__2026-11-{day:02d}T08:00:00+00:00", run_after=f"2026-11-{day:02d}T08:00:00Z")


def run_operator(
    watch: SecretWatch,
    where: str,
    op: Any,
    context: Any,
    capfd: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
) -> Any:
    """Execute ``op`` and check its return value, XCom, rendered fields and logs."""
    result = op.execute(context)
    watch.check_operator(where, op, context, result)
    watch.check_logs(where, capfd, caplog)
    return result


def run_failing(
    watch: SecretWatch,
    where: str,
    op: Any,
    context: Any,
    capfd: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
    expected: type[BaseException] | tuple[type[BaseException], ...],
) -> BaseException:
    """Execute ``op``, which must fail with ``expected``; check the exception and everything else."""
    with pytest.raises(expected) as caught:
        op.execute(context)
    watch.check(f"{where}: exception text and traceback", caught.value)
    watch.check_operator(where, op, context)
    watch.check_logs(where, capfd, caplog)
    return caught.value


# -- key-handling operators -------------------------------------------------------------------


def test_create_service_account_never_shows_the_key_it_stores_when_creating_reusing_or_replacing(
    watch: SecretWatch, project_id: str, capfd: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture
) -> None:
    sink = InMemoryKeySink()

    def create() -> CreateServiceAccountOperator:
        return CreateServiceAccountOperator(task_id="create", project_id=project_id, name="bot", key_sink=sink)

    first = run_operator(watch, "create (new)", create(), make_context(), capfd, caplog)
    again = run_operator(watch, "create (reuse)", create(), make_context(), capfd, caplog)
    sink.delete("openai_bot_api_key")  # the key is lost: the account is an orphan and is replaced
    replaced = run_operator(watch, "create (replace orphan)", create(), make_context(), capfd, caplog)

    assert first["created"]
    assert not again["created"]
    assert replaced["created"]
    assert replaced["deleted_orphans"] == [first["service_account_id"]]
    assert len(watch.delivered()) == 2
    watch.check_request_log()
    watch.check_masked("create service account")
    watch.assert_clean()


def test_rotation_resume_and_revoke_never_show_any_generation_key(
    watch: SecretWatch, project_id: str, capfd: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture
) -> None:
    sink = FlakySink()

    def rotate(**kwargs: Any) -> RotateServiceAccountOperator:
        return RotateServiceAccountOperator(
            task_id="rotate",
            project_id=project_id,
            service_account_name="team",
            key_sink=sink,
            verify_backoff=0,
            **kwargs,
        )

    run_operator(watch, "rotate (first generation)", rotate(), week(2), capfd, caplog)
    run_operator(watch, "rotate (same run again)", rotate(), week(2), capfd, caplog)

    # The promotion fails after the new key was verified: the retry resumes from the pending entry.
    sink.fail_store_of = ENTRY
    run_failing(watch, "rotate (promotion fails)", rotate(), week(9), capfd, caplog, OSError)
    assert sink.load(PENDING) is not None
    resumed = run_operator(
        watch, "rotate (resumed)", rotate(delete_previous=True, keep_previous=0), week(9), capfd, caplog
    )
    assert resumed["resumed"] is True
    assert len(resumed["deleted"]) == 1

    run_operator(watch, "rotate (third generation)", rotate(), week(16), capfd, caplog)
    cleanup = DeleteServiceAccountGenerationsOperator(
        task_id="cleanup", project_id=project_id, service_account_name="team", key_sink=sink, keep_previous=0
    )
    cleaned = run_operator(watch, "delete previous generations", cleanup, make_context(), capfd, caplog)
    assert len(cleaned["deleted"]) == 1

    assert len(watch.minted) == 3  # every generation's key is looked for, deleted ones too
    watch.check_request_log()
    watch.check_masked("rotation")
    watch.assert_clean()


@dataclass(frozen=True)
class Failure:
    """A forced failure of a key-handling operator: set up, then run, then the error expected."""

    id: str
    arrange: Callable[[SecretWatch, str, pytest.MonkeyPatch], None]
    operator: Callable[[str], Any]
    expected: type[BaseException] | tuple[type[BaseException], ...]
    reads_connection: bool = True


def _nothing(watch: SecretWatch, project_id: str, monkeypatch: pytest.MonkeyPatch) -> None:
    return None


def _archive(watch: SecretWatch, project_id: str, monkeypatch: pytest.MonkeyPatch) -> None:
    watch.emulator.state.archive_project(project_id)


def _wrong_admin_key(watch: SecretWatch, project_id: str, monkeypatch: pytest.MonkeyPatch) -> None:
    wrong = fresh_admin_key()
    watch.add("the wrong admin key", wrong)
    watch.admin_key_in_use = wrong
    monkeypatch.setenv(CONN_ENV, connection_env(watch.emulator, password=wrong, extra={"max_retries": 0}))


def _create_fails(watch: SecretWatch, project_id: str, monkeypatch: pytest.MonkeyPatch) -> None:
    watch.emulator.faults.add(FaultRule(method="POST", path=SERVICE_ACCOUNTS, status=500, when="before", times=None))


def _create_response_lost_once(watch: SecretWatch, project_id: str, monkeypatch: pytest.MonkeyPatch) -> None:
    watch.emulator.faults.add(FaultRule(method="POST", path=SERVICE_ACCOUNTS, status=500, when="after", times=1))


def _lost_then_fails(watch: SecretWatch, project_id: str, monkeypatch: pytest.MonkeyPatch) -> None:
    _create_response_lost_once(watch, project_id, monkeypatch)
    watch.emulator.faults.add(FaultRule(method="POST", path=SERVICE_ACCOUNTS, status=503, when="before", times=None))


def _key_refused(watch: SecretWatch, project_id: str, monkeypatch: pytest.MonkeyPatch) -> None:
    watch.emulator.faults.add(FaultRule(method="GET", path="/models", status=401, times=None))


def _create_sa(sink: InMemoryKeySink | None = None, **kwargs: Any) -> Callable[[str], Any]:
    return lambda pid: CreateServiceAccountOperator(
        task_id="create", project_id=pid, name="bot", key_sink=sink or InMemoryKeySink(), **kwargs
    )


def _rotate(sink: InMemoryKeySink | None = None, **kwargs: Any) -> Callable[[str], Any]:
    return lambda pid: RotateServiceAccountOperator(
        task_id="rotate",
        project_id=pid,
        service_account_name="team",
        key_sink=sink or InMemoryKeySink(),
        verify_backoff=0,
        **kwargs,
    )


FAILURES = [
    Failure("bad-input-create", _nothing, _create_sa(secret_variable="not a name!"), AirflowFailException, False),
    Failure("bad-input-rotate", _nothing, _rotate(keep_previous=-1), AirflowFailException, False),
    Failure("400-archived-project-create", _archive, _create_sa(), AirflowFailException),
    Failure("400-archived-project-rotate", _archive, _rotate(), AirflowFailException),
    Failure("401-wrong-admin-key-create", _wrong_admin_key, _create_sa(), AirflowFailException),
    Failure("401-wrong-admin-key-rotate", _wrong_admin_key, _rotate(), AirflowFailException),
    Failure("500-on-every-create", _create_fails, _create_sa(), ServerError),
    Failure("500-on-every-rotation-create", _create_fails, _rotate(), ServerError),
    Failure("lost-create-response-then-500", _lost_then_fails, _create_sa(), ServerError),
    Failure("lost-rotation-create-response-then-500", _lost_then_fails, _rotate(), ServerError),
    Failure("verification-refused", _key_refused, _rotate(verify_attempts=2), KeyVerificationError),
    Failure("sink-store-fails-create", _nothing, _create_sa(FlakySink("openai_bot_api_key")), OSError),
    Failure("sink-store-fails-rotate", _nothing, _rotate(FlakySink(PENDING)), OSError),
]


@pytest.mark.parametrize("failure", FAILURES, ids=[f.id for f in FAILURES])
def test_a_failing_key_handling_operator_never_shows_a_key_in_its_error_or_anywhere(
    failure: Failure,
    watch: SecretWatch,
    project_id: str,
    monkeypatch: pytest.MonkeyPatch,
    capfd: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    failure.arrange(watch, project_id, monkeypatch)
    run_failing(watch, failure.id, failure.operator(project_id), week(2), capfd, caplog, failure.expected)
    watch.check_request_log()
    watch.check_masked(failure.id, admin_key=failure.reads_connection)
    watch.assert_clean()


def test_a_lost_create_response_is_reconciled_without_showing_either_key(
    watch: SecretWatch,
    project_id: str,
    monkeypatch: pytest.MonkeyPatch,
    capfd: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    _create_response_lost_once(watch, project_id, monkeypatch)
    sink = InMemoryKeySink()
    create = CreateServiceAccountOperator(task_id="create", project_id=project_id, name="bot", key_sink=sink)
    result = run_operator(watch, "create after a lost response", create, make_context(), capfd, caplog)
    rotate = _rotate(sink)(project_id)
    _create_response_lost_once(watch, project_id, monkeypatch)
    run_operator(watch, "rotate after a lost response", rotate, week(2), capfd, caplog)

    assert len(result["deleted_orphans"]) == 1
    assert len(watch.minted) == 4
    assert len(watch.delivered()) == 2
    watch.check_request_log()
    watch.check_masked("lost create responses")
    watch.assert_clean()


def test_retried_requests_including_the_verification_with_the_new_key_log_no_key(
    watch: SecretWatch,
    project_id: str,
    monkeypatch: pytest.MonkeyPatch,
    capfd: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    """The client logs every retry with the error; the verification call is the one request
    sent with the minted key instead of the admin key."""
    monkeypatch.setenv(CONN_ENV, connection_env(watch.emulator, extra={"max_retries": 3}))
    for method, path in (("GET", SERVICE_ACCOUNTS), ("GET", "/models"), ("POST", SERVICE_ACCOUNTS)):
        watch.emulator.faults.add(FaultRule(method=method, path=path, status=429, retry_after_ms=10, times=1))
    run_operator(watch, "rotate under throttling", _rotate()(project_id), week(2), capfd, caplog)

    throttled = [e for e in watch.emulator.log.entries() if e.status == 429]
    assert [(e.method, e.key_kind) for e in throttled] == [
        ("GET", "admin"),
        ("POST", "admin"),
        ("GET", "service_account"),
    ]
    watch.check_request_log()
    watch.check_masked("retries")
    watch.assert_clean()


def test_a_rotation_deferred_by_throttling_keeps_keys_out_of_the_deferral_and_the_resumed_run(
    watch: SecretWatch, project_id: str, capfd: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture
) -> None:
    sink = InMemoryKeySink()
    watch.emulator.faults.add(FaultRule(method="GET", path="/models", status=429, retry_after=600, times=1))
    rotate = _rotate(sink, deferrable=True)(project_id)
    context = week(2)
    with pytest.raises(TaskDeferred) as deferred:
        rotate.execute(context)  # the key is minted and stored, then verifying it is throttled
    assert sink.load(PENDING) is not None
    watch.check("throttle deferral: trigger and kwargs", deferred.value.trigger.serialize(), deferred.value.kwargs)
    watch.check_logs("throttle deferral", capfd, caplog)

    resumed = rotate.resume_after_throttle(context, event=None, **(deferred.value.kwargs or {}))
    assert resumed["resumed"] is True
    watch.check_operator("rotation resumed after the throttle", rotate, context, resumed)
    watch.check_logs("rotation resumed after the throttle", capfd, caplog)
    watch.check_request_log()
    watch.check_masked("throttle deferral")
    watch.assert_clean()


# -- every other operator and sensor ----------------------------------------------------------


@dataclass
class Org:
    """A small organization: a project with a member who owns a used user key, another member
    of the organization, a service account, a pending invite."""

    project_id: str
    spare_project_id: str
    member_email: str
    member_key_id: str
    other_email: str


@pytest.fixture
def org_world(watch: SecretWatch) -> Org:
    state = watch.emulator
    project_id = str(state.state.create_project("team")["id"])
    spare = str(state.state.create_project("spare")["id"])
    member = state.add_org_user("ada@example.com", name="Ada")
    state.add_org_user("grace@example.com", name="Grace")
    state.state.add_project_user(project_id, "member", user_id=member["id"])
    key = state.create_user_api_key(project_id, member["id"], name="ada-laptop")
    assert state.use_key(key["value"]) == 200
    state.state.create_service_account(project_id, "bot")
    state.state.create_invite("pending@example.com", "reader")
    return Org(project_id, spare, "ada@example.com", str(key["id"]), "grace@example.com")


OTHERS: dict[str, Callable[[Org], Any]] = {
    "CreateProjectOperator": lambda o: CreateProjectOperator(task_id="t", name="hygiene"),
    "EnsureProjectsOperator": lambda o: EnsureProjectsOperator(task_id="t", names=["team", "hygiene"]),
    "UpdateProjectOperator": lambda o: UpdateProjectOperator(task_id="t", project_id=o.project_id, name="renamed"),
    "ArchiveProjectOperator": lambda o: ArchiveProjectOperator(task_id="t", project_id=o.spare_project_id),
    "AddProjectUserOperator": lambda o: AddProjectUserOperator(
        task_id="t", project_id=o.project_id, role="owner", email=o.other_email
    ),
    "RemoveProjectUserOperator": lambda o: RemoveProjectUserOperator(
        task_id="t", project_id=o.project_id, email=o.member_email
    ),
    "InviteUserOperator": lambda o: InviteUserOperator(
        task_id="t", email="new@example.com", projects=[{"id": o.project_id, "role": "member"}]
    ),
    "OffboardUserOperator": lambda o: OffboardUserOperator(task_id="t", email=o.member_email),
    "DeleteProjectApiKeyOperator": lambda o: DeleteProjectApiKeyOperator(
        task_id="t", project_id=o.project_id, api_key_id=o.member_key_id
    ),
    "DeleteServiceAccountOperator": lambda o: DeleteServiceAccountOperator(
        task_id="t", project_id=o.project_id, name="bot"
    ),
    "SyncRateLimitsOperator": lambda o: SyncRateLimitsOperator(
        task_id="t", rate_limits={"gpt-4o*": {"max_requests_per_1_minute": 500}}, project_ids=[o.project_id]
    ),
    "OrganizationUserSensor": lambda o: OrganizationUserSensor(task_id="t", email=o.other_email, deferrable=False),
    "ApiKeyUsageSensor": lambda o: ApiKeyUsageSensor(
        task_id="t", project_id=o.project_id, api_key_id=o.member_key_id, deferrable=False
    ),
}


@pytest.mark.parametrize("name", sorted(OTHERS))
def test_every_other_operator_and_sensor_keeps_every_key_out_of_what_it_shows(
    name: str,
    watch: SecretWatch,
    org_world: Org,
    capfd: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    secrets_before = len(watch.secrets())
    run_operator(watch, name, OTHERS[name](org_world), make_context(), capfd, caplog)
    # And a second time (the idempotent path logs differently).
    run_operator(watch, f"{name} (again)", OTHERS[name](org_world), make_context(), capfd, caplog)

    assert secrets_before >= 3  # the admin key, the member's user key, the service account's key
    watch.check_request_log()
    watch.check_masked(name)
    watch.assert_clean()


def test_deferred_sensors_and_their_triggers_keep_the_admin_key_out_of_events_and_logs(
    watch: SecretWatch,
    org_world: Org,
    monkeypatch: pytest.MonkeyPatch,
    capfd: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    sensors = {
        "OrganizationUserSensor": OrganizationUserSensor(task_id="t", email=org_world.other_email, deferrable=True),
        "ApiKeyUsageSensor": ApiKeyUsageSensor(
            task_id="t", project_id=org_world.project_id, api_key_id=org_world.member_key_id, deferrable=True
        ),
    }

    async def first_event(trigger: Any) -> Any:
        return await anext(trigger.run())

    for name, sensor in sensors.items():
        context = make_context()
        with pytest.raises(TaskDeferred) as deferred:
            sensor.execute(context)
        trigger = deferred.value.trigger
        watch.check(f"{name}: trigger kwargs", trigger.serialize())
        event = asyncio.run(first_event(trigger))
        watch.check(f"{name}: trigger event", event.payload)
        result = sensor.resume_execution("execute_complete", {"event": event.payload}, context)
        watch.check_operator(f"{name} (resumed)", sensor, context, result)
        watch.check_logs(f"{name} deferred", capfd, caplog)

    # The trigger's failure message (401, a wrong admin key) carries neither key.
    wrong = fresh_admin_key()
    watch.add("the wrong admin key", wrong)
    monkeypatch.setenv(CONN_ENV, connection_env(watch.emulator, password=wrong, extra={"max_retries": 0}))
    refused = OrganizationUserSensor(task_id="t", email=org_world.other_email, deferrable=True)
    with pytest.raises(TaskDeferred) as deferred:
        refused.execute(make_context())
    event = asyncio.run(first_event(deferred.value.trigger))
    assert event.payload["status"] == "error"
    watch.check("trigger error event", event.payload)
    with pytest.raises(AirflowFailException) as failed:
        refused.resume_execution("execute_complete", {"event": event.payload}, make_context())
    watch.check("deferred sensor failure", failed.value)
    watch.check_logs("trigger with a wrong key", capfd, caplog)

    watch.check_request_log()
    watch.check_masked("deferred sensors")
    watch.assert_clean()


# -- every example DAG, with dag.test() -------------------------------------------------------


@pytest.fixture
def dag_org(
    watch: SecretWatch,
    airflow_db: None,  # noqa: F811 (a fixture)
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[SecretWatch]:
    """``openai_admin_default`` (default client settings) and no Variable left over."""
    monkeypatch.setenv(CONN_ENV, connection_env(watch.emulator))
    delete_variables()
    yield watch
    delete_variables()


def _rotation(watch: SecretWatch, dag: Any) -> Any:
    pid = watch.emulator.state.create_project("team-search")["id"]
    conf = {"entries": [{"project_id": pid, "service_account_name": "search-backend"}]}
    monday = pendulum.datetime(2026, 11, 23, 6, tz="UTC")
    with KeyConsumer(watch.emulator, "openai_search_backend_api_key"):
        first = run_dag(dag, conf, when=monday)
        assert first.state == "success", task_states(first)
        second = run_dag(dag, conf, when=monday.add(days=7))  # a new generation, the old one revoked
    assert second.state == "success", task_states(second)
    assert len(watch.minted) == 2
    return [first, second]


def _onboarding(watch: SecretWatch, dag: Any) -> Any:
    request = {
        "email": "ada@example.com",
        "projects": [{"name": "team-search", "role": "owner"}],
        "service_account": {"project": "team-search", "name": "search-backend"},
        "rate_limits": {"gpt-4o": {"max_requests_per_1_minute": 500}},
    }
    with InviteAccepter(watch.emulator, "ada@example.com"):
        run = run_dag(dag, request)
    assert run.state == "success", task_states(run)
    assert read_variable("openai_search_backend_api_key")["api_key"] in watch.delivered()
    return [run]


def _offboarding(watch: SecretWatch, dag: Any) -> Any:
    state = watch.emulator
    leaver = state.add_org_user("ada@example.com")
    successor = state.add_org_user("grace@example.com")
    pid = state.state.create_project("team-search")["id"]
    state.state.add_project_user(pid, "owner", user_id=leaver["id"])
    state.state.add_project_user(pid, "member", user_id=successor["id"])
    key = state.create_user_api_key(pid, leaver["id"], name="ada-laptop")
    assert state.use_key(key["value"]) == 200
    run = run_dag(dag, {"email": "ada@example.com", "successor_owner": "grace@example.com"})
    assert run.state == "success", task_states(run)
    return [run]


def _rate_limit_sync(watch: SecretWatch, dag: Any) -> Any:
    for name in ("team-search", "team-research"):
        watch.emulator.state.create_project(name)
    run = run_dag(dag)
    assert run.state == "success", task_states(run)
    return [run]


EXAMPLES: dict[str, Callable[[SecretWatch, Any], Any]] = {
    "openai_key_rotation": _rotation,
    "openai_onboarding": _onboarding,
    "openai_offboarding": _offboarding,
    "openai_rate_limit_sync": _rate_limit_sync,
}


@pytest.mark.parametrize("dag_id", sorted(EXAMPLES))
def test_every_example_dag_keeps_every_key_out_of_logs_xcom_and_rendered_fields(
    dag_id: str,
    dag_org: SecretWatch,
    example_dags: dict[str, Any],  # noqa: F811 (a fixture)
    capfd: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    watch = dag_org
    runs = EXAMPLES[dag_id](watch, example_dags[dag_id])

    for run in runs:
        watch.check(f"{dag_id} {run.run_id}: XCom and rendered template fields (metadata DB)", run_texts(run))
    watch.check_logs(dag_id, capfd, caplog)
    watch.check_request_log()
    watch.check_masked(dag_id)
    assert watch.checks >= 4
    watch.assert_clean()


# -- credentials in a connection's host --------------------------------------------------------


@pytest.mark.parametrize(
    "host", ["http://ops:hunter2-proxy-pass@api.example.com/v1", "ftp://ops:hunter2-proxy-pass@x/v1"]
)
def test_a_password_in_the_connection_host_is_never_echoed_in_the_error(
    host: str, emulator: EmulatorServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(CONN_ENV, connection_env(emulator, host=host))
    with pytest.raises(AirflowFailException) as caught:
        CreateProjectOperator(task_id="t", name="team").execute(make_context())
    assert emulator.log.entries() == []
    assert "hunter2-proxy-pass" not in str(caught.value)


# -- the watch itself can fail ----------------------------------------------------------------


def test_the_watch_finds_a_key_wherever_it_is_put_and_an_unmasked_key(
    emulator: EmulatorServer,
    monkeypatch: pytest.MonkeyPatch,
    capfd: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Planted leaks are found (so the checks above can fail); they go to a private ledger,
    not the session's figures."""
    import logging

    import requests

    admin_key = fresh_admin_key()
    monkeypatch.setattr(emulator.state, "admin_key", admin_key)
    watch = SecretWatch(emulator, Ledger()).install(monkeypatch)
    project_id = emulator.state.create_project("team")["id"]
    # A key delivered over HTTP to someone who never masks it, then revoked: only the
    # recording of minted keys still knows it.
    response = requests.post(
        f"{emulator.base_url}/organization/projects/{project_id}/service_accounts",
        headers={"Authorization": f"Bearer {admin_key}"},
        json={"name": "bot"},
        timeout=10,
    )
    created = response.json()
    value = created["api_key"]["value"]
    emulator.state.delete_service_account(project_id, created["id"])
    assert watch.delivered() == [value]

    print(f"key={value}")
    logging.getLogger("tests.planted").info("admin=%s", admin_key)
    watch.check_logs("planted in the logs", capfd, caplog)
    watch.check("planted in XCom", {"nested": [{"value": value}]})
    watch.check("planted in an exception", RuntimeError(f"refused {admin_key}"))
    watch.check("clean text", "nothing here")
    watch.check_masked("planted, never masked")

    assert sorted(watch.leaks) == sorted(
        [
            "minted key #0 (since deleted) in planted in the logs: captured output and logs",
            "admin key in planted in the logs: captured output and logs",
            "minted key #0 (since deleted) in planted in XCom",
            "admin key in planted in an exception",
            "admin key not registered with the secrets masker (planted, never masked)",
            f"delivered key {value[:11]}... not registered with the secrets masker (planted, never masked)",
        ]
    )
    assert watch.checks == 5
