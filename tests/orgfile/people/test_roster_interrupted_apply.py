"""A roster sync interrupted at each of its writes (lost response, failed write, dropped
connection), then run again, converges: every needed write applied once, no duplicate
invite or membership, the leaver gone and their project handed over, and a fresh plan empty."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from airflow_provider_openai_projects.client import OpenAIAdminClient
from airflow_provider_openai_projects.orgfile import engine
from airflow_provider_openai_projects.orgfile.engine import ApplyError
from tests.orgfile.conftest import spec
from tests.orgfile.test_interrupted_apply import FAULTS, arm_fault_at_write, duplicates

from .conftest import ROWS, Team, document, write_csv

METHODS = ["POST", "POST", "POST", "DELETE", "DELETE", "POST", "DELETE"]
"""The uninterrupted sync's writes (tests/orgfile/people/test_roster_sync.py lists them)."""


@pytest.mark.parametrize("k", range(len(METHODS)), ids=lambda k: f"write{k + 1}")
@pytest.mark.parametrize("fault", FAULTS.values(), ids=FAULTS.keys())
def test_a_roster_sync_interrupted_at_a_write_converges_on_rerun(
    client: OpenAIAdminClient, team: Team, tmp_path: Path, fault: dict[str, Any], k: int
) -> None:
    emulator = team.emulator
    the_spec = spec(document({"uri": write_csv(tmp_path / "people.csv", ROWS)}))
    arm_fault_at_write(emulator, METHODS, k, fault)

    done_before_stop = 0
    try:
        engine.apply(client, the_spec)
    except ApplyError as error:
        done_before_stop = len(error.result.done)
    assert done_before_stop <= k
    assert emulator.faults.stats()["injected"] >= 1
    emulator.faults.clear()
    engine.apply(client, the_spec)

    sent = emulator.log.writes()
    applied = [e for e in sent if e.applied]
    assert [e.method for e in applied] == METHODS
    assert len(sent) - len(applied) == (1 if fault["when"] == "before" else 0)
    assert all(kind == [] for kind in duplicates(emulator).values()), duplicates(emulator)
    state = emulator.state
    assert not any(u.email == "lee@example.com" for u in state.users)
    assert [(m.user_id, m.role) for p in state.projects if p.id == team.legacy for m in p.users] == [
        (team.mgr, "owner")
    ]
    emulator.log.clear()
    assert engine.plan(client, the_spec).in_sync
    assert emulator.log.writes() == []
