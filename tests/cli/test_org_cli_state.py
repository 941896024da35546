"""``openai-org plan/apply --state``: the read cache from a shell (see orgfile.incremental)."""

from __future__ import annotations

import json
from pathlib import Path

from airflow_provider_openai_projects.emulator.server import EmulatorServer
from airflow_provider_openai_projects.testing import dashboard_change

from .conftest import run

ORG = 'projects:\n  team-search:\n    rate_limits:\n      "gpt-4o": {max_requests_per_1_minute: 500}\n'


def test_apply_then_plan_with_state_reads_what_changed_and_names_who_changed_it(
    conn: EmulatorServer,
    tmp_path: Path,
) -> None:
    org, state = tmp_path / "org.yaml", tmp_path / "cache" / "org-state.json"
    org.write_text(ORG)
    ada = conn.state.add_user("ada@example.com", "Ada", "owner")["id"]
    code, out, err = run("apply", "-f", str(org), "--auto-approve", "--state", str(state))
    assert code == 0, out + err
    assert run("plan", "-f", str(org), "--state", str(state))[0] == 0  # in sync (the log now has events)
    project = next(p["id"] for p in conn.state.snapshot()["projects"] if p["name"] == "team-search")
    path = f"/v1/organization/projects/{project}/rate_limits/rl-gpt-4o"
    dashboard_change(conn, ada, "POST", path, {"max_requests_per_1_minute": 9000})

    code, out, err = run("plan", "-f", str(org), "--state", str(state))

    assert code == 2, out + err
    assert "changed: update rate_limits team-search gpt-4o" in out
    assert "[changed by ada@example.com at " in out
    assert "incremental read: " in out
    assert "  rate_limits: 1 read afresh" in out
    code, out, err = run("plan", "-f", str(org), "--state", str(state), "--json")
    incremental = json.loads(out)["incremental"]
    assert incremental["full_read"] is None
    assert incremental["attribution"][0][0]["actor"]["email"] == "ada@example.com"
    code, out, err = run("plan", "-f", str(org), "--state", str(state), "--full")
    assert "full read: asked for (--full)." in out
    assert conn.admin_key not in state.read_text()


def test_an_unreadable_state_file_is_a_full_read_said_in_one_line(
    conn: EmulatorServer,
    tmp_path: Path,
) -> None:
    org, state = tmp_path / "org.yaml", tmp_path / "org-state.json"
    org.write_text(ORG)
    state.write_text("not a cache")

    code, out, err = run("plan", "-f", str(org), "--state", str(state))

    assert code == 2, out + err
    assert "full read: no usable cache (not JSON" in out
    assert json.loads(state.read_text())["format"] == 1
