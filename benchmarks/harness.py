"""Running operators against an emulator and measuring what they cost.

The measure that matters under the Admin API's throttle is the number of calls (docs/design.md,
fact 4), so every scenario reports calls and writes next to the minimum they need, the
429s it received, and its wall time as a ratio to the floor the throttle sets
(``calls / rate``).
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import pendulum

from airflow_provider_openai_projects.emulator.server import EmulatorServer


@dataclass
class Measurement:
    """One scenario run: what it cost, and what it needed at least."""

    scenario: str
    variant: str
    client: str
    calls: int
    min_calls: int
    writes: int
    min_writes: int
    throttled: int
    seconds: float
    rate_per_minute: float | None
    notes: str = ""
    failed_operations: int = 0

    @property
    def floor_seconds(self) -> float | None:
        """The time the throttle alone imposes on this many calls (``calls / rate``)."""
        return self.calls / (self.rate_per_minute / 60.0) if self.rate_per_minute else None

    @property
    def ratio(self) -> float | None:
        floor = self.floor_seconds
        return self.seconds / floor if floor else None

    @property
    def throttled_share(self) -> float:
        return self.throttled / self.calls if self.calls else 0.0


@dataclass
class FakeTaskInstance:
    """What operators use of a task instance: XCom pushes (recorded, JSON-checked)."""

    xcom: dict[str, Any] = field(default_factory=dict)

    def xcom_push(self, key: str, value: Any) -> None:
        json.dumps(value)
        self.xcom[key] = value


@dataclass
class FakeDagRun:
    run_id: str
    run_after: pendulum.DateTime


def task_context(run_id: str = "manual__bench", run_after: pendulum.DateTime | None = None) -> Any:
    """A minimal task context: run id, dag run (for rotation generations), a task instance."""
    after = run_after or pendulum.now("UTC")
    return {"run_id": run_id, "dag_run": FakeDagRun(run_id, after), "ti": FakeTaskInstance(), "logical_date": after}


CONN_ENV = "AIRFLOW_CONN_OPENAI_ADMIN_DEFAULT"


def connection_json(emulator: EmulatorServer, **extra: Any) -> str:
    """The ``openai_admin_default`` connection (operators' default) pointing at the emulator."""
    return json.dumps(
        {"conn_type": "openai_admin", "host": emulator.base_url, "password": emulator.admin_key, "extra": extra}
    )


@dataclass
class Counter:
    calls: int = 0
    writes: int = 0
    throttled: int = 0
    seconds: float = 0.0


@contextmanager
def measured(emulator: EmulatorServer) -> Iterator[Counter]:
    """Count the API requests (all, writes, 429s) and the wall time of the block."""
    emulator.log.clear()
    counter = Counter()
    start = time.perf_counter()
    try:
        yield counter
    finally:
        counter.seconds = time.perf_counter() - start
        entries = emulator.log.entries()
        counter.calls = len(entries)
        counter.writes = sum(1 for e in entries if e.method != "GET" and e.status is not None and e.status < 400)
        counter.throttled = sum(1 for e in entries if e.status == 429)


def run_all(operators: list[Callable[[], Any]]) -> list[Any]:
    """Run each operator-executing callable in turn; their results."""
    return [run() for run in operators]


def replace_section(document: str, title: str, section: str) -> str:
    """``document`` with the ``## title`` section (up to the next ``## `` heading) replaced by
    ``section``, or with ``section`` appended when it has none."""
    start = document.find(title)
    if start < 0:
        return document.rstrip("\n") + "\n\n" + section.rstrip("\n") + "\n"
    after = document.find("\n## ", start + len(title))
    rest = document[after + 1 :] if after >= 0 else ""
    return document[:start] + section.rstrip("\n") + "\n" + ("\n" + rest if rest else "")
