"""A leaver of the roster whom the file's members lists name: the people section would offboard
them and the members list add them back, each run undoing the last. One plan error naming the
file, the member entry and the leaver's row, before any write; anyone else listed is fine."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from airflow_provider_openai_projects.client import OpenAIAdminClient
from airflow_provider_openai_projects.orgfile import engine
from tests.orgfile.conftest import spec

from .conftest import ROWS, Team, document, refused, write_csv

LEAVER_PROBLEM = (
    "is a leaver in roster {uri} (row 6): the people section offboards them and this entry adds them back, so each "
    "run would undo the last; remove the entry (or correct the roster)"
)


@pytest.mark.parametrize(
    ("section", "path"),
    [
        (
            {"projects": {"team-a": {"members": {"mgr@example.com": "owner", "Lee@Example.com": "member"}}}},
            "projects['team-a'].members['Lee@Example.com']",
        ),
        (
            {"organization": {"members": {"ada@example.com": "reader", "LEE@example.com": "reader"}}},
            "organization.members['LEE@example.com']",
        ),
    ],
    ids=["projects members", "organization members"],
)
def test_a_leaver_listed_in_a_members_list_is_refused_from_plan_and_apply_before_any_write(
    client: OpenAIAdminClient, team: Team, tmp_path: Path, section: dict[str, Any], path: str
) -> None:
    uri = write_csv(tmp_path / "p.csv", ROWS)
    the_document = {**document({"uri": uri}), **section}
    email = path.rsplit("'", 2)[-2]
    assert refused(client, team, the_document) == f"org.yaml: {path}: {email} " + LEAVER_PROBLEM.format(uri=uri)


def test_a_leaver_listed_in_a_groups_members_is_refused_from_plan_and_apply_before_any_write(
    client: OpenAIAdminClient, team: Team, tmp_path: Path
) -> None:
    """A group the teams do not manage (its members are the file's): the entry is named by its index."""
    uri = write_csv(tmp_path / "p.csv", ROWS)
    the_document = {
        **document({"uri": uri}),
        "groups": {"ops": {"members": ["ada@example.com", "lee@EXAMPLE.com"]}},
    }
    assert refused(client, team, the_document) == (
        "org.yaml: groups.ops.members[1]: lee@EXAMPLE.com " + LEAVER_PROBLEM.format(uri=uri)
    )


def test_a_leaver_no_members_list_names_is_offboarded_as_before(
    client: OpenAIAdminClient, team: Team, tmp_path: Path
) -> None:
    the_document = document({"uri": write_csv(tmp_path / "p.csv", ROWS)})
    the_document["projects"] = {"team-a": {"members": {"mgr@example.com": "owner"}}}
    the_document["organization"] = {"members": {"mgr@example.com": "reader"}}

    the_plan = engine.plan(client, spec(the_document))

    leavers = [c for c in the_plan.changes if c.target.get("kind") == "leaver"]
    assert [(c.action, c.what, c.target["row"]) for c in leavers] == [("remove", "lee@example.com", 6)]
    assert team.emulator.log.writes() == []


def test_an_active_person_listed_in_both_sections_is_planned_without_error(
    client: OpenAIAdminClient, team: Team, tmp_path: Path
) -> None:
    """ada (active in the roster) is also in organization.members and a project's members."""
    the_document = document({"uri": write_csv(tmp_path / "p.csv", ROWS)})
    the_document["projects"] = {"team-a": {"members": {"mgr@example.com": "owner", "ada@example.com": "member"}}}
    the_document["organization"] = {"members": {"ada@example.com": "reader"}}

    the_plan = engine.plan(client, spec(the_document))

    assert ("add", "team-a", "ada@example.com") in [(c.action, c.where, c.what) for c in the_plan.changes]
    assert any(c.target.get("kind") == "leaver" and c.what == "lee@example.com" for c in the_plan.changes)
    assert team.emulator.log.writes() == []
