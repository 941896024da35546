"""InviteUserOperator against the emulator."""

from __future__ import annotations

import json
from typing import Any

import pytest
from airflow.sdk.exceptions import AirflowFailException

from airflow_provider_openai_projects.emulator.faults import FaultRule
from airflow_provider_openai_projects.emulator.server import EmulatorServer
from airflow_provider_openai_projects.operators.invites import InviteUserOperator

from .conftest import make_context

INVITES = "/organization/invites"
CREATE_ROUTE = "POST /organization/invites"
LIST_INVITES_ROUTE = "GET /organization/invites"
LIST_USERS_ROUTE = "GET /organization/users"
WEEK = 7 * 24 * 3600


def invites_for(emulator: EmulatorServer, email: str) -> list[tuple[str, str]]:
    """``(invite id, status)`` of every invite for ``email`` in the emulator's state."""
    now = emulator.state.now()
    return [(i.id, i.status(now)) for i in emulator.state.invites if i.email.lower() == email.lower()]


def test_invite_user_invites_once_then_finds_the_pending_invite(admin_conn: EmulatorServer, context: Any) -> None:
    project_id = admin_conn.state.create_project("Search")["id"]
    admin_conn.log.clear()

    result = InviteUserOperator(
        task_id="invite", email="new.hire@example.com", projects=[{"id": project_id, "role": "owner"}]
    ).execute(context)

    assert result["status"] == "invited"
    assert result["email"] == "new.hire@example.com"
    assert result["user"] is None
    invite = result["invite"]
    assert invite["role"] == "reader"
    assert invite["projects"] == [{"id": project_id, "role": "owner"}]
    assert invites_for(admin_conn, "new.hire@example.com") == [(invite["id"], "pending")]
    assert [e.route for e in admin_conn.log.entries()] == [LIST_USERS_ROUTE, LIST_INVITES_ROUTE, CREATE_ROUTE]
    assert admin_conn.log.writes()[0].body == {
        "email": "new.hire@example.com",
        "role": "reader",
        "projects": [{"id": project_id, "role": "owner"}],
    }
    json.dumps(result)

    admin_conn.log.clear()
    again = InviteUserOperator(
        task_id="invite", email="new.hire@example.com", projects=[{"id": project_id, "role": "owner"}]
    ).execute(make_context())
    assert again["status"] == "pending"
    assert again["invite"]["id"] == invite["id"]
    assert admin_conn.log.writes() == []
    assert len(invites_for(admin_conn, "new.hire@example.com")) == 1


def test_invite_user_who_is_already_a_member_returns_the_member_with_one_read(
    admin_conn: EmulatorServer, context: Any
) -> None:
    member = admin_conn.add_org_user("Member@Example.com", role="owner")
    admin_conn.log.clear()
    result = InviteUserOperator(task_id="invite", email="member@example.com").execute(context)
    assert result == {"status": "member", "invite": None, "user": member, "email": "member@example.com"}
    assert [e.route for e in admin_conn.log.entries()] == [LIST_USERS_ROUTE]
    assert invites_for(admin_conn, "member@example.com") == []


def test_invite_user_after_the_invite_was_accepted_reports_the_member(admin_conn: EmulatorServer, context: Any) -> None:
    invite = InviteUserOperator(task_id="invite", email="joiner@example.com").execute(context)["invite"]
    user = admin_conn.accept_invite(invite["id"])
    admin_conn.log.clear()
    result = InviteUserOperator(task_id="invite", email="joiner@example.com").execute(make_context())
    assert result["status"] == "member"
    assert result["user"]["id"] == user["id"]
    assert admin_conn.log.writes() == []


def test_invite_user_compares_emails_case_insensitively(admin_conn: EmulatorServer, context: Any) -> None:
    first = InviteUserOperator(task_id="invite", email="Pat.Doe@Example.com").execute(context)
    admin_conn.log.clear()
    second = InviteUserOperator(task_id="invite", email="pat.doe@example.COM").execute(make_context())
    assert second["status"] == "pending"
    assert second["invite"]["id"] == first["invite"]["id"]
    assert admin_conn.log.writes() == []


def test_invite_user_does_not_count_an_expired_invite(admin_conn: EmulatorServer, context: Any) -> None:
    old = InviteUserOperator(task_id="invite", email="late@example.com").execute(context)["invite"]
    admin_conn.state.advance_clock(WEEK + 60)
    admin_conn.log.clear()
    result = InviteUserOperator(task_id="invite", email="late@example.com").execute(make_context())
    assert result["status"] == "invited"
    assert result["invite"]["id"] != old["id"]
    assert sorted(invites_for(admin_conn, "late@example.com")) == sorted(
        [(old["id"], "expired"), (result["invite"]["id"], "pending")]
    )
    assert admin_conn.log.count(route=CREATE_ROUTE) == 1


def test_invite_user_keeps_a_pending_invite_with_other_settings_and_warns(
    admin_conn: EmulatorServer, context: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    first = InviteUserOperator(task_id="invite", email="boss@example.com", role="reader", projects=[]).execute(context)
    admin_conn.log.clear()
    capsys.readouterr()
    result = InviteUserOperator(task_id="invite", email="boss@example.com", role="owner").execute(make_context())
    assert result["status"] == "pending"
    assert result["invite"]["id"] == first["invite"]["id"]
    assert result["invite"]["role"] == "reader"
    assert admin_conn.log.writes() == []
    assert "differs from what was asked: role 'reader' instead of 'owner'" in capsys.readouterr().out


def test_invite_user_with_no_projects_sends_an_empty_list(admin_conn: EmulatorServer, context: Any) -> None:
    result = InviteUserOperator(task_id="invite", email="solo@example.com", role="owner", projects=[]).execute(context)
    assert result["invite"]["projects"] == []
    assert result["invite"]["role"] == "owner"
    assert admin_conn.log.writes()[0].body == {"email": "solo@example.com", "role": "owner", "projects": []}


@pytest.mark.parametrize(
    "fault",
    [
        FaultRule(method="POST", path=INVITES, status=500, when="after"),
        FaultRule(method="POST", path=INVITES, status=502, when="after"),
        FaultRule(method="POST", path=INVITES, drop=True, when="after"),
    ],
    ids=["500-after", "502-after", "drop-after"],
)
def test_invite_user_reconciles_a_lost_response_instead_of_inviting_twice(
    admin_conn: EmulatorServer, context: Any, fault: FaultRule
) -> None:
    admin_conn.faults.add(fault)
    result = InviteUserOperator(task_id="invite", email="lost@example.com").execute(context)
    assert result["status"] == "invited"
    assert invites_for(admin_conn, "lost@example.com") == [(result["invite"]["id"], "pending")]
    assert admin_conn.log.count(route=CREATE_ROUTE) == 1

    admin_conn.log.clear()
    assert InviteUserOperator(task_id="invite", email="lost@example.com").execute(make_context())["status"] == "pending"
    assert admin_conn.log.writes() == []


def test_invite_user_retries_an_invite_that_failed_before_applying(admin_conn: EmulatorServer, context: Any) -> None:
    admin_conn.faults.add(FaultRule(method="POST", path=INVITES, status=503, when="before"))
    result = InviteUserOperator(task_id="invite", email="retry@example.com").execute(context)
    assert result["status"] == "invited"
    assert len(invites_for(admin_conn, "retry@example.com")) == 1
    assert admin_conn.log.count(route=CREATE_ROUTE) == 2


def test_invite_user_into_an_unknown_project_fails_clearly_and_invites_nobody(
    admin_conn: EmulatorServer, context: Any
) -> None:
    with pytest.raises(AirflowFailException, match="proj_doesnotexist"):
        InviteUserOperator(
            task_id="invite", email="x@example.com", projects=[{"id": "proj_doesnotexist", "role": "member"}]
        ).execute(context)
    assert invites_for(admin_conn, "x@example.com") == []


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"email": ""}, "email"),
        ({"email": "no-at-sign"}, "email"),
        ({"email": "two@@example.com"}, "email"),
        ({"email": "spaces in@example.com"}, "email"),
        ({"email": "a@example.com", "role": "member"}, "role"),
        ({"email": "a@example.com", "role": "admin"}, "role"),
        ({"email": "a@example.com", "projects": "proj_1"}, "projects"),
        ({"email": "a@example.com", "projects": {"id": "proj_1", "role": "member"}}, "projects"),
        ({"email": "a@example.com", "projects": ["proj_1"]}, r"projects\[0\]"),
        ({"email": "a@example.com", "projects": [{"role": "member"}]}, r"projects\[0\]\.id"),
        ({"email": "a@example.com", "projects": [{"id": "", "role": "member"}]}, r"projects\[0\]\.id"),
        ({"email": "a@example.com", "projects": [{"id": "proj_1"}]}, r"projects\[0\]\.role"),
        ({"email": "a@example.com", "projects": [{"id": "proj_1", "role": "admin"}]}, r"projects\[0\]\.role"),
        (
            {"email": "a@example.com", "projects": [{"id": "proj_1", "role": "member", "extra": 1}]},
            r"projects\[0\]",
        ),
        (
            {
                "email": "a@example.com",
                "projects": [{"id": "proj_1", "role": "member"}, {"id": "proj_1", "role": "owner"}],
            },
            r"projects\[1\]\.id",
        ),
    ],
)
def test_invite_user_rejects_bad_input_before_any_request(
    admin_conn: EmulatorServer, context: Any, kwargs: dict[str, Any], field: str
) -> None:
    with pytest.raises(AirflowFailException, match=f"invalid {field}"):
        InviteUserOperator(task_id="invite", **kwargs).execute(context)
    assert admin_conn.log.entries() == []


def test_template_fields_cover_every_input() -> None:
    assert set(InviteUserOperator.template_fields) >= {"user_email", "role", "projects"}
