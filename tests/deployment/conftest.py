"""Fixtures of the real-deployment tests: one deployment for the package, its logs on failure.

The deployment (``harness.Deployment``) is started once for the package (about a minute:
``airflow db migrate`` and four components on a 2-core machine) and the tests run in order
over it (modules in name order), each driving one example DAG as a user would; later tests
look at what the earlier ones left (runs, logs, XComs). A failed test gets the tail of every
component's output in its report (section "deployment logs").
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from .harness import AirflowApi, Deployment, EmulatorControl

DEPLOYMENT_MARKER = "deployment"


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        f"{DEPLOYMENT_MARKER}: starts a real Airflow deployment (scheduler, dag-processor, triggerer, api-server, "
        "LocalExecutor) and the emulator as subprocesses; a few minutes (deselect with -m 'not deployment')",
    )


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    report: pytest.TestReport = yield
    deployment = _RUNNING.get("deployment")
    if report.failed and deployment is not None and item.get_closest_marker(DEPLOYMENT_MARKER):
        report.sections.append(("deployment logs", deployment.describe_logs()))
        _FAILED.add(item.nodeid)
    return report  # type: ignore[return-value]


_RUNNING: dict[str, Deployment] = {}
_FAILED: set[str] = set()


@pytest.fixture(scope="package")
def deployment() -> Iterator[Deployment]:
    """The running deployment; its processes are stopped (process groups killed) afterwards.
    The directory (home, logs) is removed after a passing package, and after a failure when the
    session ends (``tests/process_guard.py``; ``OPENAI_PROVIDER_TESTS_KEEP_FILES=1`` keeps it)."""
    root = Path(tempfile.mkdtemp(prefix="openai-provider-deployment-"))
    running = Deployment(root)
    _RUNNING["deployment"] = running
    try:
        running.start()
        yield running
    finally:
        running.stop()
        _RUNNING.pop("deployment", None)
    if not _FAILED:
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture(scope="package")
def airflow_api(deployment: Deployment) -> AirflowApi:
    """The api-server's REST API, authenticated."""
    return AirflowApi(deployment.api_url)


@pytest.fixture(scope="package")
def emulator_control(deployment: Deployment) -> EmulatorControl:
    """The emulator's control API."""
    return EmulatorControl(deployment.emulator_url, deployment.control_token)


@pytest.fixture(scope="package")
def minted_keys() -> list[str]:
    """Key values the tests read from the deployment's Variables (to look for them in logs)."""
    return []
