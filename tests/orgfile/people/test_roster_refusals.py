"""Every refusal of a roster is one error naming the row, the column and the one value at
fault (never another column of the row: a roster holds personal data), before any write."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from airflow_provider_openai_projects.client import OpenAIAdminClient
from airflow_provider_openai_projects.orgfile import engine
from airflow_provider_openai_projects.orgfile.errors import OrgFileError, PlanRefusedError
from tests.orgfile.conftest import spec

from .conftest import HEADER, ROWS, Team, document, refused, write_csv

#: Values of other columns that no error may echo.
PRIVATE = ("mgr@example.com", "terminated", "search")


def test_a_manager_who_is_also_leaving_is_a_plan_error_naming_the_leavers_row(
    client: OpenAIAdminClient, team: Team, tmp_path: Path
) -> None:
    """mgr leaves too (handing team-search over to ada): lee's projects have no successor."""
    rows = [
        r if r[0] != "mgr@example.com" else ("mgr@example.com", "leaver", "search", "ada@example.com") for r in ROWS
    ]
    message = refused(client, team, document({"uri": write_csv(tmp_path / "p.csv", rows)}))
    assert message.endswith(
        "row 6, column 'manager_email': lee@example.com owns projects alone, and their manager "
        "'mgr@example.com' (row 2) is also leaving: nothing can be handed over"
    )


def test_a_leaver_who_owns_projects_and_has_no_manager_row_is_a_plan_error(
    client: OpenAIAdminClient, team: Team, tmp_path: Path
) -> None:
    rows = [r for r in ROWS if r[0] != "mgr@example.com"]
    message = refused(client, team, document({"uri": write_csv(tmp_path / "p.csv", rows)}))
    assert "row 5, column 'manager_email'" in message
    assert "their manager 'mgr@example.com' has no row in the roster" in message


def test_more_leavers_than_max_leavers_refuses_the_whole_plan_before_any_write(
    client: OpenAIAdminClient, team: Team, tmp_path: Path
) -> None:
    """A bad export that marks everyone as left: nothing happens, joiners and movers included."""
    rows = [(email, "terminated", team_name, manager) for email, _, team_name, manager in ROWS]
    message = refused(client, team, document({"uri": write_csv(tmp_path / "p.csv", rows)}, max_leavers=2))
    assert message == (
        "org.yaml: people.max_leavers: the roster marks 4 members as leavers, more than max_leavers (2): the whole "
        "plan is refused and nothing was written (a bad export? raise max_leavers if it is right)"
    )


def csv_text(lines: list[str]) -> str:
    return "\n".join([",".join(HEADER), *lines]) + "\n"


CASES: dict[str, tuple[str, str]] = {
    "unknown team": (
        csv_text(["ada@example.com,active,serch,mgr@example.com"]),
        "row 2, column 'team_name': unknown team 'serch' (not under people.teams)",
    ),
    "duplicate email": (
        csv_text(
            ["ada@example.com,active,search,mgr@example.com", "ADA@example.com,terminated,search,mgr@example.com"]
        ),
        "row 3, column 'work_email': 'ada@example.com' is also at row 2 (emails ignore case)",
    ),
    "look-alike email": (
        csv_text(["ada@example.com,active,search,", "\u0430da@example.com,terminated,search,mgr@example.com"]),
        "row 3, column 'work_email': mixes scripts (a look-alike of another address?): '\u0430da@example.com'",
    ),
    "plus-addressed look-alike": (
        csv_text(["ada@example.com,active,search,", "ada+x@example.com,terminated,search,mgr@example.com"]),
        "row 3, column 'work_email': 'ada+x@example.com' looks like 'ada@example.com' at row 2",
    ),
    "invisible character": (
        csv_text(["ad\u200ba@example.com,terminated,search,mgr@example.com"]),
        "row 2, column 'work_email': contains invisible or control characters (\\u200b): 'ad\\\\u200ba@example.com'",
    ),
    "malformed row": (
        csv_text(["ada@example.com,active,search,mgr@example.com", "bob@example.com,terminated"]),
        "row 3: the row has 2 fields, the header 4 (a broken or cut line?)",
    ),
    "no email": (
        csv_text([",terminated,search,mgr@example.com"]),
        "row 2, column 'work_email': no value (an email is required)",
    ),
    "not an email": (
        csv_text(["lee at example.com,terminated,search,mgr@example.com"]),
        "row 2, column 'work_email': contains invisible or control characters",
    ),
    "missing column": (
        "work_email,employment_status,manager_email\nada@example.com,active,mgr@example.com\n",
        "row 1, column 'team_name': the column is missing (people.columns.team names it)",
    ),
    "empty roster": (
        ",".join(HEADER) + "\n",
        "(roster): the roster has no row: refused",
    ),
}


@pytest.mark.parametrize("case", CASES, ids=CASES.keys())
def test_a_bad_roster_is_one_error_naming_the_row_and_column_and_only_the_value_at_fault(
    client: OpenAIAdminClient, team: Team, tmp_path: Path, case: str
) -> None:
    text, expected = CASES[case]
    path = tmp_path / "people.csv"
    path.write_text(text, encoding="utf-8")
    message = refused(client, team, document({"uri": path.as_uri()}))
    assert message.startswith(f"roster {path.as_uri()}: ")
    assert expected in message
    for private in PRIVATE:
        assert private not in message


def test_an_unreadable_roster_is_one_error_naming_it(client: OpenAIAdminClient, team: Team, tmp_path: Path) -> None:
    missing = (tmp_path / "nowhere.csv").as_uri()
    assert (
        refused(client, team, document({"uri": missing}))
        == f"roster {missing}: (roster): cannot read the roster: no such file"
    )
    binary = tmp_path / "people.csv"
    binary.write_bytes(b"work_email,employment_status,team_name,manager_email\n\xff\xfe,active,,\n")
    assert refused(client, team, document({"uri": binary.as_uri()})).endswith("row 2: not UTF-8 text (byte 54)")


def test_a_json_lines_row_that_is_not_an_object_names_its_line(
    client: OpenAIAdminClient, team: Team, tmp_path: Path
) -> None:
    path = tmp_path / "people.jsonl"
    path.write_text(
        '{"work_email": "ada@example.com", "employment_status": "active", "team_name": "search", '
        '"manager_email": ""}\n{"work_\n',
        encoding="utf-8",
    )
    assert refused(client, team, document({"uri": path.as_uri()})).endswith(
        "row 2: not a JSON object (error at character 2)"
    )


def test_a_look_alike_of_an_organization_member_is_refused(
    client: OpenAIAdminClient, team: Team, tmp_path: Path
) -> None:
    rows = [("lee+hr@example.com", "terminated", "search", "mgr@example.com")]
    message = refused(client, team, document({"uri": write_csv(tmp_path / "p.csv", rows)}))
    assert (
        "row 2, column 'work_email': 'lee+hr@example.com' looks like organization member 'lee@example.com'" in message
    )


def test_a_team_that_grants_an_unknown_project_is_refused_naming_the_file_path(
    client: OpenAIAdminClient, team: Team, tmp_path: Path
) -> None:
    teams = {"search": {"projects": {"team-serch": "member"}}}
    the_document = document({"uri": write_csv(tmp_path / "p.csv", ROWS[:2])}, teams=teams)
    assert refused(client, team, the_document) == (
        "org.yaml: people.teams.search.projects['team-serch']: unknown project: no active project has this name"
    )


def test_a_project_whose_members_the_file_also_lists_is_refused_at_load(tmp_path: Path) -> None:
    the_document = document({"uri": write_csv(tmp_path / "p.csv", ROWS)})
    the_document["projects"] = {"team-search": {"members": {"mgr@example.com": "owner"}}}
    with pytest.raises(
        OrgFileError, match=r"people\.teams\.search\.projects\['team-search'\]: projects\['team-search'\]"
    ):
        spec(the_document)


def test_a_roster_uri_is_named_without_its_credentials_or_query() -> None:
    from airflow_provider_openai_projects.orgfile.people.config import shown_uri

    assert shown_uri("s3://key:secret@bucket/hr/people.csv?X-Amz-Signature=abc#x") == "s3://bucket/hr/people.csv"
    assert shown_uri("file:///data/hr/people.csv") == "file:///data/hr/people.csv"


@pytest.mark.parametrize(
    ("uri", "what"),
    [
        ("s3://key:Secr3t-pw@bucket/hr/people.csv", "a password"),
        ("https://hr.example.com/people.csv?X-Amz-Signature=Secr3t-pw", "a query"),
    ],
)
def test_a_roster_uri_with_credentials_is_refused_at_load_without_quoting_it(uri: str, what: str) -> None:
    the_document = document({"uri": uri})
    with pytest.raises(OrgFileError, match=rf"people\.source\.uri: the URI carries {what}") as refused:
        spec(the_document)
    assert "Secr3t-pw" not in str(refused.value)


def test_leavers_who_are_all_the_organizations_owners_are_refused_before_any_write(
    client: OpenAIAdminClient, team: Team, tmp_path: Path
) -> None:
    """Each leaver alone leaves an owner behind; together they leave none: the API would refuse
    the last removal after the first offboarding was done."""
    team.emulator.state.update_user(team.lee, "owner")  # owners: owner@example.com and lee
    team.emulator.log.clear()
    rows = [*ROWS, ("owner@example.com", "terminated", "search", "mgr@example.com")]
    the_document = document({"uri": write_csv(tmp_path / "p.csv", rows)})
    the_document["settings"] = {"max_destructive_changes": 100}  # refused whatever the cap
    expected = "removes every organization owner (lee@example.com, owner@example.com)"
    with pytest.raises(PlanRefusedError, match=re.escape(expected)):
        engine.plan(client, spec(the_document))
    with pytest.raises(PlanRefusedError, match=re.escape(expected)):
        engine.apply(client, spec(the_document))
    assert team.emulator.log.writes() == []


def test_leavers_who_are_all_the_owners_of_a_project_are_refused_naming_the_row(
    client: OpenAIAdminClient, team: Team, tmp_path: Path
) -> None:
    """lee and sam own legacy together: neither alone is its only owner, so no offboarding hands
    it over; together they would leave it with no owner (nothing refused it, nobody owned it)."""
    team.emulator.state.add_project_user(team.legacy, "owner", user_id=team.sam)
    team.emulator.log.clear()
    rows = [*ROWS, ("sam@example.com", "terminated", "search", "mgr@example.com")]
    message = refused(client, team, document({"uri": write_csv(tmp_path / "p.csv", rows)}))
    assert message.endswith(
        "row 8, column 'work_email': project 'legacy' would be left with no owner: its owners (lee@example.com, "
        "sam@example.com) all leave it in this plan and none hands it over; make someone else its owner first"
    )
