"""Guarantee 6, concurrency: workers running at once end in a consistent state.

- Threads (each with its own operator and hook, as Airflow's parallel tasks) rotate
  different logical service accounts, two DAG runs each, while others sync the same
  rate-limit policy over the same projects, with lost create responses and added latency
  mixed in. Then: every rotation's key stored and working, no orphan, no duplicate, limits
  equal to the policy.
- The same with processes: four rotation workers sharing one key-sink file, and two sync
  workers, started together.
- A double run: two workers rotate the SAME logical account for the same DAG run at once
  (an Airflow task running twice: a zombie and its retry). What is guaranteed: at least one
  of them succeeds; at the end the current entry holds a working key of that run's
  generation (never a lost current key); the previous generation is untouched; at most one
  other account of the generation is left (an orphan whose key is no longer stored), and
  the next try of the run, or else the next rotation that deletes previous generations,
  deletes it. Not guaranteed: that both workers succeed (the one whose new account the
  other deleted as keyless fails its verification, ``KeyVerificationError``), nor that a
  key one worker promoted stays valid until the end of the overlap (the other worker may
  supersede it, and delete it, within the same run).
"""

from __future__ import annotations

import json
import multiprocessing.process
import random
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pendulum
import pytest

from airflow_provider_openai_projects.domain.key_generations import (
    default_secret_variable,
    generation_from_run,
    generation_of,
    pending_entry_name,
)
from airflow_provider_openai_projects.emulator.faults import FaultRule
from airflow_provider_openai_projects.emulator.server import EmulatorServer
from airflow_provider_openai_projects.operators.rate_limits import SyncRateLimitsOperator
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
    project_of,
    run_like_airflow,
)
from tests.reliability.rotation_worker import JsonFileKeySink, start, task_context

POLICY = {"gpt-4o*": {"max_requests_per_1_minute": 321}, "o3": {"max_tokens_per_1_minute": 12_345}}
TRIES = 3


def run_of(day: int) -> tuple[str, str]:
    return f"scheduled__2026-11-{day:02d}T08:00:00+00:00", f"2026-11-{day:02d}T08:00:00Z"


def generation(day: int) -> str:
    run_id, run_after = run_of(day)
    after = pendulum.parse(run_after)
    assert isinstance(after, pendulum.DateTime)
    return generation_from_run(after, run_id)


def rotation(project_id: str, logical: str, sink: KeySink, **kwargs: Any) -> RotateServiceAccountOperator:
    arguments: dict[str, Any] = {"verify_backoff": 0, **kwargs}
    return RotateServiceAccountOperator(
        task_id=f"rotate_{logical}", project_id=project_id, service_account_name=logical, key_sink=sink, **arguments
    )


def in_parallel(jobs: list[Callable[[], None]]) -> list[BaseException]:
    """Run the jobs in threads started together; the errors they raised."""
    barrier = threading.Barrier(len(jobs))
    errors: list[BaseException] = []
    lock = threading.Lock()

    def worker(job: Callable[[], None]) -> None:
        barrier.wait()
        try:
            job()
        except BaseException as error:  # reported to the test
            with lock:
                errors.append(error)

    threads = [threading.Thread(target=worker, args=(job,)) for job in jobs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
        assert not thread.is_alive(), "a worker hung"
    return errors


def logical_accounts(emulator: EmulatorServer, project_id: str, logical: str) -> dict[str, str]:
    """id -> name of the accounts of a logical name, from the emulator's state."""
    project = project_of(emulator, project_id)
    return {a.id: a.name for a in project.service_accounts if generation_of(a.name, logical) is not None}


def assert_rotated(
    emulator: EmulatorServer, ledger: Ledger, sink: KeySink, project_id: str, logical: str, day: int
) -> None:
    """Only the generation of ``day`` is left, its key is current and works, nothing pending."""
    entry = default_secret_variable(logical)
    accounts = logical_accounts(emulator, project_id, logical)
    current = sink.load(entry)
    works = current is not None and emulator.use_key(current.value) == 200
    held = {current.metadata["service_account_id"]} if current is not None else set()
    ledger.add("keys_lost", len(set(accounts) - held) + (0 if works else 1))
    ledger.add("duplicates_found", max(0, sum(1 for n in accounts.values() if n.endswith(generation(day))) - 1))
    assert current is not None, f"{logical}: no current key"
    assert works, f"{logical}: the current key does not work"
    assert current.metadata["generation"] == generation(day)
    assert list(accounts) == [current.metadata["service_account_id"]], f"{logical}: orphans {accounts}"
    assert sink.load(pending_entry_name(entry)) is None


def assert_limits_match_the_policy(emulator: EmulatorServer, project_ids: list[str]) -> None:
    for project_id in project_ids:
        limits = {r.model: r.limits for r in project_of(emulator, project_id).rate_limits}
        for model, fields in limits.items():
            if model.startswith("gpt-4o"):
                assert fields["max_requests_per_1_minute"] == 321, (project_id, model)
        assert limits["o3"]["max_tokens_per_1_minute"] == 12_345


# -- threads --------------------------------------------------------------------------------------


def threads_at_once(emulator: EmulatorServer, ledger: Ledger, rng: random.Random) -> None:
    """One repetition: six rotations of two runs each and two syncs, in eight threads."""
    project_ids = [str(emulator.state.create_project(f"Shared {n}")["id"]) for n in range(3)]
    sink = InMemoryKeySink()
    accounts = [(project_ids[n % 3], f"svc-{n}") for n in range(6)]
    # Lost create responses and some latency, so that workers overlap and reconcile.
    for _ in range(3):
        emulator.faults.add(
            FaultRule(method="POST", path="/organization/projects/*/service_accounts", status=500, when="after")
        )
    for _ in range(10):
        emulator.faults.add(FaultRule(method=rng.choice(["GET", "POST"]), latency=rng.uniform(0.005, 0.05)))

    def rotate_twice(project_id: str, logical: str) -> Callable[[], None]:
        def job() -> None:
            for day in (19, 26):
                run_like_airflow(
                    lambda: rotation(project_id, logical, sink, delete_previous=True, keep_previous=0),
                    task_context(*run_of(day)),
                    tries=TRIES,
                    ledger=ledger,
                )

        return job

    def sync() -> None:
        run_like_airflow(
            lambda: SyncRateLimitsOperator(task_id="sync", project_ids=project_ids, rate_limits=POLICY),
            task_context(*run_of(26)),
            tries=TRIES,
            ledger=ledger,
        )

    errors = in_parallel([*(rotate_twice(p, n) for p, n in accounts), sync, sync])
    ledger.add("faults_injected", injected_faults(emulator))
    assert errors == []
    emulator.faults.clear()
    for project_id, logical in accounts:
        assert_rotated(emulator, ledger, sink, project_id, logical, 26)
    for project_id in project_ids:
        assert len(list(project_of(emulator, project_id).service_accounts)) == 2, "no stray account"
    assert_limits_match_the_policy(emulator, project_ids)


def test_threads_rotating_different_accounts_and_syncing_limits_at_once_end_consistent(
    emulator: EmulatorServer, monkeypatch: pytest.MonkeyPatch, ledger: Ledger, repetitions: int
) -> None:
    connect(monkeypatch, emulator, max_retries=0)
    for repetition in range(max(1, repetitions // 4)):
        emulator.reset()
        as_a_new_task_process()
        threads_at_once(emulator, ledger, random.Random(f"concurrency-threads-{repetition}"))


# -- processes ------------------------------------------------------------------------------------


def test_processes_rotating_different_accounts_and_syncing_limits_at_once_end_consistent(
    emulator: EmulatorServer,
    monkeypatch: pytest.MonkeyPatch,
    ledger: Ledger,
    tmp_path: Path,
    request: pytest.FixtureRequest,
) -> None:
    connect(monkeypatch, emulator)
    allow_unix_sockets(request.config)
    project_ids = [str(emulator.state.create_project(f"Shared {n}")["id"]) for n in range(2)]
    sink = JsonFileKeySink(tmp_path / "keys.json")
    accounts = [(project_ids[n % 2], f"svc-{n}") for n in range(4)]
    for project_id, logical in accounts:  # last week's generation, made here
        rotation(project_id, logical, sink).execute(task_context(*run_of(19)))
    run_id, run_after = run_of(26)
    commands = [
        [
            "rotate",
            "--sink",
            str(sink.path),
            "--project-id",
            p,
            "--name",
            n,
            "--delete-previous",
            "--keep-previous",
            "0",
        ]
        for p, n in accounts
    ]
    sync = ["sync-rate-limits", "--policy", json.dumps(POLICY), *(a for p in project_ids for a in ("--project-id", p))]
    commands += [sync, sync]
    processes: list[multiprocessing.process.BaseProcess] = []
    try:
        for index, command in enumerate(commands):
            common = ["--result", str(tmp_path / f"result-{index}.json"), "--run-id", run_id, "--run-after", run_after]
            processes.append(start([*command, *common], connection_env(emulator)))
        for index, process in enumerate(processes):
            ledger.add("runs")
            process.join(120)
            assert process.exitcode == 0, (tmp_path / f"result-{index}.json").read_text()
    finally:
        for process in processes:
            if process.is_alive():
                process.kill()
            process.join(30)
    for project_id, logical in accounts:
        assert_rotated(emulator, ledger, sink, project_id, logical, 26)
    assert_limits_match_the_policy(emulator, project_ids)


# -- the same rotation twice at once ----------------------------------------------------------------


def double_run(emulator: EmulatorServer, ledger: Ledger, rng: random.Random) -> tuple[list[str], int]:
    """One repetition: two workers run the same rotation of the same DAG run at once, then the
    next try of that run. Returns the two workers' outcomes and the orphans they left."""
    entry, logical = default_secret_variable("team"), "team"
    project_id = str(emulator.state.create_project("Doubled")["id"])
    sink = InMemoryKeySink()
    rotation(project_id, logical, sink).execute(task_context(*run_of(12)))
    rotation(project_id, logical, sink).execute(task_context(*run_of(19)))
    previous = sink.load(entry)
    assert previous is not None
    # Different delays on the two workers' requests shuffle how their steps interleave.
    for _ in range(rng.randint(0, 4)):
        emulator.faults.add(FaultRule(method=rng.choice(["GET", "POST"]), path="*", latency=rng.uniform(0.001, 0.04)))
    context = task_context(*run_of(26))
    outcomes: list[str] = []

    def attempt() -> None:
        ledger.add("runs")
        try:
            rotation(project_id, logical, sink, delete_previous=True, keep_previous=1).execute(context)
        except Exception as error:
            outcomes.append(type(error).__name__)
            raise
        outcomes.append("success")

    errors = in_parallel([attempt, attempt])
    ledger.add("faults_injected", injected_faults(emulator))
    emulator.faults.clear()

    assert "success" in outcomes
    assert all(type(e).__name__ == "KeyVerificationError" for e in errors), errors
    current = sink.load(entry)
    assert current is not None, "the current entry was lost"
    assert current.metadata["generation"] == generation(26)
    assert emulator.use_key(current.value) == 200, "the current key does not work"
    this_run = [i for i, n in logical_accounts(emulator, project_id, logical).items() if n.endswith(generation(26))]
    assert current.metadata["service_account_id"] in this_run
    assert len(this_run) <= 2, f"more than one orphan: {this_run}"
    assert previous.metadata["service_account_id"] in logical_accounts(emulator, project_id, logical)
    assert emulator.use_key(previous.value) == 200, "the previous generation was touched"

    # What cleans up: the next try of the same DAG run (Airflow's retry of the failed worker,
    # or a clear), or else the next rotation that deletes previous generations.
    ledger.add("runs")
    if rng.random() < 0.5:
        rotation(project_id, logical, sink, delete_previous=True, keep_previous=1).execute(context)
        day, kept = 26, previous.metadata["service_account_id"]
    else:
        rotation(project_id, logical, sink, delete_previous=True, keep_previous=1).execute(task_context(*run_of(27)))
        day, kept = 27, current.metadata["service_account_id"]
    accounts = logical_accounts(emulator, project_id, logical)
    again = sink.load(entry)
    assert again is not None
    works = emulator.use_key(again.value) == 200
    ledger.add("keys_lost", 0 if works else 1)
    ledger.add("duplicates_found", max(0, len(accounts) - 2))
    assert set(accounts) == {again.metadata["service_account_id"], kept}, f"orphan left after the run of day {day}"
    assert again.metadata["generation"] == generation(day)
    assert works
    assert sink.load(pending_entry_name(entry)) is None
    return outcomes, len(this_run) - 1


def test_a_double_run_of_the_same_rotation_never_loses_the_current_key_and_what_follows_cleans_up(
    emulator: EmulatorServer, monkeypatch: pytest.MonkeyPatch, ledger: Ledger, repetitions: int
) -> None:
    connect(monkeypatch, emulator, max_retries=0)
    orphans, one_failed = 0, 0
    for repetition in range(repetitions):
        emulator.reset()
        as_a_new_task_process()
        try:
            outcomes, left = double_run(emulator, ledger, random.Random(f"double-run-{repetition}"))
        except AssertionError as failure:
            raise AssertionError(f"double run {repetition}: {failure}") from failure
        orphans += left
        one_failed += outcomes.count("success") == 1
    print(
        f"double runs: {repetitions}; one worker failed (KeyVerificationError) in {one_failed}; "
        f"{orphans} orphan(s) left, each deleted by the next try or the next rotation"
    )
