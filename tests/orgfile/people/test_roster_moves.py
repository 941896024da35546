"""What a mover keeps: a project they own alone, and a SCIM-managed group (the identity
provider's to change): both reported, neither written."""

from __future__ import annotations

from pathlib import Path

from airflow_provider_openai_projects.client import OpenAIAdminClient
from airflow_provider_openai_projects.orgfile import engine
from tests.orgfile.conftest import spec

from .conftest import ROWS, Team, document, people_section, write_csv


def test_a_mover_who_owns_an_old_teams_project_alone_stays_there_and_is_reported(
    client: OpenAIAdminClient, team: Team, tmp_path: Path
) -> None:
    team.emulator.state.update_project_user(team.shared, team.bob, "owner")
    team.emulator.log.clear()
    the_spec = spec(document({"uri": write_csv(tmp_path / "people.csv", ROWS[:4])}))

    the_plan = engine.plan(client, the_spec)

    assert [(c.action, c.where) for c in the_plan.changes if c.what == "bob@example.com"] == [
        ("add", "team-search"),
        ("add", "group search-eng"),
        ("remove", "team-ads"),
    ]
    assert (
        "people: row 4: bob@example.com left the team of project 'shared-tools' but is its only owner: kept there "
        "(make someone else owner)"
    ) in the_plan.warnings


def test_a_scim_managed_group_is_reported_for_the_identity_provider_not_changed(
    client: OpenAIAdminClient, team: Team, tmp_path: Path
) -> None:
    scim = team.emulator.state.add_scim_group("ads-eng", [team.bob])["id"]
    team.emulator.log.clear()
    section = people_section({"uri": write_csv(tmp_path / "people.csv", ROWS[:4])})
    section["teams"]["ads"]["groups"] = ["ads-eng"]
    the_spec = spec({"version": 1, "people": section})

    the_plan = engine.plan(client, the_spec)

    assert not [c for c in the_plan.changes if c.where == "group ads-eng"]
    assert (
        "people: row 4: group 'ads-eng' is SCIM-managed: bob@example.com must be removed from it in the identity "
        "provider"
    ) in the_plan.warnings
    engine.apply(client, the_spec)
    assert team.emulator.log.writes() != []  # the rest of the plan was applied
    assert not [e for e in team.emulator.log.writes() if scim in e.path]
