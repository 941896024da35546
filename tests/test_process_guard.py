"""The suite's last step (``tests/process_guard.py``): a server a test leaves running is found,
stopped, its files removed, and the session fails naming it; a clean session passes.

Each case runs a small pytest session in a subprocess with only that plugin (no Airflow), so
what it proves is the hook itself: the real suite runs the same hook from ``tests/conftest.py``.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import psutil

REPO = Path(__file__).resolve().parents[1]
PYTEST = (sys.executable, "-m", "pytest", "-p", "tests.process_guard", "-p", "no:cacheprovider", "-q", "-c", os.devnull)

LEAKY = """
import subprocess, sys, tempfile
from pathlib import Path
from tests import process_guard

def test_starts_a_daemon_and_a_child_and_stops_neither():
    data = Path(tempfile.mkdtemp(prefix="guard-demo-"))
    process_guard.record_path(data, "the daemon's data")
    daemon = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(120)"], start_new_session=True)
    process_guard.record_process(daemon.pid, "a daemon")
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(120)"])
    Path("{pids}").write_text(f"{{daemon.pid}} {{child.pid}} {{data}}")
"""

LEAKY_WORKER = """
import multiprocessing, time
from pathlib import Path

def test_starts_a_fork_server_worker_and_leaves_it_running():
    worker = multiprocessing.get_context("forkserver").Process(target=time.sleep, args=(120,))
    worker.start()
    Path("{pids}").write_text(str(worker.pid))
"""

CLEAN_WORKER = """
import multiprocessing, time

def test_starts_a_fork_server_worker_and_stops_it():
    worker = multiprocessing.get_context("forkserver").Process(target=time.sleep, args=(0.1,))
    worker.start()
    worker.join(timeout=60)
    assert worker.exitcode == 0
"""

CLEAN = """
import subprocess, sys

def test_starts_a_child_and_stops_it():
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(120)"])
    child.terminate()
    child.wait()
"""


def session(tmp_path: Path, body: str) -> subprocess.CompletedProcess[str]:
    (tmp_path / "test_case.py").write_text(textwrap.dedent(body))
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")]))}
    return subprocess.run(  # noqa: S603 (this interpreter, a fixed command)
        [*PYTEST, "--rootdir", str(tmp_path), str(tmp_path / "test_case.py")],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_a_server_left_running_is_stopped_its_files_removed_and_the_session_fails(tmp_path: Path) -> None:
    pids = tmp_path / "pids"
    done = session(tmp_path, LEAKY.format(pids=pids))
    daemon, child, data = pids.read_text().split()
    assert done.returncode == 1, done.stdout + done.stderr
    assert "1 passed" in done.stdout
    assert "LEFT BEHIND: processes the suite started were still running (now stopped)" in done.stdout
    assert f"pid {daemon}: a daemon" in done.stdout
    assert f"pid {child}: " in done.stdout
    for pid in (int(daemon), int(child)):
        assert not psutil.pid_exists(pid) or psutil.Process(pid).status() == psutil.STATUS_ZOMBIE
    assert not Path(data).exists()


def test_a_session_that_stops_what_it_started_passes(tmp_path: Path) -> None:
    done = session(tmp_path, CLEAN)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "LEFT BEHIND" not in done.stdout


def test_a_fork_server_worker_left_running_is_a_leftover_though_pythons_helpers_are_not(tmp_path: Path) -> None:
    """The fork server's command line is excused (it ends with the session's process), and a
    worker it forked carries that same command line: the worker must still be found."""
    pids = tmp_path / "pids"
    done = session(tmp_path, LEAKY_WORKER.format(pids=pids))
    worker = int(pids.read_text())
    assert done.returncode == 1, done.stdout + done.stderr
    assert "1 passed" in done.stdout
    (left,) = re.findall(r"LEFT BEHIND: processes .*", done.stdout)
    assert f"pid {worker}: " in left
    assert "resource_tracker" not in left  # the helpers are not named, only the worker
    assert left.count("pid ") == 1
    assert not psutil.pid_exists(worker) or psutil.Process(worker).status() == psutil.STATUS_ZOMBIE


def test_a_session_whose_fork_server_worker_ended_passes(tmp_path: Path) -> None:
    done = session(tmp_path, CLEAN_WORKER)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "LEFT BEHIND" not in done.stdout
