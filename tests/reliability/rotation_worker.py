"""A task in a process of its own, for the crash-safety and concurrency tests.

Tests start workers with :func:`start` (forked from multiprocessing's fork server, which has
imported Airflow once); the same worker runs from a shell as:

    python -m tests.reliability.rotation_worker rotate --sink keys.json --result out.json \\
        --project-id proj_x --name team --run-id scheduled__... --run-after 2026-11-26T08:00:00Z \\
        [--delete-previous --keep-previous 1] [--pause before:store:openai_team_api_key_pending --marker m]
    python -m tests.reliability.rotation_worker sync-rate-limits --result out.json \\
        --project-id proj_x --policy '{"gpt-4o": {"max_requests_per_1_minute": 500}}'

The connection comes from ``AIRFLOW_CONN_OPENAI_ADMIN_DEFAULT`` (the environment; with
:func:`start`, the ``env`` given).
The operator's return value (never a key) is written to ``--result`` as JSON; an error is
written there as ``{"error": <type name>}`` and the exit status is 1.

Keys go to a :class:`JsonFileKeySink`, which survives the process: a test can ``SIGKILL``
the worker at any moment and run the rotation again in a fresh process. ``--pause`` stops
the worker right before or after one sink operation (it writes ``--marker`` and sleeps until
killed), so the parent kills it exactly at a step boundary of the rotation protocol.
"""

from __future__ import annotations

import argparse
import contextlib
import fcntl
import json
import multiprocessing
import multiprocessing.process
import os
import sys
import tempfile
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from airflow_provider_openai_projects.sinks.base import StoredKey


class JsonFileKeySink:
    """A :class:`~airflow_provider_openai_projects.sinks.KeySink` in one JSON file.

    Every write replaces the file atomically (a temporary file renamed over it), so a process
    killed mid-write leaves the previous content; read-modify-write cycles are serialized
    between processes and threads by an ``flock`` on ``<path>.lock``. Test-only: the values
    sit in clear in the file (a temporary directory of the test).

    :param pause: ``"before:store:<entry>"``, ``"after:store:<entry>"`` or the same with
        ``delete``: at that point write ``marker`` and sleep until the process is killed.
    """

    def __init__(self, path: str | Path, pause: str | None = None, marker: str | Path | None = None) -> None:
        self.path = Path(path)
        self.pause = pause
        self.marker = Path(marker) if marker else None

    @contextlib.contextmanager
    def _locked(self) -> Iterator[dict[str, Any]]:
        with open(f"{self.path}.lock", "a+") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            try:
                entries = json.loads(self.path.read_text()) if self.path.exists() else {}
                yield entries
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)

    def _write(self, entries: dict[str, Any]) -> None:
        handle, temporary = tempfile.mkstemp(dir=self.path.parent, prefix=".keys-")
        with os.fdopen(handle, "w") as out:
            json.dump(entries, out)
            out.flush()
            os.fsync(out.fileno())
        os.replace(temporary, self.path)

    def _maybe_pause(self, phase: str, operation: str, name: str) -> None:
        if self.pause == f"{phase}:{operation}:{name}":
            if self.marker is not None:
                self.marker.write_text(f"{phase} {operation} {name}\n")
            while True:  # the parent kills us here
                time.sleep(60)

    def store(self, name: str, value: str, metadata: Mapping[str, Any]) -> None:
        self._maybe_pause("before", "store", name)
        with self._locked() as entries:
            entries[name] = {"value": value, "metadata": dict(metadata)}
            self._write(entries)
        self._maybe_pause("after", "store", name)

    def load(self, name: str) -> StoredKey | None:
        with self._locked() as entries:
            entry = entries.get(name)
        return None if entry is None else StoredKey(value=entry["value"], metadata=entry["metadata"])

    def delete(self, name: str) -> None:
        self._maybe_pause("before", "delete", name)
        with self._locked() as entries:
            if entries.pop(name, None) is not None:
                self._write(entries)
        self._maybe_pause("after", "delete", name)

    def names(self) -> list[str]:
        with self._locked() as entries:
            return sorted(entries)

    def __deepcopy__(self, memo: dict[int, Any]) -> JsonFileKeySink:
        return self


@dataclass
class _TaskInstance:
    xcom: dict[str, Any] = field(default_factory=dict)
    try_number: int = 1

    def xcom_push(self, key: str, value: Any) -> None:
        self.xcom[key] = json.loads(json.dumps(value))


@dataclass
class _DagRun:
    run_id: str
    run_after: Any


def task_context(run_id: str, run_after: str) -> dict[str, Any]:
    """The part of a task's context the operators read (run id, ``run_after``, the ti)."""
    import pendulum

    after = pendulum.parse(run_after)
    return {"run_id": run_id, "dag_run": _DagRun(run_id, after), "ti": _TaskInstance(), "logical_date": after}


def _rotate(args: argparse.Namespace) -> Any:
    from airflow_provider_openai_projects.operators.rotation import RotateServiceAccountOperator

    operator = RotateServiceAccountOperator(
        task_id="rotate",
        project_id=args.project_id,
        service_account_name=args.name,
        key_sink=JsonFileKeySink(args.sink, pause=args.pause, marker=args.marker),
        verify_backoff=0,
        delete_previous=args.delete_previous,
        keep_previous=args.keep_previous,
    )
    return operator.execute(task_context(args.run_id, args.run_after))


def _sync_rate_limits(args: argparse.Namespace) -> Any:
    from airflow_provider_openai_projects.operators.rate_limits import SyncRateLimitsOperator

    operator = SyncRateLimitsOperator(task_id="sync", project_ids=args.project_id, rate_limits=args.policy)
    return operator.execute(task_context(args.run_id, args.run_after))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="rotation_worker")
    commands = parser.add_subparsers(dest="command", required=True)
    rotate = commands.add_parser("rotate")
    rotate.add_argument("--sink", required=True)
    rotate.add_argument("--name", required=True)
    rotate.add_argument("--delete-previous", action="store_true")
    rotate.add_argument("--keep-previous", type=int, default=1)
    rotate.add_argument("--pause")
    rotate.add_argument("--marker")
    sync = commands.add_parser("sync-rate-limits")
    sync.add_argument("--policy", required=True)
    for command in (rotate, sync):
        command.add_argument("--result", required=True)
        command.add_argument("--project-id", required=True, action="append" if command is sync else "store")
        command.add_argument("--run-id", default="scheduled__2026-11-26T08:00:00+00:00")
        command.add_argument("--run-after", default="2026-11-26T08:00:00Z")
    args = parser.parse_args(argv)
    try:
        result = _rotate(args) if args.command == "rotate" else _sync_rate_limits(args)
    except Exception as error:
        Path(args.result).write_text(json.dumps({"error": type(error).__name__}))
        return 1
    Path(args.result).write_text(json.dumps(result))
    return 0


#: Imported once by the fork server, so that each worker starts in milliseconds.
PRELOAD = [
    "tests.reliability.rotation_worker",
    "airflow_provider_openai_projects.operators.rotation",
    "airflow_provider_openai_projects.operators.rate_limits",
    "airflow_provider_openai_projects.hooks.admin",
]


def _run_in_child(argv: list[str], env: dict[str, str]) -> None:
    os.environ.update(env)
    sys.exit(main(argv))


def start(argv: list[str], env: Mapping[str, str]) -> multiprocessing.process.BaseProcess:
    """Run ``main(argv)`` in a new process, with ``env`` added to its environment.

    The process is forked from multiprocessing's fork server, a clean interpreter (not a
    fork of the test process) that has imported Airflow and the operators once: a fresh
    process per worker, without paying Airflow's import time for each. ``kill()`` sends
    ``SIGKILL``.
    """
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(PRELOAD)
    process = context.Process(target=_run_in_child, args=(argv, dict(env)), name="rotation-worker")
    process.start()
    return process


if __name__ == "__main__":
    sys.exit(main())
