"""Which test holds which statement: ``@holds("usage.start-inclusive", ...)`` on a test.

:mod:`.test_statement_table` imports every test module of this folder and fails when a
statement of :data:`.statements.STATEMENTS` that holds has no test.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

F = TypeVar("F", bound=Callable[..., object])

#: Statement key -> names of the tests that hold it.
TESTED: dict[str, list[str]] = {}


def holds(*keys: str) -> Callable[[F], F]:
    """Register the decorated test as the proof of the statements ``keys``."""

    def register(test: F) -> F:
        for key in keys:
            TESTED.setdefault(key, []).append(getattr(test, "__name__", repr(test)))
        return test

    return register
