"""``make demo`` (``scripts/demo.py``) as a newcomer runs it: a subprocess, from the repository."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
KEY_SHAPED = re.compile(r"sk-[a-z]+-[A-Za-z0-9_-]{16,}")


@pytest.mark.demo
@pytest.mark.timeout(900)  # four DAG runs and the org-as-code step, each `airflow dags test` a fresh interpreter
def test_demo_runs_the_four_dags_and_explains_what_each_changed() -> None:
    # A clean environment: nothing of the test suite's Airflow settings leaks into the demo.
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AIRFLOW", "OPENAI"))}
    done = subprocess.run(  # noqa: S603 (this interpreter, the repository's script)
        [sys.executable, str(REPO / "scripts" / "demo.py")],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=840,
        check=False,
    )
    out = done.stdout
    assert done.returncode == 0, out + done.stderr
    for step in (
        "1/4  openai_onboarding",
        "2/4  openai_key_rotation",
        "3/4  openai_rate_limit_sync",
        "4/4  openai_offboarding",
    ):
        assert step in out
    assert out.count("DAG run succeeded") == 4
    for line in (
        "- created project 'team-search'",
        "- invited ada@example.com to the organization (role reader)",
        "- added ada@example.com to project 'team-research' as member",
        "- added ada@example.com to group 'search-team'",
        "- created service account 'search-backend--initial' in project 'team-search'",
        "- set rate limit gpt-4o of project 'team-search': max_requests_per_1_minute 5000 -> 500",
        "- ada@example.com accepted the invite while the DAG waited for her",
        "- deleted service account 'search-backend--initial' in project 'team-search': its key stopped working",
        "- the old key now gets HTTP 401",
        "- set rate limit o3 of project 'team-research': max_requests_per_1_minute 5000 -> 200",
        "- added grace@example.com to project 'team-search' as owner",
        "- removed ada@example.com from the organization",
        "- ada@example.com's personal key now gets HTTP 401",
        "All 4 DAG runs succeeded in",
        "$ openai-org export -o openai_org.yaml",
        "| done: create projects team-ads team-ads: name - -> team-ads",
        "done: add members team-research grace@example.com: role - -> member",
        "(exit 0: in sync;",
        "- drift reported: update rate_limits team-search gpt-4o-mini: max_requests_per_1_minute 9000 -> 400",
        "- the drift DAG wrote nothing (0 writes)",
    ):
        assert line in out
    # Airflow's own log lines go to the log file, and no key is ever printed (only redacted forms).
    assert "[info" not in out
    assert "Traceback" not in out
    assert KEY_SHAPED.findall(out) == []
    log_file = re.search(r"Airflow's own output: (\S+)", out)
    assert log_file is not None
    airflow_output = Path(log_file.group(1)).read_text()
    assert "openai_onboarding" in airflow_output
    assert KEY_SHAPED.findall(airflow_output) == []  # not even unmasked in `airflow dags test` output
