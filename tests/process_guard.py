"""What the test suite starts, it stops: servers and their files, however the session ends.

Issue 21 (point 10): each Airflow leg of ``make test`` left the shared-budget tests'
PostgreSQL running, orphaned, with its ``budget-pg-*`` data directory. A fixture that starts a
server records it here (:func:`record_process`, :func:`record_path`); at the very end of the
session (``tests/conftest.py``, after every fixture's teardown) :func:`leftovers` lists

- every recorded process still alive (a server that daemonized itself, like ``pg_ctl``'s
  postmaster, is no child of pytest: it must be recorded by pid), and
- every process still alive below the pytest process (emulators, Airflow components,
  Valkey, workers: anything a test started and did not stop),

then :func:`stop_leftovers` stops them (SIGTERM to the process and its children, SIGKILL after
a grace period) and removes the recorded files. The conftest fails the session when anything
was left, naming it. Set ``OPENAI_PROVIDER_TESTS_KEEP_FILES=1`` to keep the recorded
directories of a run (a failed deployment's logs) for a post-mortem.

It is a pytest plugin (``-p tests.process_guard``; ``tests/conftest.py`` imports its hook):
:func:`pytest_sessionfinish` is that last step, and :func:`stop_the_session_on_sigterm` makes a
SIGTERM (a CI job cancelled) end the session like Ctrl-C, so the fixtures' teardowns still run.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from types import FrameType

import psutil
import pytest

KEEP_FILES_ENV = "OPENAI_PROVIDER_TESTS_KEEP_FILES"
GRACE_SECONDS = 10.0


@dataclass(frozen=True)
class Started:
    """A process a test started: its pid, its start time (a reused pid is not it) and what it is."""

    pid: int
    create_time: float
    what: str


_PROCESSES: list[Started] = []
_PATHS: list[tuple[Path, str]] = []


def record_process(pid: int, what: str) -> None:
    """Remember a server process (by pid) that must be gone when the session ends."""
    with contextlib.suppress(psutil.Error):
        _PROCESSES.append(Started(pid, psutil.Process(pid).create_time(), what))


def record_path(path: Path, what: str) -> None:
    """Remember a file or directory a server or the suite made, removed when the session ends."""
    _PATHS.append((Path(path), what))


def _alive(started: Started) -> psutil.Process | None:
    try:
        process = psutil.Process(started.pid)
        if process.create_time() != started.create_time or process.status() == psutil.STATUS_ZOMBIE:
            return None
        return process
    except psutil.Error:
        return None


PYTHON_HELPERS = ("multiprocessing.resource_tracker", "multiprocessing.forkserver")
"""Python's own helper processes (``python -B -c 'from multiprocessing.resource_tracker
import main; ...'``): started by the first spawned worker, they end with this process, not
before; they are not servers the suite started. Only this process's own children are
excused: a worker the fork server forks carries the fork server's command line too, and is
a leftover like any other."""


def _python_helper(process: psutil.Process) -> bool:
    if process.ppid() != os.getpid():
        return False
    command = " ".join(process.cmdline())
    return any(helper in command for helper in PYTHON_HELPERS)


def leftovers() -> list[tuple[psutil.Process, str]]:
    """Processes of the suite still alive: recorded ones and every descendant of this process."""
    found: dict[int, tuple[psutil.Process, str]] = {}
    for started in _PROCESSES:
        process = _alive(started)
        if process is not None:
            found[process.pid] = (process, started.what)
    with contextlib.suppress(psutil.Error):
        for child in psutil.Process(os.getpid()).children(recursive=True):
            with contextlib.suppress(psutil.Error):
                if child.status() != psutil.STATUS_ZOMBIE and child.pid not in found and not _python_helper(child):
                    found[child.pid] = (child, " ".join(child.cmdline()[:3]) or child.name())
    return list(found.values())


def stop_leftovers(processes: list[tuple[psutil.Process, str]]) -> None:
    """SIGTERM each process and its children, SIGKILL what is left after the grace period."""
    targets: dict[int, psutil.Process] = {}
    for process, _ in processes:
        with contextlib.suppress(psutil.Error):
            targets[process.pid] = process
            targets.update({child.pid: child for child in process.children(recursive=True)})
    for process in targets.values():
        with contextlib.suppress(psutil.Error):
            process.terminate()
    _, alive = psutil.wait_procs(list(targets.values()), timeout=GRACE_SECONDS)
    for process in alive:
        with contextlib.suppress(psutil.Error):
            process.kill()
    psutil.wait_procs(alive, timeout=GRACE_SECONDS)


def remove_recorded_paths() -> list[str]:
    """Remove the recorded files (unless ``OPENAI_PROVIDER_TESTS_KEEP_FILES`` is set); those
    that could not be removed, described."""
    if os.environ.get(KEEP_FILES_ENV):
        return []
    failed = []
    for path, what in _PATHS:
        if path.is_dir():
            shutil.rmtree(path, ignore_errors=True)
        else:
            path.unlink(missing_ok=True)
        if path.exists():
            failed.append(f"{what} ({path})")
    return failed


def describe(processes: list[tuple[psutil.Process, str]]) -> str:
    return ", ".join(f"pid {process.pid}: {what}" for process, what in processes)


def _interrupted_by_sigterm(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt(f"signal {signum}: the session stops and its servers are stopped")


def stop_the_session_on_sigterm() -> None:
    """SIGTERM raises ``KeyboardInterrupt`` (unless someone installed a handler already)."""
    if signal.getsignal(signal.SIGTERM) is signal.SIG_DFL:
        signal.signal(signal.SIGTERM, _interrupted_by_sigterm)


def pytest_configure(config: pytest.Config) -> None:
    stop_the_session_on_sigterm()


@pytest.hookimpl(wrapper=True)
def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> Iterator[None]:
    """The session's last step, after every fixture's teardown: nothing the suite started is
    left running and its files are gone; otherwise the session fails, naming what was left."""
    outcome = yield
    left = leftovers()
    stop_leftovers(left)
    not_removed = remove_recorded_paths()
    problems = []
    if left:
        problems.append(f"processes the suite started were still running (now stopped): {describe(left)}")
    if not_removed:
        problems.append(f"files the suite made could not be removed: {', '.join(not_removed)}")
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    for problem in problems:
        if reporter is not None:
            reporter.write_line(f"LEFT BEHIND: {problem}", red=True)
    if problems and session.exitstatus == pytest.ExitCode.OK:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
    return outcome
