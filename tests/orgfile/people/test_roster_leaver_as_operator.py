"""A leaver of the roster is offboarded exactly as ``OffboardUserOperator`` offboards them:
the same writes, in the same order, to the same end state (both run the steps of
``domain/offboarding.py``; this proves the roster feeds them the same plan)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from airflow_provider_openai_projects.client import OpenAIAdminClient
from airflow_provider_openai_projects.emulator.server import EmulatorServer
from airflow_provider_openai_projects.operators.offboarding import OffboardUserOperator
from airflow_provider_openai_projects.orgfile import engine
from tests.operators.conftest import make_context
from tests.orgfile.conftest import spec

from .conftest import Team, document, seed, write_csv


def seeded(emulator: EmulatorServer) -> Team:
    """The roster's organization, with lee also in the group ``search-eng``."""
    emulator.reset()
    team = seed(emulator)
    emulator.state.add_group_user(team.group, team.lee)
    emulator.log.clear()
    return team


def outcome(emulator: EmulatorServer, team: Team) -> dict[str, Any]:
    """The writes (route templates, in order) and where lee and mgr are afterwards, by name."""
    state = emulator.state
    names = {p.id: p.name for p in state.projects}
    return {
        "writes": [e.route for e in emulator.log.writes()],
        "lee_in_org": any(u.id == team.lee for u in state.users),
        "lee_projects": sorted(names[p.id] for p in state.projects for m in p.users if m.user_id == team.lee),
        "lee_in_group": team.lee in {m["id"] for m in state.list_group_users(team.group)["data"]},
        "legacy_owners": sorted(m.user_id == team.mgr for p in state.projects if p.id == team.legacy for m in p.users),
    }


@pytest.mark.parametrize("remove_from_organization", [True, False], ids=["leave-organization", "stay-in-organization"])
def test_a_roster_leaver_gets_the_operators_writes_and_end_state(
    client: OpenAIAdminClient,
    emulator: EmulatorServer,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    remove_from_organization: bool,
) -> None:
    conn = {"conn_type": "openai_admin", "host": emulator.base_url, "password": emulator.admin_key}
    monkeypatch.setenv("AIRFLOW_CONN_OPENAI_ADMIN_DEFAULT", json.dumps(conn))
    team = seeded(emulator)
    OffboardUserOperator(
        task_id="offboard",
        email="lee@example.com",
        successor_owner="mgr@example.com",
        remove_from_organization=remove_from_organization,
    ).execute(make_context())
    by_operator = outcome(emulator, team)

    team = seeded(emulator)
    rows = [
        ("mgr@example.com", "active", "search", ""),
        ("lee@example.com", "terminated", "search", "mgr@example.com"),
    ]
    leavers = {"successor": "manager", "remove_from_organization": remove_from_organization}
    engine.apply(client, spec(document({"uri": write_csv(tmp_path / "people.csv", rows)}, leavers=leavers)))
    by_roster = outcome(emulator, team)

    assert by_roster == by_operator
    assert by_roster["legacy_owners"] == [True]  # mgr took over, lee is gone from it
    assert by_roster["lee_in_org"] is not remove_from_organization
    assert by_roster["lee_in_group"] is False
    assert by_roster["lee_projects"] == []
