"""Helpers of the fidelity suite: statement lookups and parameters named after spec locations."""

from __future__ import annotations

from typing import Any

import pytest

from airflow_provider_openai_projects.emulator.server import EmulatorServer
from tests.emulator.fidelity.statements import STATEMENTS, Statement


def statement(key: str) -> Statement:
    return next(s for s in STATEMENTS if s.key == key)


def endpoints(key: str) -> list[Any]:
    """``pytest.param(method path, id=location)`` for each location of statement ``key``."""
    return [pytest.param(loc.split("#")[0], id=loc) for loc in statement(key).locations]


def owner_id(emulator: EmulatorServer) -> str:
    return emulator.state._owners()[0].id
