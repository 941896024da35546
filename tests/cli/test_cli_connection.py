"""Issue 18 point 2 and issue 17 point 8: ``openai-org`` builds its client as the hook does,
shared budget included, and a malformed ``AIRFLOW_CONN_*`` is one line and exit 1.

The attack: unreachable Redis or PostgreSQL, ``bogus://x`` and ``sqlite:relative.db`` all gave
exit 0 and a normal plan, and a valid SQLite budget file was never created (the CLI paced per
process); an extra that is not JSON gave a traceback.
"""

from __future__ import annotations

import io
import json
import sqlite3
from pathlib import Path

import pytest

from airflow_provider_openai_projects.cli.connection import read_connection
from airflow_provider_openai_projects.cli.org import main
from airflow_provider_openai_projects.emulator.server import EmulatorServer
from tests.loopback import free_port

CONN = "AIRFLOW_CONN_OPENAI_ADMIN_DEFAULT"
SECRET = "Sup3rS3cretPw"


def run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), out, err)
    return code, out.getvalue(), err.getvalue()


def set_connection(monkeypatch: pytest.MonkeyPatch, emulator: EmulatorServer, **fields: object) -> None:
    connection = {"conn_type": "openai_admin", "host": emulator.base_url, "password": emulator.admin_key}
    monkeypatch.setenv(CONN, json.dumps({**connection, **fields}))


@pytest.fixture
def org(tmp_path: Path) -> Path:
    path = tmp_path / "org.yaml"
    path.write_text("projects:\n  team-new: {}\n")
    return path


@pytest.mark.parametrize(
    ("backend", "shown"),
    [
        ("redis://:{s}@127.0.0.1:{port}/0", "redis://:***@127.0.0.1:{port}/0) is unreachable"),
        ("postgresql://u@127.0.0.1:{port}/db?password={s}", "db?password=***) is unreachable"),
        ("bogus://x", "(bogus://x) must start with sqlite:////"),
        ("sqlite:relative.db", "(sqlite:relative.db) must name an absolute file path"),
    ],
)
def test_an_unusable_backend_is_exit_1_with_the_hooks_one_line_error_and_no_request(
    emulator: EmulatorServer, monkeypatch: pytest.MonkeyPatch, org: Path, backend: str, shown: str
) -> None:
    port = free_port()
    set_connection(monkeypatch, emulator, extra={"rate_limit_backend": backend.format(s=SECRET, port=port)})
    code, out, err = run("plan", "-f", str(org))
    assert code == 1
    assert out == ""
    assert err.startswith("openai-org: error: connection 'openai_admin_default': extra 'rate_limit_backend' (")
    assert shown.format(port=port) in err
    assert err.count("\n") == 1
    assert SECRET not in err
    assert emulator.log.entries() == []


def test_a_sqlite_budget_is_created_and_used_by_the_cli(
    emulator: EmulatorServer, monkeypatch: pytest.MonkeyPatch, org: Path, tmp_path: Path
) -> None:
    budget = tmp_path / "budget.db"
    extra = {"rate_limit_backend": f"sqlite:///{budget}", "requests_per_minute": 600}
    set_connection(monkeypatch, emulator, extra=extra)
    code, _, err = run("plan", "-f", str(org))
    assert code == 2, err  # changes to apply
    with sqlite3.connect(budget) as db:
        keys = [key for (key,) in db.execute("SELECT key FROM openai_admin_budget")]
    assert any(key.endswith(":GET /organization/projects") for key in keys)  # the CLI's reads were paced there
    assert emulator.log.writes() == []


@pytest.mark.parametrize(
    ("raw", "problem"),
    [
        ({"extra": "{not json"}, "extra must be a JSON object, got text that is not JSON"),
        ({"extra": "[1, 2]"}, "extra must be a JSON object, got list"),
        ({"extra": [1, 2]}, "extra must be a JSON object, got list"),
        ({"extra": 7}, "extra must be a JSON object, got int"),
        ({"password": 12345}, "password must be a string, got int"),
        ({"password": ["sk-admin-x"]}, "password must be a string, got list"),
        ({"host": {"a": 1}}, "host must be a string, got dict"),
        ({"port": [80]}, "port must be a number, got list"),
    ],
)
def test_a_malformed_connection_is_one_line_and_exit_1_with_no_traceback(
    emulator: EmulatorServer, monkeypatch: pytest.MonkeyPatch, org: Path, raw: dict[str, object], problem: str
) -> None:
    set_connection(monkeypatch, emulator, **raw)
    code, out, err = run("plan", "-f", str(org))
    assert (code, out) == (1, "")
    assert err == f"openai-org: error: {CONN}: {problem}\n"
    assert emulator.log.entries() == []


@pytest.mark.parametrize(("raw", "kind"), [("[1, 2]", "list"), ("42", "int"), ('"text"', "str"), ("null", "NoneType")])
def test_a_connection_that_is_not_a_json_object_is_one_line(
    emulator: EmulatorServer, monkeypatch: pytest.MonkeyPatch, org: Path, raw: str, kind: str
) -> None:
    monkeypatch.setenv(CONN, raw)
    code, _, err = run("plan", "-f", str(org))
    assert code == 1
    assert err == f"openai-org: error: {CONN} must be a JSON object, got {kind}\n"


def test_the_connection_read_by_the_cli_shows_neither_its_key_nor_its_backend_password(
    emulator: EmulatorServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    backend = f"redis://:{SECRET}@127.0.0.1:1/0"
    set_connection(monkeypatch, emulator, extra={"rate_limit_backend": backend})
    info = read_connection("openai_admin_default")
    assert info.extra["rate_limit_backend"] == backend  # read whole ...
    assert SECRET not in repr(info)  # ... and never shown
    assert emulator.admin_key not in repr(info)
