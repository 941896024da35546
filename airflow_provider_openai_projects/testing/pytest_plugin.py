"""pytest plugin (entry point ``pytest11``): the Admin API emulator behind your DAG tests.

Opt-in: nothing starts unless a test asks for one of these fixtures, and loading the plugin
imports neither Airflow nor the emulator.

- ``openai_admin_emulator_server`` (session): an
  :class:`~airflow_provider_openai_projects.emulator.server.EmulatorServer` on a free
  loopback port, in a background thread. Override this fixture to start it differently
  (other models, a wrapping middleware).
- ``openai_admin_emulator``: that emulator, reset to its seed (one owner, the default
  project), with no faults, no throttle and an empty request log, before and after the test.
- ``openai_admin_connection``: the connection ``openai_admin_default`` points at the
  emulator for the test (the environment variable ``AIRFLOW_CONN_OPENAI_ADMIN_DEFAULT``,
  restored afterwards); its value is the connection id.

See :mod:`airflow_provider_openai_projects.testing` for the helpers that seed people and
accept invites.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest

from airflow_provider_openai_projects import DEFAULT_CONN_ID

from .connection import connection_json

if TYPE_CHECKING:
    from airflow_provider_openai_projects.emulator.server import EmulatorServer


@pytest.fixture(scope="session")
def openai_admin_emulator_server() -> Iterator[EmulatorServer]:
    """One emulator for the session, on a free port of 127.0.0.1; stopped at the end."""
    from airflow_provider_openai_projects.emulator.server import EmulatorServer

    with EmulatorServer() as server:
        yield server


@pytest.fixture
def openai_admin_emulator(openai_admin_emulator_server: EmulatorServer) -> Iterator[EmulatorServer]:
    """The session's emulator, reset to its seed before and after the test."""
    openai_admin_emulator_server.reset()
    yield openai_admin_emulator_server
    openai_admin_emulator_server.reset()


@pytest.fixture
def openai_admin_connection(openai_admin_emulator: EmulatorServer, monkeypatch: pytest.MonkeyPatch) -> str:
    """``openai_admin_default`` points at the emulator for this test; returns that connection id."""
    monkeypatch.setenv(f"AIRFLOW_CONN_{DEFAULT_CONN_ID.upper()}", connection_json(openai_admin_emulator))
    return DEFAULT_CONN_ID
