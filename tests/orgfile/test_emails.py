"""Look-alike emails: refused in the file (hidden characters, mixed scripts, two addresses
with one UTS #39 skeleton) and against the organization's members at plan time."""

from __future__ import annotations

import pytest

from airflow_provider_openai_projects.client import OpenAIAdminClient
from airflow_provider_openai_projects.orgfile import engine
from airflow_provider_openai_projects.orgfile.emails import check_live_emails, file_emails
from airflow_provider_openai_projects.orgfile.errors import OrgFileError
from airflow_provider_openai_projects.orgfile.loader import load_text
from airflow_provider_openai_projects.orgfile.reader import LiveReader

from .conftest import Org

CYRILLIC_A = "\u0430"
#: "ace" written in Cyrillic letters only: one script, so not "mixed", but the skeleton of "ace".
CYRILLIC_ACE = "\u0430\u0441\u0435"


def test_an_email_with_a_cyrillic_letter_is_refused_before_any_request(client: OpenAIAdminClient, org: Org) -> None:
    """``owner@ex\u0430mple.com`` was invited, looking identical to the real address."""
    text = f"organization:\n  members:\n    owner@ex{CYRILLIC_A}mple.com: owner\n"
    with pytest.raises(OrgFileError) as raised:
        engine.apply(client, load_text(text, "org.yaml"))
    assert str(raised.value).startswith(
        f"org.yaml: organization.members['owner@ex{CYRILLIC_A}mple.com']: email mixes scripts"
    )
    assert org.emulator.log.entries() == []


@pytest.mark.parametrize(
    ("text", "path", "other"),
    [
        (
            f"organization:\n  members:\n    ace@example.com: owner\n    {CYRILLIC_ACE}@example.com: reader\n",
            f"organization.members['{CYRILLIC_ACE}@example.com']",
            "'ace@example.com' at organization.members['ace@example.com']",
        ),
        (
            "projects:\n  p:\n    members:\n      ada@example.com: owner\n"
            "organization:\n  spend_alerts: [{threshold_amount: 5, recipients: [ada+alerts@example.com]}]\n",
            "projects.p.members['ada@example.com']",
            "'ada+alerts@example.com' at organization.spend_alerts[0].recipients[0]",
        ),
        (
            "groups:\n  eng: {members: [bob@example.com, bob@example.com.]}\n",
            "groups.eng.members[1]",
            "'bob@example.com' at groups.eng.members[0]",
        ),
    ],
    ids=["whole-script-cyrillic", "plus-tag", "trailing-dot"],
)
def test_two_emails_of_the_file_that_look_alike_are_refused(text: str, path: str, other: str) -> None:
    with pytest.raises(OrgFileError) as raised:
        load_text(text, "org.yaml")
    assert str(raised.value).startswith(f"org.yaml: {path}: looks like {other}"), str(raised.value)


def test_one_person_written_in_two_cases_is_not_a_look_alike() -> None:
    spec = load_text(
        "organization:\n  members:\n    Ada@Example.com: owner\n"
        "projects:\n  p:\n    members:\n      ada@example.com: owner\n",
        "org.yaml",
    )
    assert spec.organization_members == {"ada@example.com": "owner"}


def test_every_email_of_the_file_is_found_with_its_path() -> None:
    document = load_text(
        "organization:\n  members: {a@x.io: owner}\n"
        "  spend_alerts: [{threshold_amount: 1, recipients: [b@x.io]}]\n"
        "projects:\n  p:\n    members: {c@x.io: member}\n"
        "    spend_alerts: [{threshold_amount: 1, recipients: [d@x.io]}]\n"
        "groups:\n  g: {members: [e@x.io]}\n",
        "org.yaml",
    ).document
    assert [email for email, _ in file_emails(document)] == ["a@x.io", "b@x.io", "c@x.io", "d@x.io", "e@x.io"]


def test_an_email_that_looks_like_a_member_is_refused_at_plan_time_with_the_people_read(
    client: OpenAIAdminClient, org: Org
) -> None:
    """The check the engine runs once it has read the people: no extra read, no write."""
    org.emulator.state.add_user("ace@example.com", "Ace", "reader")
    org.emulator.log.clear()
    spec = load_text(f"projects:\n  team-search:\n    members:\n      {CYRILLIC_ACE}@example.com: member\n", "org.yaml")
    reader = LiveReader(client)

    with pytest.raises(OrgFileError) as raised:
        check_live_emails(spec.document, spec.source, [str(u.get("email")) for u in reader.users()])

    assert str(raised.value).startswith(
        f"org.yaml: projects['team-search'].members['{CYRILLIC_ACE}@example.com']: "
        "looks like the organization member 'ace@example.com'"
    )
    assert [e.method for e in org.emulator.log.entries()] == ["GET"]


def test_a_member_named_exactly_passes_even_beside_a_look_alike_member() -> None:
    document = {"organization": {"members": {"ada@example.com": "owner"}}}
    check_live_emails(document, "org.yaml", ["Ada@Example.com", "ada+old@example.com"])
    with pytest.raises(OrgFileError, match=r"looks like the organization member 'ada@example\.com'"):
        check_live_emails(
            {"organization": {"members": {"ada+new@example.com": "owner"}}}, "org.yaml", ["ada@example.com"]
        )


def test_a_plan_refuses_an_email_that_looks_like_a_member_before_any_write(client: OpenAIAdminClient, org: Org) -> None:
    org.emulator.state.add_user("ace@example.com", "Ace", "reader")
    org.emulator.log.clear()
    text = f"organization:\n  members:\n    {CYRILLIC_ACE}@example.com: owner\n"
    with pytest.raises(OrgFileError, match="looks like the organization member 'ace@example"):
        engine.apply(client, load_text(text, "org.yaml"))
    assert org.emulator.log.writes() == []
