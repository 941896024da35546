"""The reliability suite: faults, throttling, crash-safety, bad input, secret hygiene.

Every test records what it did in the session's :class:`Ledger` (faults injected, runs,
duplicates found, keys lost, leaks found, bad inputs tried). The totals are printed at
the end of the run and written to ``build/reliability-figures.json``; ``docs/reliability.md``
quotes them from the last full run. ``--soak`` repeats the randomized scenarios many more
times (``make soak``); without it the suite stays within a few minutes inside ``make test``.
"""

from __future__ import annotations

import json
import threading
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest

FIGURES = ("faults_injected", "runs", "duplicates_found", "keys_lost", "leaks_found", "bad_inputs_tried")
REPORT = Path(__file__).resolve().parents[2] / "build" / "reliability-figures.json"


class Ledger:
    """Thread-safe counters of what the reliability tests did and found."""

    def __init__(self) -> None:
        self._counts: Counter[str] = Counter()
        self._lock = threading.Lock()

    def add(self, figure: str, amount: int = 1) -> None:
        if figure not in FIGURES:
            raise KeyError(f"unknown figure {figure!r}; one of {FIGURES}")
        with self._lock:
            self._counts[figure] += amount

    def totals(self) -> dict[str, int]:
        with self._lock:
            return {figure: self._counts[figure] for figure in FIGURES}


_LEDGER = Ledger()


@pytest.fixture(scope="session")
def ledger() -> Ledger:
    return _LEDGER


@pytest.fixture(scope="session")
def soak(request: pytest.FixtureRequest) -> bool:
    return bool(request.config.getoption("--soak"))


@pytest.fixture(scope="session")
def repetitions(soak: bool) -> int:
    """How many times a randomized scenario runs: a few in ``make test``, many in a soak."""
    return 200 if soak else 8


@pytest.fixture(scope="session", autouse=True)
def _report_figures(request: pytest.FixtureRequest) -> Iterator[None]:
    yield
    totals = _LEDGER.totals()
    if any(totals.values()):
        REPORT.parent.mkdir(parents=True, exist_ok=True)
        REPORT.write_text(json.dumps({**totals, "soak": bool(request.config.getoption("--soak"))}, indent=2) + "\n")


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """One line with the figures, after the run (fixtures' output would be captured)."""
    totals = _LEDGER.totals()
    if any(totals.values()):
        terminalreporter.write_line(
            "reliability: " + ", ".join(f"{k.replace('_', ' ')} {v}" for k, v in totals.items())
        )
