"""The roster's tests: a small organization with teams, and rosters written as files or tables.

The organization (made directly in the emulator's state, nothing in the log):

- projects ``team-search``, ``team-ads``, ``shared-tools`` (granted by the teams), and
  ``legacy`` (no team grants it), group ``search-eng``;
- ``mgr`` (search manager): owner of ``team-search``, in ``search-eng``;
- ``ada`` (search): member of ``team-search``, in ``search-eng``;
- ``bob`` (ads, moving to search): member of ``team-ads`` and ``shared-tools``;
- ``lee`` (leaving, manager ``mgr``): member of ``team-search``, only owner of ``legacy``,
  with a personal key there;
- ``sam`` (a contractor the roster does not list): member of ``team-search``.
"""

from __future__ import annotations

import csv
import json
import os
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from airflow_provider_openai_projects.client import OpenAIAdminClient
from airflow_provider_openai_projects.emulator.server import EmulatorServer
from airflow_provider_openai_projects.orgfile import engine
from airflow_provider_openai_projects.orgfile.errors import OrgFileError
from tests.orgfile.conftest import spec

HEADER = ("work_email", "employment_status", "team_name", "manager_email")
ROWS: list[tuple[str, str, str, str]] = [
    ("mgr@example.com", "Active", "search", ""),
    ("ada@example.com", "active", "search", "mgr@example.com"),
    ("bob@example.com", "active", "search", "mgr@example.com"),
    ("jo@example.com", "active", "search", "mgr@example.com"),
    ("lee@example.com", "terminated", "search", "mgr@example.com"),
    ("ola@example.com", "on leave", "ads", "mgr@example.com"),
]
"""The roster of the main story: jo joins, bob moves from ads to search, lee leaves."""


def people_section(source: dict[str, Any], **overrides: Any) -> dict[str, Any]:
    section: dict[str, Any] = {
        "source": source,
        "columns": {
            "email": "work_email",
            "status": "employment_status",
            "team": "team_name",
            "manager": "manager_email",
        },
        "active": ["active"],
        "leaver": ["terminated", "leaver"],
        "teams": {
            "search": {"projects": {"team-search": "member"}, "groups": ["search-eng"]},
            "ads": {"projects": {"team-ads": "member", "shared-tools": "member"}},
        },
        "organization_role": "reader",
        "leavers": {"successor": "manager", "remove_from_organization": True},
        "max_leavers": 5,
    }
    section.update(overrides)
    return section


def document(source: dict[str, Any], **overrides: Any) -> dict[str, Any]:
    return {"version": 1, "people": people_section(source, **overrides)}


def write_csv(path: Path, rows: list[tuple[str, ...]], header: tuple[str, ...] = HEADER) -> str:
    with path.open("w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        writer.writerow(header)
        writer.writerows(rows)
    return path.as_uri()


def write_jsonl(path: Path, rows: list[tuple[str, ...]], header: tuple[str, ...] = HEADER) -> str:
    path.write_text("".join(json.dumps(dict(zip(header, row, strict=True))) + "\n" for row in rows), encoding="utf-8")
    return path.as_uri()


@dataclass
class Team:
    emulator: EmulatorServer
    search: str
    ads: str
    shared: str
    legacy: str
    group: str
    mgr: str
    ada: str
    bob: str
    lee: str
    sam: str
    lee_key: str


def seed(emulator: EmulatorServer) -> Team:
    state = emulator.state
    search = state.create_project("team-search")["id"]
    ads = state.create_project("team-ads")["id"]
    shared = state.create_project("shared-tools")["id"]
    legacy = state.create_project("legacy")["id"]
    group = state.create_group("search-eng")["id"]
    ids = {
        name: state.add_user(f"{name}@example.com", name.title(), "reader")["id"]
        for name in ("mgr", "ada", "bob", "lee", "sam")
    }
    state.add_project_user(search, "owner", user_id=ids["mgr"])
    state.add_project_user(search, "member", user_id=ids["ada"])
    state.add_project_user(search, "member", user_id=ids["lee"])
    state.add_project_user(search, "member", user_id=ids["sam"])
    state.add_project_user(ads, "member", user_id=ids["bob"])
    state.add_project_user(shared, "member", user_id=ids["bob"])
    state.add_project_user(legacy, "owner", user_id=ids["lee"])
    state.add_group_user(group, ids["mgr"])
    state.add_group_user(group, ids["ada"])
    key = state.create_user_api_key(legacy, ids["lee"])["id"]
    emulator.log.clear()
    return Team(
        emulator, search, ads, shared, legacy, group, ids["mgr"], ids["ada"], ids["bob"], ids["lee"], ids["sam"], key
    )


@pytest.fixture
def team(emulator: EmulatorServer) -> Team:
    return seed(emulator)


@pytest.fixture
def sqlite_connection(tmp_path: Path) -> Iterator[str]:
    """A ``sqlite`` connection ``hr_warehouse`` (the SQLite provider's ``DbApiHook``) to a
    database with a ``people`` table holding :data:`ROWS`."""

    database = tmp_path / "hr.db"
    with sqlite3.connect(database) as db:
        db.execute("create table people (work_email text, employment_status text, team_name text, manager_email text)")
        db.executemany("insert into people values (?, ?, ?, ?)", ROWS)
    os.environ["AIRFLOW_CONN_HR_WAREHOUSE"] = json.dumps({"conn_type": "sqlite", "host": str(database)})
    try:
        yield "hr_warehouse"
    finally:
        del os.environ["AIRFLOW_CONN_HR_WAREHOUSE"]


def refused(client: OpenAIAdminClient, team: Team, the_document: dict[str, Any]) -> str:
    """The plan's and the apply's one error (the same), after which nothing was written."""
    with pytest.raises(OrgFileError) as planned:
        engine.plan(client, spec(the_document))
    with pytest.raises(OrgFileError) as applied:
        engine.apply(client, spec(the_document))
    assert str(applied.value) == str(planned.value)
    assert team.emulator.log.writes() == []
    return str(planned.value)
