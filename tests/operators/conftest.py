"""Operators run against the emulator through a real ``openai_admin`` connection.

``context`` is a minimal task context: what the operators read (run id, the dag run's
``run_after``, a task instance that records XCom pushes). Whole-DAG runs with a real
Task SDK supervisor live in the example-DAG tests.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import pendulum
import pytest

from airflow_provider_openai_projects.emulator.server import EmulatorServer
from airflow_provider_openai_projects.sinks.memory import InMemoryKeySink


def connect(monkeypatch: pytest.MonkeyPatch, emulator: EmulatorServer, **extra: Any) -> EmulatorServer:
    """Point ``openai_admin_default`` at the emulator, with the given connection extras."""
    conn = {"conn_type": "openai_admin", "host": emulator.base_url, "password": emulator.admin_key}
    monkeypatch.setenv("AIRFLOW_CONN_OPENAI_ADMIN_DEFAULT", json.dumps({**conn, "extra": extra} if extra else conn))
    return emulator


@pytest.fixture
def admin_conn(emulator: EmulatorServer, monkeypatch: pytest.MonkeyPatch) -> EmulatorServer:
    """``openai_admin_default`` points at the emulator (default client settings)."""
    return connect(monkeypatch, emulator)


@pytest.fixture
def no_retry_conn(admin_conn: EmulatorServer, monkeypatch: pytest.MonkeyPatch) -> EmulatorServer:
    """The connection without client retries: a lost response fails the task, a re-run must converge."""
    return connect(monkeypatch, admin_conn, max_retries=0)


def new_project(emulator: EmulatorServer, name: str = "Team") -> str:
    """A project made directly in the emulator's state (no API call, nothing in the log)."""
    return str(emulator.state.create_project(name)["id"])


@dataclass
class FakeTaskInstance:
    """Records what an operator pushes to XCom, so tests can assert no secret goes there."""

    xcom: dict[str, Any] = field(default_factory=dict)
    try_number: int = 1

    def xcom_push(self, key: str, value: Any) -> None:
        json.dumps(value)  # XCom values must be JSON-able
        self.xcom[key] = value


@dataclass
class FakeDagRun:
    run_id: str
    run_after: pendulum.DateTime


def make_context(run_id: str = "manual__2026-11-26T08:00:00+00:00", run_after: str = "2026-11-26T08:00:00Z") -> Any:
    after = pendulum.parse(run_after)
    assert isinstance(after, pendulum.DateTime)
    return {"run_id": run_id, "dag_run": FakeDagRun(run_id, after), "ti": FakeTaskInstance(), "logical_date": after}


@pytest.fixture
def context() -> Any:
    return make_context()


@pytest.fixture
def sink() -> InMemoryKeySink:
    return InMemoryKeySink()
