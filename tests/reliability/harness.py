"""What the reliability tests share: the connection, fault kinds, Airflow-like retries, counting.

Plain helpers, no fixtures: every test still gets the emulator through ``emulator`` (reset per
test) and sets the ``openai_admin_default`` connection with :func:`connect`, choosing the
client settings its faults need (``max_retries``, a short read ``timeout``, pacing).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import pytest
from airflow.sdk import BaseOperator
from airflow.sdk.exceptions import AirflowFailException

from airflow_provider_openai_projects.emulator.faults import FaultRule
from airflow_provider_openai_projects.emulator.server import EmulatorServer

if TYPE_CHECKING:
    from tests.reliability.conftest import Ledger

CONN_ENV = "AIRFLOW_CONN_OPENAI_ADMIN_DEFAULT"

#: The read timeout of the connection in read-timeout scenarios, and the emulator's delay
#: of the response, well past it (the change itself is applied before the delay).
READ_TIMEOUT = 0.8
SLOW_RESPONSE = 2.0

#: A rule that only delays a matching request by a millisecond: armed before a failing rule
#: on the same path, it lets the first matching request through (rules apply oldest first).
_PASS_LATENCY = 0.001
PASS_LABEL = FaultRule(latency=_PASS_LATENCY).describe()


def connect(monkeypatch: pytest.MonkeyPatch, emulator: EmulatorServer, **extra: Any) -> None:
    """Point ``openai_admin_default`` at the emulator with these connection extras
    (``max_retries``, ``timeout``, ``requests_per_minute``)."""
    monkeypatch.setenv(CONN_ENV, connection_env(emulator, **extra)[CONN_ENV])


def connection_env(emulator: EmulatorServer, **extra: Any) -> dict[str, str]:
    """The same connection as an environment entry, for a worker subprocess."""
    conn: dict[str, Any] = {"conn_type": "openai_admin", "host": emulator.base_url, "password": emulator.admin_key}
    if extra:
        conn["extra"] = extra
    return {CONN_ENV: json.dumps(conn)}


# -- fault kinds ----------------------------------------------------------------------------


@dataclass(frozen=True)
class LostResponse:
    """One way a write's response can be lost: a 5xx, a dropped connection, a read timeout.

    ``when="after"``: the change is applied, then the response is lost (the dangerous case).
    ``when="before"``: the request fails without being applied (must still end in one object).
    """

    kind: str
    when: str

    @property
    def id(self) -> str:
        return f"{self.kind}-{self.when}"

    @property
    def needs_read_timeout(self) -> bool:
        return self.kind == "timeout"

    def rule(self, method: str, path: str, times: int = 1, slow: float = SLOW_RESPONSE) -> FaultRule:
        """The emulator rule; ``slow`` is the response delay of a read timeout (past the
        connection's ``timeout``)."""
        if self.kind == "drop":
            return FaultRule(method=method, path=path, drop=True, when=self.when, times=times)
        if self.kind == "timeout":
            return FaultRule(method=method, path=path, latency=slow, when=self.when, times=times)
        return FaultRule(method=method, path=path, status=int(self.kind), when=self.when, times=times)


#: Every lost-response fault of the matrix. A read timeout is only injected "after": a request
#: that the server applies *later* than the client's timeout and its look-again is out of
#: scope (docs/reliability.md, "What is not covered").
LOST_RESPONSES = (
    *(LostResponse(kind, when) for kind in ("500", "502", "503", "drop") for when in ("after", "before")),
    LostResponse("timeout", "after"),
)


def let_first_through(emulator: EmulatorServer, method: str, path: str, count: int = 1) -> None:
    """Let the next ``count`` requests matching ``method path`` pass; arm before a failing rule."""
    for _ in range(count):
        emulator.faults.add(FaultRule(method=method, path=path, latency=_PASS_LATENCY))


def injected_faults(emulator: EmulatorServer) -> int:
    """Faults the emulator injected since its last reset, throttling included, the pass-through
    rules of :func:`let_first_through` not (call before clearing its log or its faults)."""
    stats = emulator.faults.stats()
    passed = sum(1 for e in emulator.log.entries() if e.fault == PASS_LABEL)
    return stats["injected"] + stats["throttled"] - passed


def armed(emulator: EmulatorServer, method: str, path: str) -> int:
    """Rules still armed (not used up) for exactly this method and path glob."""
    return sum(1 for r in emulator.faults.describe()["rules"] if r["method"] == method and r["path"] == path)


# -- running operators the way Airflow does -------------------------------------------------


def run_like_airflow(
    make: Callable[[], BaseOperator], context: Any, *, tries: int, ledger: Ledger
) -> tuple[Any, list[BaseException]]:
    """Run a task with Airflow's retries: a fresh operator per try (a retry re-creates the task
    from the DAG), the same DAG-run context; ``AirflowFailException`` is never retried.

    Returns (the result of the successful try, the errors of the failed tries); raises the
    last error when no try succeeded.
    """
    errors: list[BaseException] = []
    for _ in range(tries):
        ledger.add("runs")
        try:
            return make().execute(context), errors
        except AirflowFailException:
            raise
        except Exception as error:
            errors.append(error)
    raise errors[-1]


# -- counting what exists -------------------------------------------------------------------


def project_of(emulator: EmulatorServer, project_id: str) -> Any:
    project = emulator.state.projects.get(project_id)
    assert project is not None, f"no project {project_id}"
    return project


def active_projects_named(emulator: EmulatorServer, name: str) -> int:
    return sum(1 for p in emulator.state.projects if p.name == name and not p.archived)


def accounts_named(emulator: EmulatorServer, project_id: str, name: str) -> list[str]:
    return [a.id for a in project_of(emulator, project_id).service_accounts if a.name == name]


def invites_for(emulator: EmulatorServer, email: str) -> int:
    """Invites of any status for ``email``: a duplicate would show here even once accepted."""
    return sum(1 for i in emulator.state.invites if i.email.lower() == email.lower())


def memberships_of(emulator: EmulatorServer, project_id: str, user_id: str) -> int:
    return sum(1 for m in project_of(emulator, project_id).users if m.user_id == user_id)


def role_in(emulator: EmulatorServer, project_id: str, user_id: str) -> str | None:
    return next((m.role for m in project_of(emulator, project_id).users if m.user_id == user_id), None)


def duplicates(counts: Iterable[int]) -> int:
    """How many objects exist beyond one of each intended object."""
    return sum(max(0, n - 1) for n in counts)


def as_a_new_task_process() -> None:
    """Forget the secrets registered with Airflow's masker by earlier repetitions of a test.

    A real worker runs each task in a process of its own, whose masker holds that task's
    secrets only. A soak runs thousands of rotations in this one process, and the masker
    recompiles one pattern of every secret ever registered for each new one and matches
    every log line against it: without this, each repetition gets slower than the last.
    """
    from airflow.sdk._shared.secrets_masker import _secrets_masker

    _secrets_masker().reset_masker()


def allow_unix_sockets(config: pytest.Config) -> None:
    """Let this test connect to Unix sockets as well as to loopback hosts.

    multiprocessing's fork server (how the worker processes start) is reached through a Unix
    socket, which pytest-socket refuses with the rest of the network. A Unix socket is
    local IPC, not the network: the loopback-only rule (``--allow-hosts``) still applies to
    every other connection. pytest-socket sets the rule again for each test.
    """
    from pytest_socket import socket_allow_hosts

    socket_allow_hosts(config.getoption("--allow-hosts"), allow_unix_socket=True)
