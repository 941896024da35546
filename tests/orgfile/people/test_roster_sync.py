"""A roster sync over the emulator: joiners, a mover, a leaver who owns a project, from a CSV
file, a JSON Lines file and a SQL table (SQLite through common.sql); each asserts the plan,
the request log and convergence (a re-run writes nothing)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from airflow_provider_openai_projects.client import OpenAIAdminClient
from airflow_provider_openai_projects.orgfile import engine
from tests.orgfile.conftest import spec, writes

from .conftest import ROWS, Team, document, write_csv, write_jsonl

EXPECTED_PLAN = [
    ("joiner", 'invite organization jo@example.com: role - -> reader, projects - -> {"team-search": "member"}'),
    ("mover", "add team-search bob@example.com: role - -> member"),
    ("mover", "add group search-eng bob@example.com: member - -> True"),
    ("mover", "remove team-ads bob@example.com: role member -> -"),
    ("mover", "remove shared-tools bob@example.com: role member -> -"),
    (
        "leaver",
        'remove organization lee@example.com: status terminated -> -, projects ["legacy", "team-search"] -> -, '
        'groups [] -> -, handed_over_to mgr@example.com -> -, handed_over ["legacy"] -> -',
    ),
]


OLA_ROW = {"csv": 7, "jsonl": 6, "sql": 6}
"""A file's row is its line (the CSV's header is line 1); a query's, its 1-based row."""


def planned(the_plan: Any) -> list[tuple[str, str]]:
    return [(c.target["kind"], c.describe().replace(" people ", " ", 1)) for c in the_plan.changes]


def source_of(kind: str, tmp_path: Path, request: pytest.FixtureRequest) -> dict[str, str]:
    if kind == "csv":
        return {"uri": write_csv(tmp_path / "people.csv", ROWS)}
    if kind == "jsonl":
        return {"uri": write_jsonl(tmp_path / "people.jsonl", ROWS)}
    conn_id = request.getfixturevalue("sqlite_connection")
    return {"conn_id": conn_id, "sql": "select * from people order by rowid"}


@pytest.mark.parametrize("kind", ["csv", "jsonl", "sql"])
def test_a_roster_invites_joiners_moves_movers_and_offboards_a_leaver_then_converges(
    client: OpenAIAdminClient, team: Team, tmp_path: Path, request: pytest.FixtureRequest, kind: str
) -> None:
    emulator = team.emulator
    the_spec = spec(document(source_of(kind, tmp_path, request)))

    the_plan = engine.plan(client, the_spec)

    assert planned(the_plan) == EXPECTED_PLAN
    assert [c.target["risk"] for c in the_plan.changes] == ["low", "low", "low", "medium", "medium", "high"]
    assert the_plan.changes[-1].target["objects"] == 4  # lee, two memberships, legacy handed over
    reported = the_plan.changes[-1].target["offboarding"]["api_keys"]
    assert [(k["id"], k["project_name"]) for k in reported] == [(team.lee_key, "legacy")]  # keys reported
    assert all("value" not in k and "last_used_at" not in k for k in reported)
    assert the_plan.destructive_count == 6  # objects: two removals of the mover (1 each), the leaver (4)
    assert the_plan.warnings == [
        f"people: row {OLA_ROW[kind]}: status 'on leave' is neither active nor leaver: "
        "ola@example.com is left untouched",
        "people: 1 member(s) of the teams' projects or groups are not in the roster (untouched; look at them): "
        "sam@example.com",
    ]
    assert emulator.log.writes() == []

    emulator.log.clear()
    result = engine.apply(client, the_spec)

    assert result.writes == 7
    assert writes(emulator) == [
        "POST /organization/invites",
        f"POST /organization/projects/{team.search}/users",
        f"POST /organization/groups/{team.group}/users",
        f"DELETE /organization/projects/{team.ads}/users/{team.bob}",
        f"DELETE /organization/projects/{team.shared}/users/{team.bob}",
        f"POST /organization/projects/{team.legacy}/users",  # the manager takes over legacy first
        f"DELETE /organization/users/{team.lee}",
    ]
    state = emulator.state
    assert not any(u.email == "lee@example.com" for u in state.users)
    legacy = next(p for p in state.projects if p.id == team.legacy)
    assert [(m.user_id, m.role) for m in legacy.users] == [(team.mgr, "owner")]
    invite = next(i for i in state.invites if i.email == "jo@example.com")
    assert invite.role == "reader"
    assert invite.projects == [{"id": team.search, "role": "member"}]
    assert any(m.user_id == team.sam for p in state.projects if p.id == team.search for m in p.users)  # untouched

    emulator.log.clear()
    again = engine.plan(client, the_spec)
    assert again.in_sync
    assert again.pending == [
        {"where": "organization", "what": "jo@example.com", "role": "reader", "status": "joiner: invite pending"}
    ]
    assert engine.apply(client, the_spec).writes == 0
    assert emulator.log.writes() == []

    # jo accepts: a later run finishes what the invite left pending (the team's group).
    emulator.accept_invite(invite.id)
    emulator.log.clear()
    finish = engine.plan(client, the_spec)
    assert planned(finish) == [("joiner", "add group search-eng jo@example.com: member - -> True")]
    engine.apply(client, the_spec)
    assert writes(emulator) == [f"POST /organization/groups/{team.group}/users"]
    emulator.log.clear()
    assert engine.plan(client, the_spec).in_sync
    assert emulator.log.writes() == []


def test_a_truncated_export_offboards_nobody_and_reports_who_is_missing(
    client: OpenAIAdminClient, team: Team, tmp_path: Path
) -> None:
    """The export stopped after two rows: lee's explicit leaver row is gone, so is bob's."""
    the_spec = spec(document({"uri": write_csv(tmp_path / "people.csv", ROWS[:2])}))

    the_plan = engine.plan(client, the_spec)

    assert the_plan.changes == []
    assert the_plan.warnings == [
        "people: 3 member(s) of the teams' projects or groups are not in the roster (untouched; look at them): "
        "bob@example.com, lee@example.com, sam@example.com"
    ]
    engine.apply(client, the_spec)
    assert team.emulator.log.writes() == []
    assert any(u.email == "lee@example.com" for u in team.emulator.state.users)


def test_a_leaver_with_only_a_pending_invite_has_the_invite_deleted(
    client: OpenAIAdminClient, team: Team, tmp_path: Path
) -> None:
    invite = team.emulator.state.create_invite("kim@example.com", "reader", [{"id": team.search, "role": "member"}])
    team.emulator.log.clear()
    rows = [*ROWS[:4], ("kim@example.com", "leaver", "", "mgr@example.com")]
    the_spec = spec(document({"uri": write_csv(tmp_path / "people.csv", rows)}))

    the_plan = engine.plan(client, the_spec)

    assert [(c.target["kind"], c.what) for c in the_plan.changes if c.target["kind"] == "leaver"] == [
        ("leaver", "kim@example.com")
    ]
    engine.apply(client, the_spec)
    assert f"DELETE /organization/invites/{invite['id']}" in writes(team.emulator)
    team.emulator.log.clear()
    assert not [c for c in engine.plan(client, the_spec).changes if c.target["kind"] == "leaver"]


def test_a_joiner_the_file_also_invites_gets_one_invite_with_every_role(
    client: OpenAIAdminClient, team: Team, tmp_path: Path
) -> None:
    the_document = document({"uri": write_csv(tmp_path / "people.csv", ROWS[:4])})
    the_document["organization"] = {"members": {"jo@example.com": "owner"}}
    the_spec = spec(the_document)

    invites = [c for c in engine.plan(client, the_spec).changes if c.action == "invite"]

    assert [(c.family, c.what, c.after) for c in invites] == [
        ("organization", "jo@example.com", {"role": "owner", "projects": {"team-search": "member"}})
    ]
    engine.apply(client, the_spec)
    assert [i.email for i in team.emulator.state.invites] == ["jo@example.com"]
    assert engine.plan(client, the_spec).in_sync
