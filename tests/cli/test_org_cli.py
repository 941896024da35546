"""``openai-org`` against the emulator: exit codes, one-line errors, progress only on a TTY."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from airflow_provider_openai_projects.emulator.server import EmulatorServer

from .conftest import CONN, run


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_export_then_plan_exits_0_in_sync_with_nothing_on_a_non_terminal_stderr(
    conn: EmulatorServer, tmp_path: Path
) -> None:
    org = tmp_path / "org.yaml"
    assert run("export", "-o", str(org))[0] == 0
    assert "team-search" in yaml.safe_load(org.read_text())["projects"]

    code, out, err = run("plan", "-f", str(org))

    assert code == 0, out + err
    assert "in sync" in out
    assert err == ""
    assert conn.log.writes() == []


def test_export_to_stdout_shows_no_hidden_character_of_a_live_name_and_reads_back_the_same(
    conn: EmulatorServer,
) -> None:
    """A project named with a right-to-left override and a zero-width space (made through the
    API): YAML counts both as printable, so the export wrote them raw to the terminal."""
    name = "team-\u202eevil\u200b-Zo\u00eb"
    conn.state.create_project(name)

    code, out, err = run("export", "-o", "-")

    assert code == 0, err
    assert "\u202e" not in out
    assert "\u200b" not in out
    assert name in yaml.safe_load(out)["projects"]


def test_an_export_without_hidden_characters_keeps_other_scripts_readable(conn: EmulatorServer) -> None:
    conn.state.create_project("équipe-北京")

    code, out, _ = run("export", "-o", "-")

    assert code == 0
    assert "équipe-北京" in out


def test_plan_with_changes_exits_2_prints_the_table_and_saves_json_and_apply_plan_applies_it(
    conn: EmulatorServer, tmp_path: Path
) -> None:
    org = tmp_path / "org.yaml"
    org.write_text(
        'projects:\n  team-search:\n    rate_limits:\n      "gpt-4o*": {max_requests_per_1_minute: 500}\n'
        "  team-new: {}\n"
    )
    saved = tmp_path / "plan.json"

    code, out, _ = run("plan", "-f", str(org), "--out", str(saved))

    assert code == 2
    assert "create  projects" in out
    assert "max_requests_per_1_minute 5000 -> 500" in out
    assert conn.log.writes() == []
    assert json.loads(saved.read_text())["summary"]["changes"] == 3

    code, out, _ = run("apply", "--plan", str(saved))
    assert code == 0, out
    assert "applied 3 changes with 3 writes" in out
    assert run("plan", "-f", str(org))[0] == 0


def test_plan_json_is_machine_readable(conn: EmulatorServer, tmp_path: Path) -> None:
    org = tmp_path / "org.yaml"
    org.write_text("projects:\n  team-new: {}\n")
    code, out, _ = run("plan", "-f", str(org), "--json")
    assert code == 2
    assert json.loads(out)["changes"][0]["action"] == "create"


def test_apply_of_a_stale_plan_exits_1_with_no_write(conn: EmulatorServer, tmp_path: Path) -> None:
    org = tmp_path / "org.yaml"
    org.write_text("projects:\n  team-new: {}\n")
    saved = tmp_path / "plan.json"
    run("plan", "-f", str(org), "--out", str(saved))
    conn.state.create_project("team-new")
    conn.log.clear()

    code, _, err = run("apply", "--plan", str(saved))

    assert code == 1
    assert err.startswith("openai-org: error: the saved plan of")
    assert "stale" in err
    assert conn.log.writes() == []


def test_apply_from_a_file_needs_auto_approve(conn: EmulatorServer, tmp_path: Path) -> None:
    org = tmp_path / "org.yaml"
    org.write_text("projects:\n  team-new: {}\n")
    assert run("apply", "-f", str(org))[0] == 1
    assert conn.log.entries() == []
    code, out, _ = run("apply", "-f", str(org), "--auto-approve")
    assert code == 0
    assert "done: create projects team-new" in out


def test_progress_is_drawn_only_on_a_terminal(conn: EmulatorServer, tmp_path: Path) -> None:
    org = tmp_path / "org.yaml"
    org.write_text("projects:\n  team-search: {members: {owner@example.com: owner}}\n")
    terminal = Terminal()
    run("plan", "-f", str(org), err=terminal)
    assert "\r" in terminal.getvalue()
    assert " of " in terminal.getvalue()


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("projects: [", "org.yaml, line 1: (YAML): invalid YAML"),
        (
            "projects:\n  p:\n    members: {a@b.co: admin}\n",
            "org.yaml: projects.p.members['a@b.co']: 'admin' is not one of",
        ),
        ("prjects: {}\n", "org.yaml: prjects: unknown key"),
    ],
)
def test_a_bad_file_exits_1_with_one_line_no_traceback_and_no_request(
    conn: EmulatorServer, tmp_path: Path, text: str, message: str
) -> None:
    org = tmp_path / "org.yaml"
    org.write_text(text)
    env = {**os.environ, CONN: os.environ[CONN]}
    for command in (["plan", "-f", str(org)], ["apply", "-f", str(org), "--auto-approve"]):
        done = subprocess.run(  # noqa: S603 - our own module, fixed arguments
            [sys.executable, "-m", "airflow_provider_openai_projects.cli.org", *command],
            capture_output=True,
            text=True,
            env=env,
            timeout=60,
            check=False,
        )
        assert done.returncode == 1
        assert done.stderr.startswith(f"openai-org: error: {org.parent}/{message}"), done.stderr
        assert done.stderr.count("\n") == 1
        assert "Traceback" not in done.stderr
    assert conn.log.entries() == []


def test_an_unknown_model_exits_1_naming_the_key_before_any_write(conn: EmulatorServer, tmp_path: Path) -> None:
    org = tmp_path / "org.yaml"
    org.write_text("projects:\n  team-search:\n    rate_limits: {gpt-9: {max_requests_per_1_minute: 1}}\n")
    code, _, err = run("apply", "-f", str(org), "--auto-approve")
    assert code == 1
    assert "projects['team-search'].rate_limits['gpt-9']: matches no model" in err
    assert conn.log.writes() == []


def test_a_missing_connection_is_one_line(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("AIRFLOW_CONN_NOPE", '{"conn_type": "openai_admin"}')
    org = tmp_path / "org.yaml"
    org.write_text("projects: {}\n")
    code, _, err = run("--conn-id", "nope", "plan", "-f", str(org))
    assert code == 1
    assert err == (
        "openai-org: error: connection 'nope' has no admin key: "
        "set its password to an OpenAI admin key (sk-admin-...)\n"
    )


def test_a_connection_is_parsed_as_the_hook_parses_it_naming_the_bad_field_before_any_request(
    emulator: EmulatorServer, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """The CLI reads ``AIRFLOW_CONN_<ID>`` with the hook's parser: its strict checks apply."""
    monkeypatch.setenv(
        CONN,
        json.dumps(
            {
                "conn_type": "openai_admin",
                "host": emulator.base_url,
                "password": emulator.admin_key,
                "extra": {"max_retries": "many"},
            }
        ),
    )
    org = tmp_path / "org.yaml"
    org.write_text("projects: {}\n")
    code, _, err = run("plan", "-f", str(org))
    assert code == 1
    assert err == (
        "openai-org: error: connection 'openai_admin_default': extra 'max_retries' must be a non-negative integer, "
        "got 'many'\n"
    )
    assert emulator.admin_key not in err
    assert emulator.log.entries() == []


def test_the_cli_does_not_import_airflow_with_a_json_connection(conn: EmulatorServer, tmp_path: Path) -> None:
    """Keeps ``openai-org`` quick to start in CI: the connection is parsed without Airflow."""
    org = tmp_path / "org.yaml"
    org.write_text("projects: {}\n")
    code = (
        "import sys\n"
        "from airflow_provider_openai_projects.cli.org import main\n"
        f"assert main(['plan', '-f', {str(org)!r}]) == 0\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] == 'airflow'))\n"
    )
    done = subprocess.run(  # noqa: S603 - this interpreter, fixed code
        [sys.executable, "-c", code], capture_output=True, text=True, env=dict(os.environ), timeout=60, check=False
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().splitlines()[-1] == "[]"


# -- saved plans: what is reviewed is what is applied (issue 17 points 1, 2 and 8) --------------


def saved_plan(conn: EmulatorServer, tmp_path: Path, document: str, name: str = "plan.json") -> Path:
    org = tmp_path / "org.yaml"
    org.write_text(document)
    saved = tmp_path / name
    assert run("plan", "-f", str(org), "--out", str(saved))[0] == 2
    conn.log.clear()
    return saved


def test_a_replayed_plan_exits_1_with_no_write(conn: EmulatorServer, tmp_path: Path) -> None:
    conn.state.add_user("bob@example.com", "Bob", "reader")
    project = next(p.id for p in conn.state.projects if p.name == "team-search")
    conn.state.add_project_user(project, "member", email="bob@example.com")
    saved = saved_plan(conn, tmp_path, "projects:\n  team-search:\n    members: {owner@example.com: owner}\n")
    assert run("apply", "--plan", str(saved))[0] == 0  # bob removed
    # bob is added back by an administrator; the old plan is replayed.
    conn.state.add_project_user(project, "member", email="bob@example.com")
    conn.log.clear()

    code, out, err = run("apply", "--plan", str(saved))

    assert (code, out) == (1, "")
    assert "stale" in err
    assert err.count("\n") == 1
    assert conn.log.writes() == []


def test_a_plan_file_edited_by_hand_exits_1_with_no_request(conn: EmulatorServer, tmp_path: Path) -> None:
    saved = saved_plan(
        conn,
        tmp_path,
        'projects:\n  team-search:\n    rate_limits:\n      "gpt-4o": {max_requests_per_1_minute: 500}\n',
    )
    data = json.loads(saved.read_text())
    data["changes"][0]["after"]["max_requests_per_1_minute"] = 1
    saved.write_text(json.dumps(data))

    code, _, err = run("apply", "--plan", str(saved))

    assert code == 1
    assert err == "openai-org: error: plan.json: the plan was edited after it was made " + err.split("made ", 1)[1]
    assert conn.log.entries() == []


def test_a_valid_plan_that_is_not_the_approved_digest_exits_1(conn: EmulatorServer, tmp_path: Path) -> None:
    approved = saved_plan(conn, tmp_path, "projects:\n  team-a: {}\n", "approved.json")
    substitute = saved_plan(conn, tmp_path, "projects:\n  team-b: {}\n", "substitute.json")
    digest = json.loads(approved.read_text())["digest"]

    code, _, err = run("apply", "--plan", str(substitute), "--digest", digest)

    assert code == 1
    assert "is not the approved plan" in err
    assert conn.log.entries() == []
    assert run("apply", "--plan", str(approved), "--digest", digest)[0] == 0


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[]", "plan.json: not a plan: the top level is list, not an object"),
        ("[" * 100000 + "]" * 100000, "plan.json: not a plan: nested more than 64 levels deep"),
        ("{", "plan.json: not a plan: not JSON"),
        ('{"format": 2, "source": "\\u001b[31mx"}', "plan.json: not a plan: missing"),
    ],
)
def test_a_plan_file_that_is_not_a_plan_exits_1_with_one_line(
    conn: EmulatorServer, tmp_path: Path, text: str, message: str
) -> None:
    saved = tmp_path / "plan.json"
    saved.write_text(text)

    code, out, err = run("apply", "--plan", str(saved))

    assert (code, out) == (1, "")
    assert err.startswith(f"openai-org: error: {message}")
    assert err.count("\n") == 1
    assert "\x1b" not in err
    assert conn.log.entries() == []
