"""Emails that look like a member's are told apart from the member's (UTS #39 skeletons)."""

from __future__ import annotations

import pytest

from airflow_provider_openai_projects.domain.emails import email_problem, near_matches, normalized, skeleton

MEMBER = "owner@example.com"


@pytest.mark.parametrize(
    "lookalike",
    [
        "owner@ex\u0430mple.com",  # Cyrillic a
        "owner@ex\u0251mple.com",  # Latin alpha: one script, so no mixed-script refusal catches it
        "0wner@examp1e.com",  # digits for letters
        "\u043ewner@example.com",  # Cyrillic o
        "ow\u0578er@example.com",  # Armenian vo for n
        "Owner+old@example.com",
        "owner@example.com.",
        "owner\u200b@example.com",
    ],
)
def test_a_lookalike_has_the_members_skeleton(lookalike: str) -> None:
    assert skeleton(lookalike) == skeleton(MEMBER)
    assert near_matches(lookalike, [MEMBER, "someone@example.com"]) == [MEMBER]


def test_the_member_is_not_a_near_match_of_themselves() -> None:
    assert near_matches("OWNER@example.com", [MEMBER]) == []


@pytest.mark.parametrize(
    ("email", "reason"),
    [
        ("ada\x1b[8m@example.com", "invisible or control"),
        ("ada\u200b@example.com", "invisible or control"),
        ("ada @example.com", "invisible or control"),
        ("owner@ex\u0430mple.com", "mixes scripts"),
    ],
)
def test_email_problem_names_the_fault_and_never_echoes_it_raw(email: str, reason: str) -> None:
    problem = email_problem(email)
    assert problem is not None
    assert reason in problem
    assert "\x1b" not in problem
    assert "\u200b" not in problem


def test_a_plain_or_single_script_email_is_fine() -> None:
    assert email_problem("ada@example.com") is None
    assert email_problem("анна@пример.рф") is None
    assert normalized("Ada+x@Example.COM.") == "ada@example.com"


def test_a_different_address_has_another_skeleton() -> None:
    for other in ("owner@example.org", "owners@example.com", "own@example.com", "owner@exampie.com"):
        assert skeleton(other) != skeleton(MEMBER), other
    assert near_matches("owner@example.org", [MEMBER]) == []
