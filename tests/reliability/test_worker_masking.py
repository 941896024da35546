"""Guarantee 5 in a real worker: the task log file shows ``***`` where the secrets were.

``dag.test()`` runs tasks in the test process and does not mask what they log. Here every
task of ``worker_dags/openai_worker_masking.py`` runs through Airflow's real task supervisor,
``airflow.sdk.execution_time.supervisor.supervise`` (``supervise_task`` on 3.3): it forks the
task process, which parses the DAG file from its own DAG bundle, talks to the supervisor
over sockets, and the supervisor writes the task log file (JSON lines) and reports to the
Execution API. The Execution API is Airflow's in-process one (``InProcessExecutionAPI``, the
app the API server serves, on the tests' migrated SQLite DB); ``dag.test()`` still walks the
DAG run, with its in-process task runner swapped for ``supervise``.

This is the cheapest real path on both Airflow 3.2 and 3.3 (no API server, scheduler or
executor process to start): the DAG run takes about 8 s on 3.2 and 10 s on 3.3, most of it
building the Execution API app once and forking three task processes.

The DAG mints a key (a rotation, stored in an Airflow Variable) and then, on purpose, logs
the key it reads back from the sink and the admin key it reads from the connection. The log
files must hold ``***`` on each of those lines and neither secret anywhere.
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest

from airflow_provider_openai_projects.emulator.server import EmulatorServer
from tests.dags.conftest import airflow_db, run_texts  # noqa: F401 (airflow_db: a fixture)
from tests.reliability.conftest import Ledger
from tests.reliability.hygiene import CONN_ENV, SecretWatch, connection_env, fresh_admin_key

WORKER_DAGS = Path(__file__).resolve().parent / "worker_dags"
DAG_FILE = "openai_worker_masking.py"
DAG_ID = "openai_worker_masking"
BUNDLE = "openai-worker-masking"
MARK = "LEAK-ON-PURPOSE"
LOCAL_BUNDLE = "airflow.dag_processing.bundles.local.LocalDagBundle"
PR_SET_DUMPABLE = 4


@dataclass
class WorkerRun:
    """What the DAG run left: each task's log file, exit code and state, and the secrets."""

    logs: dict[str, str] = field(default_factory=dict)
    exit_codes: dict[str, int] = field(default_factory=dict)
    states: dict[str, str] = field(default_factory=dict)
    seconds: float = 0.0
    run: Any = None
    watch: SecretWatch | None = None

    def lines(self, task_id: str) -> list[dict[str, Any]]:
        return [json.loads(line) for line in self.logs[task_id].splitlines() if line.strip()]

    def leaking_lines(self, task_id: str) -> list[str]:
        """The ``event`` of each line the task logged on purpose."""
        return [str(line.get("event")) for line in self.lines(task_id) if MARK in str(line.get("event"))]


def _set_dumpable() -> None:
    """``supervise`` marks its process non-dumpable (a worker hardening); this process is the
    test session, so that is undone afterwards."""
    if sys.platform == "linux":
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_DUMPABLE, 1, 0, 0, 0)


@pytest.fixture(scope="module")
def worker_run(
    emulator_server: EmulatorServer,
    airflow_db: None,  # noqa: F811 (a fixture)
    ledger: Ledger,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[WorkerRun]:
    """The worker-masking DAG run once, each task through the real supervisor."""
    import airflow.sdk.definitions.dag as dag_module
    from airflow.dag_processing.dagbag import DagBag
    from airflow.executors.workloads import BundleInfo
    from airflow.sdk.api.datamodels._generated import TaskInstance as WorkloadTaskInstance
    from airflow.sdk.execution_time import supervisor
    from airflow.utils.state import TaskInstanceState

    emulator = emulator_server
    emulator.reset()
    logs_dir = tmp_path_factory.mktemp("worker-task-logs")
    result = WorkerRun()
    supervise = getattr(supervisor, "supervise_task", None) or supervisor.supervise

    with pytest.MonkeyPatch.context() as patch:
        admin_key = fresh_admin_key()
        patch.setattr(emulator.state, "admin_key", admin_key)
        patch.setattr(emulator, "admin_key", admin_key)
        patch.setenv(CONN_ENV, connection_env(emulator))
        patch.setenv(
            "AIRFLOW__DAG_PROCESSOR__DAG_BUNDLE_CONFIG_LIST",
            json.dumps(
                [
                    {"name": "dags-folder", "classpath": LOCAL_BUNDLE, "kwargs": {}},
                    {"name": BUNDLE, "classpath": LOCAL_BUNDLE, "kwargs": {"path": str(WORKER_DAGS)}},
                ]
            ),
        )
        # The supervisor notices its task process's exit at its next wake-up, at most
        # ``[workers] min_heartbeat_interval`` (5 s) later; the module reads that setting at
        # import, so it is set where the module keeps it: 1 s, a faster heartbeat, nothing else.
        patch.setattr(supervisor, "MIN_HEARTBEAT_INTERVAL", 1)
        watch = SecretWatch(emulator, ledger).install(patch)
        project_id = emulator.state.create_project("worker-masking")["id"]
        bag = DagBag(dag_folder=str(WORKER_DAGS))
        assert bag.import_errors == {}
        dag = bag.dags[DAG_ID]

        def run_in_a_real_worker(*, ti: Any, task: Any, run_triggerer: bool = False) -> None:
            """Replaces dag.test()'s in-process runner: one ``supervise`` per task instance."""
            ti.set_state(TaskInstanceState.QUEUED)
            log_file = logs_dir / f"{ti.task_id}.log"
            result.exit_codes[ti.task_id] = supervise(
                ti=WorkloadTaskInstance(
                    id=UUID(str(ti.id)),
                    task_id=ti.task_id,
                    dag_id=ti.dag_id,
                    run_id=ti.run_id,
                    try_number=ti.try_number,
                    map_index=ti.map_index,
                    dag_version_id=UUID(str(ti.dag_version_id)),
                ),
                bundle_info=BundleInfo(name=BUNDLE),
                dag_rel_path=DAG_FILE,
                token="",  # the in-process Execution API does not check tokens
                client=supervisor.InProcessTestSupervisor._api_client(dag),  # type: ignore[no-untyped-call]
                log_path=str(log_file),
            )
            result.logs[ti.task_id] = log_file.read_text()

        patch.setattr(dag_module, "_run_task", run_in_a_real_worker)
        started = time.monotonic()
        try:
            result.run = dag.test(run_conf={"project_id": project_id})
        finally:
            _set_dumpable()
        result.seconds = time.monotonic() - started
        result.watch = watch
        from tests.dags.conftest import task_states

        result.states = task_states(result.run)
        yield result
    emulator.reset()


def test_a_real_worker_masks_the_minted_key_and_the_admin_key_in_the_task_log(worker_run: WorkerRun) -> None:
    watch = worker_run.watch
    assert watch is not None
    assert worker_run.exit_codes == {"rotate": 0, "leak_on_purpose": 0, "consumer_reads_the_variable": 0}
    assert set(worker_run.states.values()) == {"success"}
    # The key was really minted, stored and read back; the task really logged it.
    assert len(watch.delivered()) == 1
    assert any("CHANGE: promoted generation" in line.get("event", "") for line in worker_run.lines("rotate"))
    assert worker_run.leaking_lines("leak_on_purpose") == [
        f"{MARK} minted key read back from the sink: ***",
        f"{MARK} admin key read from the connection: ***",
        f"{MARK} stdlib logger: key=*** admin=***",
        f"{MARK} print: key=*** admin=***",
    ]
    assert len(worker_run.leaking_lines("consumer_reads_the_variable")) == 1  # see the next test

    for task_id in ("rotate", "leak_on_purpose"):
        watch.check(f"task log file of {task_id} (real worker)", worker_run.logs[task_id])
    watch.check("XCom and rendered template fields of the worker run", run_texts(worker_run.run))
    watch.check_request_log()
    watch.assert_clean()


def test_a_consumer_reading_the_key_as_documented_is_masked_in_a_real_worker(worker_run: WorkerRun) -> None:
    """The consumer task, another process than the one that minted the key, logged it: masked."""
    watch = worker_run.watch
    assert watch is not None
    watch.check(
        "task log file of consumer_reads_the_variable (real worker)", worker_run.logs["consumer_reads_the_variable"]
    )
    watch.assert_clean()
    assert worker_run.leaking_lines("consumer_reads_the_variable") == [f"{MARK} consumer read the Variable: ***"]
