"""A real Airflow deployment on this machine, started as a platform team would start it.

:class:`Deployment` runs, each as its own subprocess (and process group), in a throwaway
directory: the OpenAI Admin API emulator (``openai-admin-emulator``, with a per-endpoint
throttle), a PostgreSQL server for the metadata DB (``tests/postgres_server.py``), then
``airflow db migrate`` and the four long-running Airflow components (``scheduler`` with the
LocalExecutor, ``dag-processor``, ``triggerer``, ``api-server``). The DAGs folder is a copy
of the repository's ``dags_examples/`` (with its ``config/``) plus the tests' own DAGs
(``tests/deployment/dags/``).

The metadata DB is PostgreSQL, as in production: on SQLite the four components and the CLI
contend for one writer lock, and on a loaded 2-core machine a scheduler whose write was
refused ("database is locked") exited mid-loop, failing every test after it.

Every wait is bounded; every component's output goes to a log file in the temporary
directory (:meth:`Deployment.describe_logs` prints their tails when a test fails); stopping
sends SIGTERM to each process group, then SIGKILL to what is left. Each process and the
directory are recorded with ``tests/process_guard.py``: whatever happens to the test session,
none is left running and the directory is removed when it ends (keep it for a post-mortem
with ``OPENAI_PROVIDER_TESTS_KEEP_FILES=1``).

:class:`AirflowApi` drives it through the api-server's REST API (``/api/v2``), as a user or
a CI job would; :class:`EmulatorControl` plays the people around the organization through
the emulator's control API (``/_emulator``).
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import secrets
import shlex
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

import requests
from cryptography.fernet import Fernet

from airflow_provider_openai_projects.emulator.gateway import CONTROL_TOKEN_HEADER
from tests import process_guard
from tests.loopback import free_port
from tests.postgres_server import postgres_server

REPO = Path(__file__).resolve().parents[2]
README = REPO / "README.md"
DAGS_FOLDER = REPO / "dags_examples"
#: DAGs of the tests only (copied into the deployment's DAGs folder next to the examples).
TEST_DAGS_FOLDER = Path(__file__).resolve().parent / "dags"
BIN = Path(sys.executable).parent
POOL = "openai_admin_api"
EXAMPLE_DAGS = ("openai_onboarding", "openai_offboarding", "openai_key_rotation", "openai_rate_limit_sync")
COMPONENTS = ("scheduler", "dag-processor", "triggerer", "api-server")

#: Emulator throttle: requests per minute per endpoint, and the bucket size.
EMULATOR_RPM = 240
EMULATOR_BURST = 10
#: Client-side pacing of the connection (per process and endpoint), under the throttle.
CONNECTION_RPM = 120
#: The connection of the parallel-sync test: its budget is shared by every task process
#: through a SQLite file in the deployment's home (``rate_limit_backend``).
SHARED_BUDGET_CONN_ID = "openai_admin_shared_budget"
#: How often the example DAGs' sensors check (``[openai_admin_examples] poll_interval_seconds``).
POLL_SECONDS = 1.0

_T = TypeVar("_T")


class DeploymentError(AssertionError):
    """The deployment did not reach the expected state in time."""


def wait_for(what: str, probe: Callable[[], _T | None], timeout: float, interval: float = 0.5) -> _T:
    """Call ``probe`` until it returns something other than ``None`` (or falsy); its value.

    Raises :class:`DeploymentError` naming ``what`` after ``timeout`` seconds. An exception
    from ``probe`` counts as "not yet" (a component still starting refuses connections).
    """
    deadline = time.monotonic() + timeout
    last_error: BaseException | None = None
    while True:
        try:
            value = probe()
        except (requests.RequestException, OSError, ValueError, KeyError) as error:
            value, last_error = None, error
        if value:
            return value
        if time.monotonic() > deadline:
            detail = f" (last error: {last_error!r})" if last_error else ""
            raise DeploymentError(f"timed out after {timeout:.0f} s waiting for {what}{detail}")
        time.sleep(interval)


def readme_command(prefix: str) -> tuple[dict[str, str], list[str]]:
    """The first command of the README's ``bash`` blocks that starts with ``prefix`` (after its
    ``NAME=value`` environment assignments): those assignments and its arguments.

    The deployment tests run the README's own commands, so a README that shows a command
    Airflow no longer has (``airflow dags backfill``) fails them."""
    text = README.read_text(encoding="utf-8")
    for block in re.findall(r"^ *```bash\n(.*?)^ *```", text, re.MULTILINE | re.DOTALL):
        for line in block.splitlines():
            try:
                words = shlex.split(line, comments=True)
            except ValueError:  # a line of a command spread over several (a JSON value)
                continue
            assignments = {}
            while words and re.fullmatch(r"[A-Z_][A-Z0-9_]*=.*", words[0]):
                name, _, value = words.pop(0).partition("=")
                assignments[name] = value
            if words and " ".join(words).startswith(prefix):
                return assignments, words
    raise AssertionError(f"the README shows no command starting with {prefix!r} in a bash block")


class Deployment:
    """The processes of one deployment; start with :meth:`start`, always :meth:`stop`."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.home = root / "airflow-home"
        self.process_logs = root / "process-logs"
        self.admin_key = "sk-admin-" + secrets.token_hex(24)
        self.control_token = secrets.token_urlsafe(24)
        self.api_port = free_port()
        self.emulator_url = ""
        self.dags_folder = root / "dags"
        self.shared_budget_rpm = CONNECTION_RPM
        self._secrets = {"fernet": Fernet.generate_key().decode()}
        self._processes: dict[str, subprocess.Popen[bytes]] = {}
        self._servers = contextlib.ExitStack()
        self.metadata_db_url = ""
        process_guard.record_path(root, "a test deployment's directory")

    # -- addresses -------------------------------------------------------------------------

    @property
    def api_url(self) -> str:
        return f"http://127.0.0.1:{self.api_port}"

    def environment(self) -> dict[str, str]:
        """The environment of every Airflow process: this machine's, minus any Airflow
        setting of the test process (its home, unit-test mode), plus the deployment's."""
        env = {k: v for k, v in os.environ.items() if not k.startswith("AIRFLOW")}
        env.pop("OPENAI_API_KEY", None)
        env.pop("OPENAI_ADMIN_KEY", None)
        connection = {
            "conn_type": "openai_admin",
            "host": self.emulator_url + "/v1",
            "password": self.admin_key,
            "extra": {"requests_per_minute": CONNECTION_RPM},
        }
        shared = {
            **connection,
            "extra": {
                "requests_per_minute": self.shared_budget_rpm,
                "rate_limit_backend": f"sqlite:///{self.home / 'throttle-budget.db'}",
            },
        }
        env.update(
            {
                "AIRFLOW_HOME": str(self.home),
                "AIRFLOW__CORE__DAGS_FOLDER": str(self.dags_folder),
                # psycopg 3 (the budget's PostgreSQL driver) for the sync and the async engine.
                "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": self.metadata_db_url,
                "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN_ASYNC": self.metadata_db_url,
                "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
                "AIRFLOW__CORE__EXECUTOR": "LocalExecutor",
                "AIRFLOW__CORE__PARALLELISM": "8",
                "AIRFLOW__CORE__FERNET_KEY": self._secrets["fernet"],
                "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": f"{self.api_url}/execution/",
                "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_ALL_ADMINS": "True",
                "AIRFLOW__API__BASE_URL": self.api_url,
                "AIRFLOW__API__PORT": str(self.api_port),
                "AIRFLOW__API__HOST": "127.0.0.1",
                "AIRFLOW__API__WORKERS": "1",
                "AIRFLOW__API__SECRET_KEY": self._secret("api"),
                "AIRFLOW__API_AUTH__JWT_SECRET": self._secret("jwt"),
                "AIRFLOW__SCHEDULER__SCHEDULER_HEARTBEAT_SEC": "1",
                # A 2-core machine shared with other jobs: the api-server may answer a task's
                # supervisor slowly; the default 5 s failed a first try on a load average of 16.
                "AIRFLOW__WORKERS__EXECUTION_API_TIMEOUT": "30",
                "AIRFLOW__DAG_PROCESSOR__REFRESH_INTERVAL": "5",
                "AIRFLOW__OPENAI_ADMIN_EXAMPLES__POLL_INTERVAL_SECONDS": str(POLL_SECONDS),
                "AIRFLOW_CONN_OPENAI_ADMIN_DEFAULT": json.dumps(connection),
                f"AIRFLOW_CONN_{SHARED_BUDGET_CONN_ID.upper()}": json.dumps(shared),
            }
        )
        return env

    def _secret(self, name: str) -> str:
        return self._secrets.setdefault(name, secrets.token_urlsafe(32))

    # -- lifecycle -------------------------------------------------------------------------

    def start(self) -> None:
        """Emulator, PostgreSQL, migrated DB, the four components; returns once the api-server reports
        every component healthy (bounded wait). The DAGs may not be parsed yet: the first test
        waits for them."""
        self.home.mkdir(parents=True)
        self.process_logs.mkdir(parents=True)
        # The example DAGs as a user deploys them (with their config/), plus the tests' DAGs.
        shutil.copytree(DAGS_FOLDER, self.dags_folder, ignore=shutil.ignore_patterns("__pycache__"))
        for dag_file in TEST_DAGS_FOLDER.glob("*.py"):
            shutil.copy(dag_file, self.dags_folder / dag_file.name)
        self._start_emulator()
        port = self._servers.enter_context(postgres_server("the test deployment's metadata DB", prefix="deploy-pg-"))
        self.metadata_db_url = f"postgresql+psycopg://postgres@127.0.0.1:{port}/postgres"
        self._run_once("db-migrate", [str(BIN / "airflow"), "db", "migrate"], timeout=240)
        for name in COMPONENTS:
            self._spawn(name, [str(BIN / "airflow"), name])
        wait_for("the api-server to report every component healthy", self._all_healthy, timeout=240, interval=1)

    def stop(self) -> None:
        """SIGTERM to every process group, SIGKILL to what is left after 20 s, then the
        metadata DB's server (idempotent)."""
        for process in self._processes.values():
            _signal_group(process, signal.SIGTERM)
        deadline = time.monotonic() + 20
        for process in self._processes.values():
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.wait(timeout=max(0.1, deadline - time.monotonic()))
            _signal_group(process, signal.SIGKILL)
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.wait(timeout=5)
        self._processes.clear()
        self._servers.close()

    def _start_emulator(self) -> None:
        self._spawn(
            "emulator",
            [
                str(BIN / "openai-admin-emulator"),
                # "--name=value": a random token may begin with "-", which argparse would
                # otherwise read as the next option (one run in 64 failed to start).
                "--port=0",
                f"--admin-key={self.admin_key}",
                f"--control-token={self.control_token}",
                f"--throttle-rpm={EMULATOR_RPM}",
                f"--throttle-burst={EMULATOR_BURST}",
                "--throttle-scope=endpoint",
            ],
            env={k: v for k, v in os.environ.items() if not k.startswith("AIRFLOW")},
        )
        log = self.process_logs / "emulator.log"

        def announced() -> str | None:
            self._check_alive()
            match = re.search(r"emulator: (http://127\.0\.0\.1:\d+)/v1", log.read_text())
            return match.group(1) if match else None

        self.emulator_url = wait_for("the emulator to announce its URL", announced, timeout=60)

    def _spawn(self, name: str, argv: list[str], env: dict[str, str] | None = None) -> None:
        self._check_alive()
        with (self.process_logs / f"{name}.log").open("wb") as out:
            self._processes[name] = subprocess.Popen(  # noqa: S603 (our own venv's executables)
                argv,
                cwd=self.root,
                env=env if env is not None else self.environment(),
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        process_guard.record_process(self._processes[name].pid, f"the test deployment's {name}")

    def _run_once(self, name: str, argv: list[str], timeout: float) -> None:
        with (self.process_logs / f"{name}.log").open("wb") as out:
            done = subprocess.run(  # noqa: S603 (our own venv's executable)
                argv,
                cwd=self.root,
                env=self.environment(),
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                timeout=timeout,
                check=False,
            )
        if done.returncode != 0:
            raise DeploymentError(f"`{' '.join(argv[1:])}` exited with {done.returncode}")

    def _check_alive(self) -> None:
        dead = {name: p.returncode for name, p in self._processes.items() if p.poll() is not None}
        if dead:
            tails = "".join(f"\n--- {name}.log (end) ---\n{self._log_tail(name)}" for name in dead)
            raise DeploymentError(f"component(s) exited: {dead}{tails}")

    def _log_tail(self, name: str, lines: int = 20) -> str:
        """The end of a component's output, with the emulator's admin key and control token
        (which it prints on start) replaced by ``***``."""
        log = self.process_logs / f"{name}.log"
        text = log.read_text(errors="replace") if log.exists() else ""
        for secret in (self.admin_key, self.control_token):
            text = text.replace(secret, "***")
        return "\n".join(text.splitlines()[-lines:])

    def _all_healthy(self) -> bool:
        self._check_alive()
        health = requests.get(f"{self.api_url}/api/v2/monitor/health", timeout=5).json()
        return all(
            health.get(part, {}).get("status") == "healthy"
            for part in ("metadatabase", "scheduler", "triggerer", "dag_processor")
        )

    def check_alive(self) -> None:
        """Raise if a component has exited (called by the waits of the tests)."""
        self._check_alive()

    # -- what the deployment leaves behind -------------------------------------------------

    def airflow_cli(self, *args: str, timeout: float = 120) -> str:
        """Run ``airflow <args>`` against this deployment; its standard output (never logged
        or printed here: it may hold a secret the caller asked for)."""
        done = subprocess.run(  # noqa: S603 (our own venv's executable)
            [str(BIN / "airflow"), *args],
            cwd=self.root,
            env=self.environment(),
            stdin=subprocess.DEVNULL,
            capture_output=True,
            timeout=timeout,
            check=False,
        )
        if done.returncode != 0:
            raise DeploymentError(
                f"`airflow {args[0]} {args[1] if len(args) > 1 else ''}` exited with {done.returncode}"
            )
        return done.stdout.decode()

    def run_readme_command(self, prefix: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
        """Run the README's command starting with ``prefix`` (:func:`readme_command`) against this
        deployment, as a user at a shell would (``airflow`` is this venv's); its output."""
        assignments, words = readme_command(prefix)
        if words[0] == "airflow":
            words[0] = str(BIN / "airflow")
        return subprocess.run(  # noqa: S603 (the README's command, our own venv's executable)
            words,
            cwd=self.root,
            env={**self.environment(), **assignments},
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )

    def component_log_files(self) -> Iterator[Path]:
        """Every log file the Airflow processes wrote: task and trigger logs, the DAG
        processor's and scheduler's logs under ``logs/``, each component's output. Not the
        emulator's output (it prints its own admin key on start, by design)."""
        yield from sorted(p for p in (self.home / "logs").rglob("*") if p.is_file())
        yield from sorted(p for p in self.process_logs.glob("*.log") if p.name != "emulator.log")

    def describe_logs(self, tail_lines: int = 60) -> str:
        """The tail of each component's output and the list of task logs (for a failure report)."""
        parts = [f"deployment directory: {self.root}"]
        for path in sorted(self.process_logs.glob("*.log")):
            parts.append(f"----- {path.name} (last {tail_lines} lines) -----\n" + self._log_tail(path.stem, tail_lines))
        task_logs = sorted((self.home / "logs").rglob("*.log")) if (self.home / "logs").exists() else []
        parts.append("----- task logs -----\n" + "\n".join(str(p) for p in task_logs))
        return "\n".join(parts)


def _signal_group(process: subprocess.Popen[bytes], signum: int) -> None:
    """Signal the process's whole group (its children too, even once the leader has exited)."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, signum)


class AirflowApi:
    """The api-server's REST API (``/api/v2``) with a token from the simple auth manager
    (``GET /auth/token``, which needs ``simple_auth_manager_all_admins``)."""

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url
        self.session = requests.Session()
        token = self._ok(self.session.get(f"{base_url}/auth/token", timeout=30))["access_token"]
        self.session.headers["Authorization"] = f"Bearer {token}"

    @staticmethod
    def _ok(response: requests.Response) -> Any:
        if response.status_code >= 300:
            raise DeploymentError(f"{response.request.method} {response.url}: {response.status_code} {response.text}")
        return response.json() if response.content else None

    def get(self, path: str, **params: Any) -> Any:
        return self._ok(self.session.get(f"{self.base_url}/api/v2{path}", params=params, timeout=30))

    def post(self, path: str, body: Any) -> Any:
        return self._ok(self.session.post(f"{self.base_url}/api/v2{path}", json=body, timeout=30))

    def patch(self, path: str, body: Any) -> Any:
        return self._ok(self.session.patch(f"{self.base_url}/api/v2{path}", json=body, timeout=30))

    def get_text(self, path: str, **params: Any) -> str:
        response = self.session.get(f"{self.base_url}/api/v2{path}", params=params, timeout=30)
        self._ok(response)
        return response.text

    # -- what a user does ------------------------------------------------------------------

    def unpause(self, dag_id: str) -> None:
        assert self.patch(f"/dags/{dag_id}", {"is_paused": False})["is_paused"] is False

    def trigger(self, dag_id: str, conf: dict[str, Any]) -> str:
        """A manual run with ``conf``; its run id."""
        return str(self.post(f"/dags/{dag_id}/dagRuns", {"logical_date": None, "conf": conf})["dag_run_id"])

    def runs(self, dag_id: str) -> list[dict[str, Any]]:
        return list(self.get(f"/dags/{dag_id}/dagRuns", order_by="run_after")["dag_runs"])

    def run_state(self, dag_id: str, run_id: str) -> str:
        return str(self.get(f"/dags/{dag_id}/dagRuns/{run_id}")["state"])

    def task_instances(self, dag_id: str, run_id: str) -> list[dict[str, Any]]:
        return list(self.get(f"/dags/{dag_id}/dagRuns/{run_id}/taskInstances", limit=100)["task_instances"])

    def task_instance(self, dag_id: str, run_id: str, task_id: str) -> dict[str, Any]:
        return dict(self.get(f"/dags/{dag_id}/dagRuns/{run_id}/taskInstances/{task_id}"))

    def wait_for_run(self, deployment: Deployment, dag_id: str, run_id: str, timeout: float) -> str:
        """The run's final state (``success`` or ``failed``), polled every second."""

        def finished() -> str | None:
            deployment.check_alive()
            state = self.run_state(dag_id, run_id)
            return state if state in ("success", "failed") else None

        return wait_for(f"run {run_id} of {dag_id} to finish", finished, timeout=timeout, interval=1)


class EmulatorControl:
    """The emulator's control API (``/_emulator``) over HTTP: the people around the organization."""

    def __init__(self, url: str, control_token: str) -> None:
        self.url = url + "/_emulator"
        self.session = requests.Session()
        self.session.headers[CONTROL_TOKEN_HEADER] = control_token

    def _call(self, method: str, path: str, body: Any = None) -> Any:
        if body is None and method != "GET":
            body = {}  # the control API takes writes as JSON only
        response = self.session.request(method, self.url + path, json=body, timeout=30)
        if response.status_code != 200:
            raise DeploymentError(f"{method} /_emulator{path}: {response.status_code} {response.text}")
        return response.json()

    def state(self) -> dict[str, Any]:
        return dict(self._call("GET", "/state"))

    def requests(self) -> list[dict[str, Any]]:
        return list(self._call("GET", "/requests")["data"])

    def add_user(self, email: str, name: str | None = None, role: str = "reader") -> dict[str, Any]:
        return dict(self._call("POST", "/users", {"email": email, "name": name, "role": role}))

    def accept_invite(self, invite_id: str) -> dict[str, Any]:
        return dict(self._call("POST", f"/invites/{invite_id}/accept"))

    def faults(self) -> dict[str, Any]:
        return dict(self._call("GET", "/faults"))

    def throttle(self, rpm: float | None, burst: int | None = None) -> None:
        """Throttle every endpoint to ``rpm`` per minute, bucket of ``burst`` (``None``: off)."""
        self._call("POST", "/throttle", {"rpm": rpm, "burst": burst, "scope": "endpoint"})
