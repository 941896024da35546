"""What the ``openai-org`` tests share: the connection fixture and running the CLI in-process."""

from __future__ import annotations

import io
import json

import pytest

from airflow_provider_openai_projects.cli.org import main
from airflow_provider_openai_projects.emulator.server import EmulatorServer

CONN = "AIRFLOW_CONN_OPENAI_ADMIN_DEFAULT"


@pytest.fixture
def conn(emulator: EmulatorServer, monkeypatch: pytest.MonkeyPatch) -> EmulatorServer:
    """``openai_admin_default`` (as ``AIRFLOW_CONN_*``) points at the emulator, with ``team-search``."""
    monkeypatch.setenv(
        CONN, json.dumps({"conn_type": "openai_admin", "host": emulator.base_url, "password": emulator.admin_key})
    )
    emulator.state.create_project("team-search")
    emulator.log.clear()
    return emulator


def run(*argv: str, err: io.StringIO | None = None) -> tuple[int, str, str]:
    """``openai-org *argv`` in this process: the exit code, stdout and stderr."""
    out = io.StringIO()
    err = err if err is not None else io.StringIO()
    code = main(list(argv), out, err)
    return code, out.getvalue(), err.getvalue()
