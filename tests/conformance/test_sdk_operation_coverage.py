"""Every operation of the spec is driven by the official SDK, or excluded for a stated reason.

The operations each SDK conformance test drives are its ``sdk_drives`` markers (checked
against its real traffic by ``tests/conformance/conftest.py``); the list here is derived
from them, never kept by hand. An operation the spec gains without an SDK test fails.
"""

from __future__ import annotations

import importlib
import inspect
from pathlib import Path
from typing import Any

import pytest

from airflow_provider_openai_projects.client.endpoints import BY_OPERATION, ENDPOINTS
from tests.client.test_endpoint_table import spec_operations
from tests.conformance.conftest import SDK_DRIVES, SDK_MODULE_PREFIX

HERE = Path(__file__).resolve().parent

#: Spec operations no SDK test drives, each with the reason (empty: the SDK drives all 106).
EXCLUDED: dict[str, str] = {}


def _marks(obj: Any) -> list[Any]:
    return list(getattr(obj, "pytestmark", []))


def _driven_by(test: Any) -> set[str]:
    """The operations a test function's ``sdk_drives`` markers name, its parameters' too."""
    driven: set[str] = set()
    for mark in _marks(test):
        if mark.name == SDK_DRIVES:
            driven.update(mark.args)
        if mark.name == "parametrize":
            for value in mark.args[1]:
                for inner in getattr(value, "marks", ()):
                    if inner.name == SDK_DRIVES:
                        driven.update(inner.args)
    return driven


def sdk_driven_operations() -> dict[str, set[str]]:
    """``operationId`` -> the SDK tests (``module::function``) that drive it."""
    driven: dict[str, set[str]] = {}
    for path in sorted(HERE.glob(f"{SDK_MODULE_PREFIX}*.py")):
        module = importlib.import_module(f"tests.conformance.{path.stem}")
        for name, test in inspect.getmembers(module, inspect.isfunction):
            if name.startswith("test_"):
                for operation in _driven_by(test):
                    driven.setdefault(operation, set()).add(f"{path.name}::{name}")
    return driven


def test_the_sdk_tests_are_found_and_name_real_operations() -> None:
    driven = sdk_driven_operations()
    assert driven, "no sdk_drives markers found in tests/conformance/test_openai_sdk*.py"
    unknown = sorted(set(driven) - set(BY_OPERATION))
    assert not unknown, f"sdk_drives names operations that ENDPOINTS does not have: {unknown}"


def test_every_spec_operation_is_driven_by_the_sdk_or_excluded_with_a_reason() -> None:
    driven = set(sdk_driven_operations())
    operations = set(spec_operations())
    neither = sorted(operations - driven - set(EXCLUDED))
    assert not neither, (
        f"spec operations that no SDK conformance test drives: {neither}; drive them with the openai SDK "
        "in tests/conformance/test_openai_sdk*.py (and name them in @pytest.mark.sdk_drives), "
        "or add them to EXCLUDED with the reason"
    )
    both = sorted(driven & set(EXCLUDED))
    assert not both, f"excluded but driven (remove from EXCLUDED): {both}"
    assert all(reason.strip() for reason in EXCLUDED.values())
    assert set(EXCLUDED) <= operations


@pytest.mark.parametrize("family", sorted({row.family for row in ENDPOINTS}))
def test_the_sdk_drives_every_family(family: str) -> None:
    driven = set(sdk_driven_operations())
    rows = [row.operation_id for row in ENDPOINTS if row.family == family]
    assert any(operation in driven for operation in rows), f"no SDK test drives the {family} family"
