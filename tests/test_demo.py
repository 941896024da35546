"""``make demo`` (``scripts/demo.py``) as a newcomer runs it: a subprocess, from the repository."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

AUDIT_LINE = re.compile(r"^ +(\S+): (\d+) exported, (\d+) in the emulator's audit log$", re.MULTILINE)
COST_LINE = re.compile(
    r"^ +(\S+) \((\S+)\): \$(\d+\.\d+) exported, \$(\d+\.\d+) by the emulator's usage$", re.MULTILINE
)

REPO = Path(__file__).resolve().parents[1]
KEY_SHAPED = re.compile(r"sk-[a-z]+-[A-Za-z0-9_-]{16,}")


@pytest.mark.demo
@pytest.mark.timeout(1200)  # four DAG runs, org as code, two exports: each `airflow dags test` a fresh interpreter
def test_demo_runs_the_four_dags_and_explains_what_each_changed() -> None:
    # A clean environment: nothing of the test suite's Airflow settings leaks into the demo.
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AIRFLOW", "OPENAI"))}
    done = subprocess.run(  # noqa: S603 (this interpreter, the repository's script)
        [sys.executable, str(REPO / "scripts" / "demo.py")],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=1140,
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
    # Every DAG run the demo starts shows its command; the closing line counts them all
    # (the lifecycle four, the exports, hygiene, drift, the roster), not the numbered four.
    runs = out.count("$ airflow dags test ")
    assert runs >= 9
    assert f"All {runs} DAG runs succeeded in" in out
    for line in (
        "- created project 'team-search'",
        "- created group 'search-team'",
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
        "$ openai-org export -o openai_org.yaml",
        "| done: create projects team-ads team-ads: name - -> team-ads",
        "done: add members team-research grace@example.com: role - -> member",
        "(exit 0: in sync;",
        "- drift reported: update rate_limits team-search gpt-4o-mini: max_requests_per_1_minute 9000 -> 400",
        "- the drift DAG wrote nothing (0 writes)",
        "- hygiene found: made outside the automation: 'grace-script' in 'team-search'",
        "- hygiene found: idle user key: 'grace-notebook' in 'team-search'",
        "- in the organization now: 1 key made outside the automation ('grace-script'), 1 idle key "
        "('grace-notebook'); deleted: 0 (0 writes: act is off)",
        "- joiner hal@example.com: invited as reader (team-search: member)",
        "critical: owners, removal (4 objects)  remove  people  organization  sal@example.com",
        "- write: DELETE /organization/users/",
    ):
        assert line in out
    assert_the_ending_reads_back_what_the_emulator_recorded(out)
    # Airflow's own log lines go to the log file, and no key is ever printed (only redacted forms).
    assert "[info" not in out
    assert "Traceback" not in out
    assert KEY_SHAPED.findall(out) == []
    log_file = re.search(r"Airflow's own output: (\S+)", out)
    assert log_file is not None
    airflow_output = Path(log_file.group(1)).read_text()
    assert "openai_onboarding" in airflow_output
    assert KEY_SHAPED.findall(airflow_output) == []  # not even unmasked in `airflow dags test` output


def assert_the_ending_reads_back_what_the_emulator_recorded(out: str) -> None:
    """The final step's figures: each one read back from the exported files equals the
    emulator's own record beside it, and the files on disk hold exactly what was printed."""
    assert "Observing the organization" in out
    base = re.search(r"Variable openai_export_base_path = file://(\S+)\)", out)
    assert base is not None
    audit = {kind: (int(exported), int(recorded)) for kind, exported, recorded in AUDIT_LINE.findall(out)}
    assert all(exported == recorded for exported, recorded in audit.values()), audit
    on_disk = Counter(
        json.loads(line)["type"]
        for folder in ("audit_logs", "audit_logs_tenant")  # the tenant-scoped events apart
        for path in Path(base.group(1), folder).glob("*.jsonl")
        for line in path.read_text().splitlines()
    )
    assert on_disk == Counter({kind: exported for kind, (exported, _) in audit.items() if exported})
    # What the story did is there: projects made, a service account's key rotated, Ada invited and removed.
    for kind in (
        "project.created",
        "service_account.created",
        "service_account.deleted",
        "invite.sent",
        "tenant.group.member.added",
    ):
        assert audit.get(kind, (0, 0))[0] > 0, kind
    costs = {name: (project, exported, recorded) for name, project, exported, recorded in COST_LINE.findall(out)}
    assert all(exported == recorded for _, exported, recorded in costs.values()), costs
    assert float(costs["team-search"][1]) > 0  # the search service's calls with its key
    spent: Counter[str] = Counter()
    for path in Path(base.group(1), "costs").glob("*.jsonl"):
        for bucket in map(json.loads, path.read_text().splitlines()):
            for result in bucket["results"]:
                spent[result["project_id"]] += result["amount"]["value"]
    assert {p: f"{v:.5f}" for p, v in spent.items()} == {project: exported for project, exported, _ in costs.values()}
    assert "- the exported files agree with the emulator's records" in out
    chart = re.search(r"- the month's cost chart, by project name: (\S+)", out)
    assert chart is not None
    assert Path(chart.group(1)).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
