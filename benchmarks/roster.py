"""A roster sync at scale: the calls of one ``people`` sync of 1,000 people with 20 changes,
against the minimum the Admin API allows (run once: ``python -m benchmarks.roster``).

The organization: ``T`` teams, each with one project ``team-NN`` and one group ``grp-NN``;
``N`` people, all organization members, each in their team's project and group. The roster
lists everyone: 10 joiners (not members yet), 5 movers (to the next team), 5 leavers
(members of one project and one group, owning nothing alone). The emulator's
``Default project`` is an active project too; everyone else unchanged.

The minimum (no endpoint lists a person's projects or groups, docs/design.md, fact 10):
the projects, the users and the invites once; each team project's users and each team
group's members once (who is where); for the leavers, as the offboarding operator reads:
every active project's users and every group's members (the same lists), each project's
groups (a leaver is in a group), each leaver's roles and, per project they reach, its API
keys; then one write per change: an invite per joiner, four per mover (add and remove,
project and group), one ``delete_user`` per leaver.
"""

from __future__ import annotations

import math
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

from airflow_provider_openai_projects.client import OpenAIAdminClient
from airflow_provider_openai_projects.emulator.server import EmulatorServer
from airflow_provider_openai_projects.orgfile import engine
from airflow_provider_openai_projects.orgfile.loader import load_document

JOINERS, MOVERS, LEAVERS = 10, 5, 5


def person(i: int) -> str:
    return f"person-{i:04d}@example.com"


def seed(emulator: EmulatorServer, people: int, teams: int) -> tuple[list[str], list[str]]:
    """Teams' projects and groups, and ``people`` members (none in the request log)."""
    state = emulator.state
    projects = [state.create_project(f"team-{t:02d}")["id"] for t in range(teams)]
    groups = [state.create_group(f"grp-{t:02d}")["id"] for t in range(teams)]
    for i in range(JOINERS, people):
        user = state.add_user(person(i), None, "reader")["id"]
        state.add_project_user(projects[i % teams], "member", user_id=user)
        state.add_group_user(groups[i % teams], user)
    emulator.log.clear()
    return projects, groups


def roster_csv(path: Path, people: int, teams: int) -> str:
    lines = ["email,status,team,manager"]
    for i in range(people):
        team = i % teams
        status = "active"
        if JOINERS <= i < JOINERS + MOVERS:
            team = (team + 1) % teams
        elif JOINERS + MOVERS <= i < JOINERS + MOVERS + LEAVERS:
            status = "leaver"
        lines.append(f"{person(i)},{status},t{team:02d},")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path.as_uri()


def minimum_calls(people: int, teams: int, page: int = 100, group_page: int = 1000) -> dict[str, int]:
    """The reads and writes of the minimum (module docstring)."""
    members_per_team = math.ceil((people - JOINERS) / teams)
    reads = (
        1  # projects
        + math.ceil((people - JOINERS + 1) / page)  # users (the organization owner too)
        + 1  # invites
        + teams * max(1, math.ceil(members_per_team / page))  # each team project's users
        + 1  # the Default project's users (a leaver's offboarding reads every active project)
        + 1  # groups
        + teams * max(1, math.ceil(members_per_team / group_page))  # each group's members
        + teams
        + 1  # each active project's groups (the leavers are in groups)
        + LEAVERS  # each leaver's roles
        + LEAVERS  # the API keys of the one project each leaver reaches
    )
    writes = JOINERS + 4 * MOVERS + LEAVERS
    return {"reads": reads, "writes": writes, "total": reads + writes}


def run(people: int = 1000, teams: int = 10) -> dict[str, Any]:
    """Plan and apply the roster once; the calls by kind beside the minimum."""
    from airflow.sdk import ObjectStoragePath  # noqa: F401 - imported once before the clock starts, as in a worker

    with EmulatorServer() as emulator, tempfile.TemporaryDirectory() as folder:
        seed(emulator, people, teams)
        document = {
            "version": 1,
            "settings": {"max_destructive_changes": 20},
            "people": {
                "source": {"uri": roster_csv(Path(folder) / "people.csv", people, teams)},
                "active": ["active"],
                "leaver": ["leaver"],
                "teams": {
                    f"t{t:02d}": {"projects": {f"team-{t:02d}": "member"}, "groups": [f"grp-{t:02d}"]}
                    for t in range(teams)
                },
                "max_leavers": LEAVERS,
            },
        }
        with OpenAIAdminClient(emulator.admin_key, base_url=emulator.base_url, max_retries=0) as client:
            started = time.monotonic()
            result = engine.apply(client, load_document(document, "roster.yaml"))
            seconds = time.monotonic() - started
            entries = emulator.log.entries()
            reads = sum(1 for e in entries if e.method == "GET")
            writes = len(emulator.log.writes())
            emulator.log.clear()
            rerun = engine.apply(client, load_document(document, "roster.yaml"))
            rerun_writes = len(emulator.log.writes())
        by_route = Counter(e.route for e in entries)
    return {
        "people": people,
        "teams": teams,
        "changes": len(result.plan.changes),
        "reads": reads,
        "writes": writes,
        "seconds": round(seconds, 2),
        "minimum": minimum_calls(people, teams),
        "rerun_writes": rerun_writes,
        "rerun_changes": len(rerun.plan.changes),
        "by_route": dict(by_route.most_common()),
    }


if __name__ == "__main__":
    figures = run(*(int(a) for a in sys.argv[1:3]))
    for key, value in figures.items():
        print(f"{key}: {value}")
