"""The roster sync's report, from a saved plan: joiners, movers, leavers, people to look at,
and whether the plan needs a person's approval; every email escaped."""

from __future__ import annotations

from pathlib import Path

from airflow_provider_openai_projects.client import OpenAIAdminClient
from airflow_provider_openai_projects.orgfile import engine
from airflow_provider_openai_projects.orgfile.people.report import roster_report
from tests.orgfile.conftest import spec

from .conftest import ROWS, Team, document, write_csv


def test_the_report_lists_joiners_movers_leavers_and_people_to_look_at(
    client: OpenAIAdminClient, team: Team, tmp_path: Path
) -> None:
    the_plan = engine.plan(client, spec(document({"uri": write_csv(tmp_path / "people.csv", ROWS)})))

    report = roster_report(the_plan.to_dict())

    assert report == {
        "joiners": {"jo@example.com": ["invited as reader (team-search: member)"]},
        "movers": {
            "bob@example.com": [
                "added to project team-search (member)",
                "added to group search-eng",
                "removed from project team-ads",
                "removed from project shared-tools",
            ]
        },
        "leavers": {"lee@example.com": ["offboarded (projects: legacy, team-search; handed over to mgr@example.com)"]},
        "look_at": [
            "row 7: status 'on leave' is neither active nor leaver: ola@example.com is left untouched",
            "1 member(s) of the teams' projects or groups are not in the roster (untouched; look at them): "
            "sam@example.com",
        ],
        "risky": True,
        "routine_only": False,
    }


def test_a_plan_of_additions_only_is_not_risky_and_names_are_escaped() -> None:
    plan = {
        "changes": [
            {
                "family": "people",
                "action": "invite",
                "where": "organization",
                "what": "jo\u202e@example.com",
                "after": {"role": "reader", "projects": {"team\x1b[2J": "member"}},
                "destructive": False,
                "target": {"kind": "joiner", "risk": "low"},
            }
        ],
        "warnings": ["people: row 3: status 'x\x1b[31m' is neither active nor leaver"],
        "pending": [],
    }
    report = roster_report(plan)
    assert (report["risky"], report["routine_only"]) == (False, True)
    assert report["joiners"] == {"jo\\u202e@example.com": ["invited as reader (team\\x1b[2J: member)"]}
    assert report["look_at"] == ["row 3: status 'x\\x1b[31m' is neither active nor leaver"]


def test_joiners_made_owners_are_not_routine_as_the_automatic_approval_decides(
    client: OpenAIAdminClient, team: Team, tmp_path: Path
) -> None:
    from airflow_provider_openai_projects.orgfile.people.report import is_routine

    rows = [row for row in ROWS if row[0] in ("mgr@example.com", "ada@example.com", "jo@example.com")]
    teams = {"search": {"projects": {"team-search": "owner"}}}
    the_plan = engine.plan(client, spec(document({"uri": write_csv(tmp_path / "people.csv", rows)}, teams=teams)))
    [invite] = the_plan.changes
    assert (invite.action, invite.target["kind"]) == ("invite", "joiner")

    report = roster_report(the_plan.to_dict())

    assert report["joiners"] == {"jo@example.com": ["invited as reader (team-search: owner)"]}
    assert (report["routine_only"], is_routine(the_plan)) == (False, False)
