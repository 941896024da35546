"""Guarantee 2, nothing lost: a rotation stopped at any step boundary loses no key and leaves no orphan.

The rotation protocol (create, store as pending, verify, promote, revoke) is interrupted at
every step boundary, in two ways:

- by killing the process: ``SIGKILL`` of a worker process running
  ``RotateServiceAccountOperator`` (:mod:`tests.reliability.rotation_worker`, forked from
  multiprocessing's fork server, a clean interpreter that imported Airflow once) with a key
  sink that lives in a file, while a request is in flight (the emulator holds it) or right
  before/after a sink operation (the sink holds the worker there); then the rotation runs
  again in a fresh process;
- by raising: a sink that fails, an API fault, at each boundary; then Airflow's retry
  (a fresh operator, the same DAG run) runs it again.

After the interruption the previous generation must be intact (its key still current until
the new one is verified, and working); after the re-run: exactly one account of the new
generation, its key in the current entry and working, no pending entry, no orphan (every
account of the logical name is the current one or the kept previous one), and the
generation before that deleted as asked (``delete_previous=True, keep_previous=1``).
"""

from __future__ import annotations

import multiprocessing.process
import random
import signal
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pendulum
import pytest

from airflow_provider_openai_projects.domain.key_generations import (
    generation_from_run,
    generation_of,
    pending_entry_name,
)
from airflow_provider_openai_projects.emulator.faults import FaultRule
from airflow_provider_openai_projects.emulator.server import EmulatorServer
from airflow_provider_openai_projects.operators.rotation import RotateServiceAccountOperator
from airflow_provider_openai_projects.sinks.base import KeySink
from airflow_provider_openai_projects.sinks.memory import InMemoryKeySink
from tests.reliability.conftest import Ledger
from tests.reliability.harness import (
    allow_unix_sockets,
    as_a_new_task_process,
    connect,
    connection_env,
    injected_faults,
    let_first_through,
    project_of,
    run_like_airflow,
)
from tests.reliability.rotation_worker import JsonFileKeySink, start, task_context

LOGICAL = "team"
ENTRY = "openai_team_api_key"
PENDING = pending_entry_name(ENTRY)
ACCOUNTS = "/organization/projects/{project_id}/service_accounts"
HELD = 20.0  # seconds the emulator holds a request the worker is killed in (it never waits that long)
WORKER_START_LIMIT = 60.0


def run_of(day: int) -> tuple[str, str]:
    return f"scheduled__2026-11-{day:02d}T08:00:00+00:00", f"2026-11-{day:02d}T08:00:00Z"


def generation_account(day: int) -> str:
    run_id, run_after = run_of(day)
    after = pendulum.parse(run_after)
    assert isinstance(after, pendulum.DateTime)
    return f"{LOGICAL}--{generation_from_run(after, run_id)}"


def rotation(project_id: str, sink: KeySink, **kwargs: Any) -> RotateServiceAccountOperator:
    """This week's rotation: delete previous generations but keep one."""
    arguments: dict[str, Any] = {"verify_backoff": 0, "delete_previous": True, "keep_previous": 1, **kwargs}
    return RotateServiceAccountOperator(
        task_id="rotate", project_id=project_id, service_account_name=LOGICAL, key_sink=sink, **arguments
    )


@dataclass
class Rotated:
    """A logical account with two generations (days 12 and 19; 19 current) about to rotate to day 26."""

    emulator: EmulatorServer
    project_id: str
    sink: KeySink
    oldest: str
    previous: str
    previous_key: str

    @classmethod
    def prepare(cls, emulator: EmulatorServer, sink: KeySink) -> Rotated:
        project_id = str(emulator.state.create_project("Rotated")["id"])
        ids = []
        for day in (12, 19):
            operator = rotation(project_id, sink, delete_previous=False)
            ids.append(operator.execute(task_context(*run_of(day)))["service_account_id"])
        stored = sink.load(ENTRY)
        assert stored is not None
        return cls(emulator, project_id, sink, ids[0], ids[1], stored.value)

    def logical_accounts(self) -> dict[str, str]:
        """id -> name of every account of the logical name, from the emulator's state."""
        project = project_of(self.emulator, self.project_id)
        return {a.id: a.name for a in project.service_accounts if generation_of(a.name, LOGICAL) is not None}

    def assert_previous_generation_intact(self) -> None:
        """The previous generation exists and its key works; unless the new one was promoted
        (verified first), it is still the current key."""
        assert self.previous in self.logical_accounts()
        assert self.emulator.use_key(self.previous_key) == 200
        current = self.sink.load(ENTRY)
        assert current is not None, "the current entry was lost"
        if current.metadata["service_account_id"] == self.previous:
            assert current.value == self.previous_key
        else:
            assert current.metadata["generation"] == generation_account(26).split("--")[1]
            assert current.metadata["verified"] is True, "promoted before verification"
            assert self.emulator.use_key(current.value) == 200

    def keys_lost(self) -> int:
        """Accounts of the logical name whose key nobody can get (neither current nor the kept
        previous generation), plus 1 if the current key is missing or does not work."""
        current = self.sink.load(ENTRY)
        usable = {self.previous}
        lost = 0
        if current is None or self.emulator.use_key(current.value) != 200:
            lost += 1
        else:
            usable.add(str(current.metadata["service_account_id"]))
        return lost + len(set(self.logical_accounts()) - usable)

    def assert_converged(self, ledger: Ledger) -> None:
        lost = self.keys_lost()
        ledger.add("keys_lost", lost)
        accounts = self.logical_accounts()
        new = [i for i, n in accounts.items() if n == generation_account(26)]
        ledger.add("duplicates_found", max(0, len(new) - 1))
        assert len(new) == 1, f"exactly one account of the new generation, found {new}"
        current = self.sink.load(ENTRY)
        assert current is not None
        assert current.metadata["service_account_id"] == new[0]
        assert self.emulator.use_key(current.value) == 200
        assert self.sink.load(PENDING) is None
        assert set(accounts) == {new[0], self.previous}, "no orphan; the oldest generation deleted, one kept"
        assert self.emulator.use_key(self.previous_key) == 200, "the kept previous generation still works"
        assert lost == 0


# -- killing the process --------------------------------------------------------------------


@dataclass(frozen=True)
class KillPoint:
    """Where the worker is killed: while the emulator holds one of its requests (``hold``), or
    when its sink reaches ``pause`` (``"before:store:<entry>"``...)."""

    hold: Callable[[str], FaultRule] | None = None
    held_route: str | None = None
    pause: str | None = None
    #: for a held write: wait until the emulator has applied it (an account appeared or went)
    applied: Callable[[Rotated], bool] | None = None
    #: where the rotation stood when killed: (new account exists, pending entry, promoted)
    stood: tuple[bool, bool, bool] = (False, False, False)


def _new_account_exists(rotated: Rotated) -> bool:
    return generation_account(26) in rotated.logical_accounts().values()


KILL_POINTS = {
    "before-create": KillPoint(
        hold=lambda p: FaultRule(method="GET", path=ACCOUNTS.format(project_id=p), latency=HELD),
        held_route="GET /organization/projects/{project_id}/service_accounts",
        stood=(False, False, False),
    ),
    "create-applied-response-not-received": KillPoint(
        hold=lambda p: FaultRule(method="POST", path=ACCOUNTS.format(project_id=p), latency=HELD, when="after"),
        held_route="POST /organization/projects/{project_id}/service_accounts",
        applied=_new_account_exists,
        stood=(True, False, False),
    ),
    "response-received-before-pending-store": KillPoint(pause=f"before:store:{PENDING}", stood=(True, False, False)),
    "after-pending-store": KillPoint(pause=f"after:store:{PENDING}", stood=(True, True, False)),
    "during-verify": KillPoint(
        hold=lambda p: FaultRule(method="GET", path="/models", latency=HELD),
        held_route="GET /models",
        stood=(True, True, False),
    ),
    "after-promote-before-clearing-pending": KillPoint(pause=f"after:store:{ENTRY}", stood=(True, True, True)),
    "during-revoke": KillPoint(
        hold=lambda p: FaultRule(
            method="DELETE", path=ACCOUNTS.format(project_id=p) + "/*", latency=HELD, when="after"
        ),
        held_route="DELETE /organization/projects/{project_id}/service_accounts/{service_account_id}",
        stood=(True, False, True),
    ),
}


Worker = multiprocessing.process.BaseProcess


@pytest.fixture
def workers(request: pytest.FixtureRequest) -> Iterator[list[Worker]]:
    """The worker processes a test starts; any still running at the end is killed."""
    allow_unix_sockets(request.config)
    started: list[Worker] = []
    yield started
    for process in started:
        if process.is_alive():
            process.kill()
        process.join(30)


def start_worker(
    workers: list[Worker], emulator: EmulatorServer, rotated: Rotated, result: Path, *extra: str
) -> Worker:
    """This week's rotation (day 26) in a process of its own, its keys in the sink file."""
    sink = rotated.sink
    assert isinstance(sink, JsonFileKeySink)
    run_id, run_after = run_of(26)
    argv = [
        "rotate",
        *("--sink", str(sink.path), "--result", str(result)),
        *("--project-id", rotated.project_id, "--name", LOGICAL),
        *("--run-id", run_id, "--run-after", run_after),
        *("--delete-previous", "--keep-previous", "1"),
        *extra,
    ]
    process = start(argv, connection_env(emulator))
    workers.append(process)
    return process


def wait_until(process: Worker, ready: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + WORKER_START_LIMIT
    while not ready():
        if not process.is_alive():
            pytest.fail(f"the worker ended (status {process.exitcode}) before {what}")
        if time.monotonic() > deadline:
            pytest.fail(f"the worker never reached {what}")
        time.sleep(0.005)


def kill(process: Worker) -> None:
    process.kill()
    process.join(30)
    assert process.exitcode == -signal.SIGKILL


@pytest.mark.parametrize("point", list(KILL_POINTS))
def test_a_rotation_killed_at_a_step_boundary_converges_in_a_fresh_process(
    emulator: EmulatorServer,
    monkeypatch: pytest.MonkeyPatch,
    ledger: Ledger,
    tmp_path: Path,
    workers: list[Worker],
    point: str,
) -> None:
    connect(monkeypatch, emulator)
    rotated = Rotated.prepare(emulator, JsonFileKeySink(tmp_path / "keys.json"))
    kill_point = KILL_POINTS[point]
    emulator.log.clear()

    marker = tmp_path / "paused"
    extra: tuple[str, ...] = ()
    if kill_point.pause is not None:
        extra = ("--pause", kill_point.pause, "--marker", str(marker))
    else:
        assert kill_point.hold is not None
        emulator.faults.add(kill_point.hold(rotated.project_id))
    worker = start_worker(workers, emulator, rotated, tmp_path / "killed.json", *extra)

    if kill_point.pause is not None:
        wait_until(worker, marker.exists, f"the sink's {kill_point.pause}")
    else:

        def held() -> bool:
            in_flight = any(e.route == kill_point.held_route and not e.complete for e in emulator.log.entries())
            return in_flight and (kill_point.applied is None or kill_point.applied(rotated))

        wait_until(worker, held, f"{kill_point.held_route} in flight")
    kill(worker)
    ledger.add("runs")
    ledger.add("faults_injected")  # the kill
    current = rotated.sink.load(ENTRY)
    promoted = current is not None and current.metadata["service_account_id"] != rotated.previous
    stood = (_new_account_exists(rotated), rotated.sink.load(PENDING) is not None, promoted)
    assert stood == kill_point.stood, "killed where intended: (new account, pending entry, promoted)"
    rotated.assert_previous_generation_intact()

    rerun = start_worker(workers, emulator, rotated, tmp_path / "rerun.json")
    ledger.add("runs")
    rerun.join(120)
    assert rerun.exitcode == 0, (tmp_path / "rerun.json").read_text() if (tmp_path / "rerun.json").exists() else ""
    rotated.assert_converged(ledger)


# -- raising at each boundary -----------------------------------------------------------------


class WorkerStopping(BaseException):
    """What a task sees when its worker is told to stop mid-step (not an ``Exception``)."""


class FailingSink(InMemoryKeySink):
    """An in-memory sink that raises once on chosen operations: ``fail("store", entry)``."""

    def __init__(self) -> None:
        super().__init__()
        self.failures: dict[tuple[str, str], BaseException] = {}
        self.raised = 0

    def fail(self, operation: str, name: str, error: BaseException | None = None) -> None:
        self.failures[(operation, name)] = error or OSError(f"key sink unavailable: {operation} {name!r}")

    def _maybe_fail(self, operation: str, name: str) -> None:
        error = self.failures.pop((operation, name), None)
        if error is not None:
            self.raised += 1
            raise error

    def store(self, name: str, value: str, metadata: Mapping[str, Any]) -> None:
        self._maybe_fail("store", name)
        super().store(name, value, metadata)

    def delete(self, name: str) -> None:
        self._maybe_fail("delete", name)
        super().delete(name)


def _list_fails(rotated: Rotated, sink: FailingSink) -> None:
    rotated.emulator.faults.add(
        FaultRule(method="GET", path=ACCOUNTS.format(project_id=rotated.project_id), status=503)
    )


def _create_lost_and_look_again_fails(rotated: Rotated, sink: FailingSink) -> None:
    path = ACCOUNTS.format(project_id=rotated.project_id)
    let_first_through(rotated.emulator, "GET", path)
    rotated.emulator.faults.add(FaultRule(method="POST", path=path, status=502, when="after"))
    rotated.emulator.faults.add(FaultRule(method="GET", path=path, status=503))


def _pending_store_fails(rotated: Rotated, sink: FailingSink) -> None:
    sink.fail("store", PENDING)


def _pending_store_interrupted(rotated: Rotated, sink: FailingSink) -> None:
    sink.fail("store", PENDING, WorkerStopping())


def _verify_fails(rotated: Rotated, sink: FailingSink) -> None:
    rotated.emulator.faults.add(FaultRule(method="GET", path="/models", status=503))


def _promote_fails(rotated: Rotated, sink: FailingSink) -> None:
    sink.fail("store", ENTRY)


def _promote_interrupted(rotated: Rotated, sink: FailingSink) -> None:
    sink.fail("store", ENTRY, WorkerStopping())


def _clearing_pending_fails(rotated: Rotated, sink: FailingSink) -> None:
    sink.fail("delete", PENDING)


def _revoke_fails(rotated: Rotated, sink: FailingSink) -> None:
    path = ACCOUNTS.format(project_id=rotated.project_id) + f"/{rotated.oldest}"
    rotated.emulator.faults.add(FaultRule(method="DELETE", path=path, status=503, when="after"))


INTERRUPTIONS: dict[str, Callable[[Rotated, FailingSink], None]] = {
    "list-fails-before-create": _list_fails,
    "create-lost-and-look-again-fails": _create_lost_and_look_again_fails,
    "pending-store-fails": _pending_store_fails,
    "pending-store-interrupted": _pending_store_interrupted,
    "verify-fails": _verify_fails,
    "promote-fails": _promote_fails,
    "promote-interrupted": _promote_interrupted,
    "clearing-pending-fails": _clearing_pending_fails,
    "revoke-fails-after-deleting": _revoke_fails,
}


def execute_catching_everything(operator: RotateServiceAccountOperator, context: Any) -> BaseException | None:
    try:
        operator.execute(context)
    except BaseException as error:  # a stopping worker raises a BaseException too
        return error
    return None


@pytest.mark.parametrize("interruption", list(INTERRUPTIONS))
def test_a_rotation_that_raises_at_a_step_boundary_converges_on_retry(
    emulator: EmulatorServer, monkeypatch: pytest.MonkeyPatch, ledger: Ledger, interruption: str
) -> None:
    connect(monkeypatch, emulator, max_retries=0)
    sink = FailingSink()
    rotated = Rotated.prepare(emulator, sink)
    emulator.log.clear()
    INTERRUPTIONS[interruption](rotated, sink)
    context = task_context(*run_of(26))

    ledger.add("runs")
    error = execute_catching_everything(rotation(rotated.project_id, sink), context)
    assert error is not None, "the interruption interrupted the rotation"
    assert not sink.failures, "the sink failure was reached"
    assert emulator.faults.stats()["pending_rules"] == 0, "the API fault was reached"
    ledger.add("faults_injected", injected_faults(emulator) + sink.raised)
    rotated.assert_previous_generation_intact()

    run_like_airflow(lambda: rotation(rotated.project_id, sink), context, tries=1, ledger=ledger)
    rotated.assert_converged(ledger)
    assert sink.names() == [ENTRY]


def test_random_sequences_of_interruptions_converge(
    emulator: EmulatorServer, monkeypatch: pytest.MonkeyPatch, ledger: Ledger, repetitions: int
) -> None:
    """Several interruptions in a row (each try stopped somewhere else), then a clean try."""
    connect(monkeypatch, emulator, max_retries=0)
    for repetition in range(repetitions):
        rng = random.Random(f"crash-safety-{repetition}")
        emulator.reset()
        as_a_new_task_process()
        sink = FailingSink()
        rotated = Rotated.prepare(emulator, sink)
        context = task_context(*run_of(26))
        sequence = rng.choices(list(INTERRUPTIONS), k=rng.randint(1, 4))
        for interruption in sequence:
            INTERRUPTIONS[interruption](rotated, sink)
            sink.raised = 0
            ledger.add("runs")
            execute_catching_everything(rotation(rotated.project_id, sink), context)
            ledger.add("faults_injected", injected_faults(emulator) + sink.raised)
            # A failure armed for a step this try did not reach (it resumed past it, or an
            # earlier step failed) is dropped: the next try gets its own interruption.
            sink.failures.clear()
            emulator.faults.clear()
            emulator.log.clear()
            rotated.assert_previous_generation_intact()
        ledger.add("runs")
        rotation(rotated.project_id, sink).execute(context)
        try:
            rotated.assert_converged(ledger)
        except AssertionError as failure:
            raise AssertionError(f"repetition {repetition}, interruptions {sequence}: {failure}") from failure
