"""The statement table itself: every location is in the spec and says what is quoted, every
statement has its test, every operation of the spec has a row, and docs/emulator.md shows
the table as it is."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import Any

import pytest

from airflow_provider_openai_projects.emulator.event_types import AUDIT_EVENT_TYPES
from tests.conformance.spec_validation import load_spec_document
from tests.emulator.fidelity.statements import (
    SHAPE_ONLY,
    STATEMENTS,
    Statement,
    endpoint_of,
    resolve,
    spec_operations,
)

ROOT = Path(__file__).resolve().parents[3]
SPEC: dict[str, Any] = load_spec_document()


def _script() -> Any:
    spec = importlib.util.spec_from_file_location("fidelity_table", ROOT / "scripts" / "fidelity_table.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize(
    ("statement", "location"),
    [pytest.param(s, loc, id=loc) for s in STATEMENTS for loc in s.locations],
)
def test_every_location_is_in_the_spec_and_says_what_is_quoted(statement: Statement, location: str) -> None:
    text = " ".join(resolve(SPEC, location).split())
    assert statement.quote, statement.key
    assert statement.quote in text, (statement.key, text)


def test_every_statement_has_a_test_and_every_test_a_statement() -> None:
    tested = _script()._tested()
    keys = {s.key for s in STATEMENTS}
    assert len(keys) == len(STATEMENTS), "statement keys must be unique"
    untested = sorted(s.key for s in STATEMENTS if s.status == "holds" and not tested.get(s.key))
    assert not untested, f"statements without a test: {untested}"
    assert not set(tested) - keys, f"tests naming no statement: {sorted(set(tested) - keys)}"


def test_every_operation_of_the_spec_has_a_fidelity_row() -> None:
    """A new operation in the spec fails here until it gets a statement or a shape-only row."""
    operations = set(spec_operations(SPEC))
    covered = {endpoint_of(loc) for s in STATEMENTS for loc in s.locations} | {
        op for s in STATEMENTS for op in s.operations
    }
    covered.discard(None)
    missing = sorted(operations - covered - set(SHAPE_ONLY))
    assert not missing, f"operations of the spec with no fidelity row (statements.py): {missing}"
    assert not set(SHAPE_ONLY) - operations, f"shape-only rows of no operation: {sorted(set(SHAPE_ONLY) - operations)}"
    assert not covered - operations, f"statements of no operation: {sorted(str(c) for c in covered - operations)}"
    assert not covered & set(SHAPE_ONLY), "an operation is both shape-only and stated"


def test_the_emulator_s_event_types_are_the_spec_s_enum() -> None:
    assert list(AUDIT_EVENT_TYPES) == SPEC["components"]["schemas"]["AuditLogEventType"]["enum"]


def test_docs_emulator_md_shows_the_table_as_it_is() -> None:
    document = (ROOT / "docs" / "emulator.md").read_text()
    assert _script().rendered(document) == document, "run: python scripts/fidelity_table.py"
