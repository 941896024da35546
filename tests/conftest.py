"""Suite-wide set-up: an isolated AIRFLOW_HOME, loopback-only sockets, the emulator.

AIRFLOW_HOME must point at a throwaway directory before anything imports airflow, so it
is set here at import time (pytest imports conftest.py before collecting test modules).
Sockets to any host but loopback are refused by pytest-socket (``--allow-hosts`` in
pyproject.toml).

Every exchange with the session's emulator is validated against the vendored OpenAPI spec
(``tests/conformance/spec_validation.py``): a test whose requests or whose responses do
not match it fails at teardown. A test that sends off-spec requests on purpose says so
with ``@pytest.mark.spec_violations_expected``; that excuses its requests, never the
emulator's responses.

Everything the suite starts is stopped and its files removed when the session ends, however
it ends (``tests/process_guard.py``): the last step of the session lists any process of the
suite still alive, stops it, removes the recorded files (this Airflow home among them) and
fails the session naming what was left. SIGTERM (a CI job cancelled) ends the session like
Ctrl-C, so the fixtures' teardowns still run.
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
from tests import process_guard  # noqa: E402
from tests.conformance.spec_validation import SuiteConformance, format_violations  # noqa: E402
from tests.process_guard import pytest_sessionfinish  # noqa: E402, F401 (the session's last step)

process_guard.record_path(Path(_AIRFLOW_HOME), "the suite's AIRFLOW_HOME")

SPEC_VIOLATIONS_EXPECTED = "spec_violations_expected"

#: Records the session emulator's traffic; validated at the end of each test.
_SPEC_CONFORMANCE = SuiteConformance()


def pytest_configure(config: pytest.Config) -> None:
    process_guard.stop_the_session_on_sigterm()
    config.addinivalue_line(
        "markers",
        f"{SPEC_VIOLATIONS_EXPECTED}: the test sends requests that the OpenAPI spec rejects, on purpose; "
        "its request violations are not reported (its responses are still validated), and it fails "
        "if it sends none.",
    )


@pytest.hookimpl(wrapper=True)
def pytest_runtest_protocol(item: pytest.Item, nextitem: pytest.Item | None) -> Iterator[None]:
    """Stamp the emulator's traffic with the node id of the test that sent it."""
    _SPEC_CONFORMANCE.recorder.current_test = item.nodeid
    try:
        return (yield)
    finally:
        _SPEC_CONFORMANCE.recorder.current_test = None


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if _SPEC_CONFORMANCE.active:
        terminalreporter.write_line(_SPEC_CONFORMANCE.summary())


@pytest.fixture(scope="session")
def spec_conformance() -> SuiteConformance:
    """The suite-wide spec check (for the tests that test it)."""
    return _SPEC_CONFORMANCE


@pytest.fixture(autouse=True)
def _spec_conformance(request: pytest.FixtureRequest) -> Iterator[None]:
    """Fail the test at teardown if its traffic with the emulator broke the spec."""
    yield
    if _SPEC_CONFORMANCE.active:
        failure = _SPEC_CONFORMANCE.check_test(
            request.node.nodeid,
            request_violations_expected=request.node.get_closest_marker(SPEC_VIOLATIONS_EXPECTED) is not None,
        )
        if failure:
            pytest.fail(failure, pytrace=False)


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--soak", action="store_true", default=False, help="run the reliability scenarios many more times")


@pytest.fixture(scope="session")
def emulator_server() -> Iterator[EmulatorServer]:
    """One emulator process-wide (uvicorn in a thread on a free loopback port), its
    traffic recorded for the spec check."""
    with EmulatorServer(app_wrapper=_SPEC_CONFORMANCE.middleware) as server:
        yield server
    leftovers = _SPEC_CONFORMANCE.leftover_violations()
    if leftovers:
        pytest.fail(format_violations(leftovers), pytrace=False)


@pytest.fixture
def emulator(emulator_server: EmulatorServer) -> Iterator[EmulatorServer]:
    """The shared emulator, reset to its seeded state (and no faults, empty log) per test."""
    emulator_server.reset()
    yield emulator_server
    emulator_server.reset()


@pytest.fixture(autouse=True)
def _fresh_shared_pacers() -> Iterator[None]:
    """Hooks and triggers of one connection share a pacer per process; a 429 cooldown
    from one test must not hold back the next."""
    from airflow_provider_openai_projects.client.shared_pacers import forget_shared_pacers

    forget_shared_pacers()
    yield
    forget_shared_pacers()
