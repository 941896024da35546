"""``openai-org`` and hostile org files (issue 17, points 7 to 9): one line, exit 1, no
traceback, no request at all; key sinks the CLI cannot use refused before any write."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from airflow_provider_openai_projects.emulator.server import EmulatorServer

from .conftest import CONN, run

BOMB = 'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n' + "".join(
    f"{chr(98 + i)}: &{chr(98 + i)} [{', '.join([f'*{chr(97 + i)}'] * 9)}]\n" for i in range(8)
)
SECRET = "pg-Pr0d-Passw0rd-7f3a9c"


HOSTILE = {
    "alias-bomb": (BOMB, "(YAML): invalid YAML: anchors (&name) are not allowed"),
    "deep-nesting": ("projects: " + "[" * 2000 + "]" * 2000, "(YAML): invalid YAML: "),
    "5000-digits": (
        "organization:\n  spend_limit: {threshold_amount: " + "9" * 5000 + "}\n",
        "organization.spend_limit.threshold_amount: an integer of 5000 digits is too large",
    ),
    "threshold-10**30": (
        "projects:\n  team-x: {}\n  team-search:\n    spend_limit: {threshold_amount: " + str(10**30) + "}\n",
        "projects['team-search'].spend_limit.threshold_amount: an integer of 31 digits is too large",
    ),
    "escape-in-name": (
        'projects:\n  "beta\\e[31m\\u202e": {}\n',
        "projects['beta\\x1b[31m\\u202e']: this key contains",
    ),
    "cyrillic-email": (
        "organization:\n  members:\n    owner@ex\u0430mple.com: owner\n",
        "organization.members['owner@ex\u0430mple.com']: email mixes scripts",
    ),
    "secret-file": (SECRET + "\n", "(top level): must be object, got string"),
}


@pytest.mark.parametrize(("text", "message"), HOSTILE.values(), ids=HOSTILE.keys())
def test_a_hostile_file_is_one_line_exit_1_and_no_request(
    conn: EmulatorServer, tmp_path: Path, text: str, message: str
) -> None:
    org = tmp_path / "org.yaml"
    org.write_text(text, encoding="utf-8")
    for command in (["plan", "-f", str(org)], ["apply", "-f", str(org), "--auto-approve"]):
        code, out, err = run(*command)
        assert code == 1
        assert out == ""
        assert err.startswith(f"openai-org: error: {org}"), err
        assert message in err, err
        assert err.count("\n") == 1
        assert SECRET not in err
        assert all(c.isprintable() for c in err.rstrip("\n"))
    assert conn.log.entries() == []


def test_a_50_mb_file_is_refused_unread(conn: EmulatorServer, tmp_path: Path) -> None:
    org = tmp_path / "org.yaml"
    with org.open("wb") as handle:
        handle.truncate(50 * 1024 * 1024)
    code, _, err = run("plan", "-f", str(org))
    assert code == 1
    assert (
        err
        == f"openai-org: error: {org}: (file): the file is 52,428,800 bytes, more than the limit of 5,242,880 bytes\n"
    )
    assert conn.log.entries() == []


@pytest.mark.parametrize("case", ["alias-bomb", "deep-nesting", "5000-digits"])
def test_no_traceback_from_the_console_script(conn: EmulatorServer, tmp_path: Path, case: str) -> None:
    """Those three once ended in a ``MemoryError``, a 3,000-line ``RecursionError`` and a PyYAML
    ``ValueError`` traceback."""
    org = tmp_path / "org.yaml"
    org.write_text(HOSTILE[case][0])
    done = subprocess.run(  # noqa: S603 - our own module, fixed arguments
        [sys.executable, "-m", "airflow_provider_openai_projects.cli.org", "plan", "-f", str(org)],
        capture_output=True,
        text=True,
        env={**os.environ, CONN: os.environ[CONN]},
        timeout=60,
        check=False,
    )
    assert done.returncode == 1
    assert "Traceback" not in done.stderr
    assert done.stderr.count("\n") == 1, done.stderr
    assert conn.log.entries() == []


VARIABLE_SINK = "projects:\n  team-new:\n    service_accounts:\n      bot: {sink: variable}\n"


def test_plan_out_refuses_a_plan_the_cli_could_not_apply_and_saves_nothing(
    conn: EmulatorServer, tmp_path: Path
) -> None:
    """``sink: variable`` outside a task once failed mid-apply with an ``ImportError`` after a
    project and a service account were created."""
    org, saved = tmp_path / "org.yaml", tmp_path / "plan.json"
    org.write_text(VARIABLE_SINK)

    assert run("plan", "-f", str(org))[0] == 2  # a preview still shows it
    code, _, err = run("plan", "-f", str(org), "--out", str(saved))

    assert code == 1
    assert err.startswith(
        f"openai-org: error: {org}: projects['team-new'].service_accounts.bot.sink: the key sink 'variable' "
        "cannot store this account's key here: an Airflow Variable can be written only inside a running Airflow task"
    )
    assert not saved.exists()
    assert conn.log.writes() == []


def test_apply_of_a_saved_plan_with_a_sink_the_cli_cannot_use_sends_nothing(
    conn: EmulatorServer, tmp_path: Path
) -> None:
    from airflow_provider_openai_projects.client import OpenAIAdminClient
    from airflow_provider_openai_projects.orgfile import engine
    from airflow_provider_openai_projects.orgfile.digest import key_of, seal
    from airflow_provider_openai_projects.orgfile.loader import load_text

    with OpenAIAdminClient(conn.admin_key, base_url=conn.base_url, max_retries=0) as client:
        saved_plan = engine.plan(client, load_text(VARIABLE_SINK, "org.yaml"))  # as a task would save it
        sealed = seal(saved_plan, key_of(client))
    saved = tmp_path / "plan.json"
    saved.write_text(json.dumps(sealed))
    conn.log.clear()

    code, _, err = run("apply", "--plan", str(saved))

    assert code == 1
    assert "projects['team-new'].service_accounts.bot.sink: the key sink 'variable' cannot store" in err
    assert conn.log.entries() == []


@pytest.mark.parametrize(
    ("connection", "message"),
    [
        (
            {"password": "sk-admin-x", "extra": "not json{"},
            "AIRFLOW_CONN_OPENAI_ADMIN_DEFAULT: extra must be a JSON object, got text that is not JSON",
        ),
        ({"password": "sk-admin-x", "extra": [1]}, "extra must be a JSON object, got list"),
        ({"password": "sk-admin-x", "extra": 5}, "extra must be a JSON object, got int"),
        ({"password": 12345}, "AIRFLOW_CONN_OPENAI_ADMIN_DEFAULT: password must be a string, got int"),
        ({"password": "sk-admin-x", "host": ["a"]}, "host must be a string, got list"),
        ({"password": "sk-admin-x", "port": 1.5}, "port must be a number, got float"),
    ],
)
def test_a_malformed_json_connection_is_one_line_exit_1_and_no_request(
    emulator: EmulatorServer,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    connection: dict[str, object],
    message: str,
) -> None:
    monkeypatch.setenv(CONN, json.dumps({"conn_type": "openai_admin", **connection}))
    org = tmp_path / "org.yaml"
    org.write_text("projects: {}\n")
    emulator.log.clear()
    code, _, err = run("plan", "-f", str(org))
    assert code == 1
    assert message in err, err
    assert err.count("\n") == 1
    assert "sk-admin-x" not in err
    assert emulator.log.entries() == []
