"""Issue 18 point 7: offboarding by an email that only looks like a member's fails before any
write, naming the near match; an email with a hidden character is refused outright.

The attack: ``OffboardUserOperator(email=...)`` with a Cyrillic ``\u0430``, a zero-width space,
``+old`` plus-addressing or a trailing dot reported success with ``found=False`` and zero
writes, while the real person kept access; ``require_email`` accepted U+200B.
"""

from __future__ import annotations

from typing import Any

import pytest
from airflow.sdk.exceptions import AirflowFailException

from airflow_provider_openai_projects.client.errors import InvalidInputError
from airflow_provider_openai_projects.domain.validation import require_email
from airflow_provider_openai_projects.emulator.server import EmulatorServer
from airflow_provider_openai_projects.operators.offboarding import OffboardUserOperator

from .conftest import make_context

MEMBER = "Ada.Lovelace@example.com"


def offboard(**kwargs: Any) -> dict[str, Any]:
    result: dict[str, Any] = OffboardUserOperator(task_id="offboard", **kwargs).execute(make_context())
    return result


@pytest.fixture
def member(admin_conn: EmulatorServer) -> str:
    user_id = str(admin_conn.add_org_user(MEMBER, "Ada")["id"])
    project_id = str(admin_conn.state.create_project("engines")["id"])
    admin_conn.state.add_project_user(project_id, "member", user_id=user_id)
    admin_conn.log.clear()
    return user_id


NEAR = f"but {MEMBER!r} looks like it or reaches the same mailbox"


@pytest.mark.parametrize(
    ("lookalike", "why", "before_any_request"),
    [
        ("ada.lovelace+old@example.com", NEAR, False),  # plus-addressing
        ("Ada.Lovelace@example.com.", NEAR, False),  # trailing dot
        ("ADA.LOVELACE+x@EXAMPLE.COM.", NEAR, False),  # both, in another case
        ("\u0430da.lovelace@example.com", "mixes scripts", True),  # a Cyrillic a: refused before any request
    ],
)
def test_a_lookalike_email_fails_before_any_write_naming_the_member_escaped(
    admin_conn: EmulatorServer, member: str, lookalike: str, why: str, before_any_request: bool
) -> None:
    with pytest.raises(AirflowFailException) as caught:
        offboard(email=lookalike)
    message = str(caught.value)
    assert "invalid email" in message
    assert why in message
    assert admin_conn.log.writes() == []
    if before_any_request:
        assert admin_conn.log.entries() == []


def test_a_whole_cyrillic_lookalike_fails_on_its_unicode_skeleton(admin_conn: EmulatorServer) -> None:
    admin_conn.add_org_user("ace@example.com", "Ace")
    admin_conn.log.clear()
    with pytest.raises(AirflowFailException, match=r"'ace@example\.com' looks like it") as caught:
        offboard(email="\u0430\u0441\u0435@example.com")  # Cyrillic a, es, ie: one script per part
    assert "'\\u0430\\u0441\\u0435@example.com'" in str(caught.value)  # the given email shown escaped
    assert admin_conn.log.writes() == []


@pytest.mark.parametrize(
    ("email", "shown"),
    [
        ("ada.lovelace\u200b@example.com", "\\u200b"),
        ("ada.lovelace@example.com\u202e", "\\u202e"),
        ("ada\x1b[8m@example.com", "\\x1b"),
        ("ada lovelace@example.com", "\\x20"),
    ],
)
def test_an_email_with_a_hidden_character_is_refused_before_any_request(
    admin_conn: EmulatorServer, email: str, shown: str
) -> None:
    with pytest.raises(AirflowFailException, match="invalid email") as caught:
        offboard(email=email)
    assert "\u200b" not in str(caught.value)
    assert "\x1b" not in str(caught.value)
    assert admin_conn.log.entries() == []
    with pytest.raises(InvalidInputError):
        require_email("email", email)


def test_an_exact_miss_is_still_success(admin_conn: EmulatorServer, member: str) -> None:
    report = offboard(email="someone.else@example.com")
    assert report["found"] is False
    assert admin_conn.log.writes() == []


def test_the_exact_member_in_another_case_is_offboarded(admin_conn: EmulatorServer, member: str) -> None:
    report = offboard(email=MEMBER.lower())
    assert report["found"] is True
    assert admin_conn.state.users.get(member) is None
