"""Suite-wide set-up: an isolated AIRFLOW_HOME, loopback-only sockets, the emulator.

AIRFLOW_HOME must point at a throwaway directory before anything imports airflow, so it
is set here at import time (pytest imports conftest.py before collecting test modules).
Sockets to any host but loopback are refused by pytest-socket (``--allow-hosts`` in
pyproject.toml).
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

_AIRFLOW_HOME = tempfile.mkdtemp(prefix="openai-provider-tests-airflow-home-")
os.environ["AIRFLOW_HOME"] = _AIRFLOW_HOME
os.environ.setdefault("AIRFLOW__CORE__LOAD_EXAMPLES", "False")
os.environ["AIRFLOW__CORE__DAGS_FOLDER"] = str(Path(__file__).resolve().parents[1] / "dags_examples")
os.environ.setdefault("AIRFLOW__CORE__UNIT_TEST_MODE", "True")
# The real endpoint must never be reachable from a test, whatever a test forgets to set.
os.environ.pop("OPENAI_API_KEY", None)
os.environ.pop("OPENAI_ADMIN_KEY", None)

import pytest  # noqa: E402

from airflow_provider_openai_projects.emulator.server import EmulatorServer  # noqa: E402


@pytest.fixture(scope="session")
def emulator_server() -> Iterator[EmulatorServer]:
    """One emulator process-wide (uvicorn in a thread on a free loopback port)."""
    with EmulatorServer() as server:
        yield server


@pytest.fixture
def emulator(emulator_server: EmulatorServer) -> Iterator[EmulatorServer]:
    """The shared emulator, reset to its seeded state (and no faults, empty log) per test."""
    emulator_server.reset()
    yield emulator_server
    emulator_server.reset()
