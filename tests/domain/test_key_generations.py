"""The naming and selection rules of key rotation (pure: no server, no Airflow)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from airflow_provider_openai_projects.client.errors import InvalidInputError
from airflow_provider_openai_projects.domain.key_generations import (
    default_secret_variable,
    generation_account_name,
    generation_from_run,
    generation_of,
    generations,
    pending_entry_name,
    plan_revoke,
    redacted,
    require_entry_name,
    require_generation,
    require_logical_name,
    slug,
)


def test_a_generation_is_the_run_time_in_utc_and_a_hash_of_the_run_id_stable_across_retries() -> None:
    when = datetime(2026, 11, 26, 9, 0, tzinfo=timezone(timedelta(hours=1)))
    first = generation_from_run(when, "scheduled__2026-11-26T08:00:00+00:00")
    assert first.startswith("20261126T080000Z-")
    assert len(first.split("-")[1]) == 6
    assert generation_from_run(when, "scheduled__2026-11-26T08:00:00+00:00") == first
    assert generation_from_run(when, "manual__other") != first
    assert generation_from_run(datetime(2026, 11, 26, 8, 0), "x").startswith("20261126T080000Z-")  # naive = UTC


def test_an_account_belongs_to_exactly_one_logical_name() -> None:
    assert generation_account_name("team", "20260101T000000Z-abcdef") == "team--20260101T000000Z-abcdef"
    assert generation_of("team--20260101T000000Z-abcdef", "team") == "20260101T000000Z-abcdef"
    assert generation_of("team--x--20260101T000000Z-abcdef", "team") is None
    assert generation_of("teamX--20260101T000000Z-abcdef", "team") is None
    assert generation_of("team--", "team") is None
    assert generation_of("team---x", "team") is None
    assert generation_of("team", "team") is None
    accounts = [{"name": "team--a"}, {"name": "team"}, {"name": "other--a"}, {"name": "team--b"}]
    assert generations(accounts, "team") == [{"name": "team--a"}, {"name": "team--b"}]


@pytest.mark.parametrize("bad", ["", "a--b", "ends-with-", 7, "x" * 200])
def test_logical_names_with_a_generation_separator_or_a_trailing_dash_are_refused(bad: object) -> None:
    with pytest.raises(InvalidInputError, match="service_account_name"):
        require_logical_name("service_account_name", bad)


def test_generation_tokens_and_entry_names_are_checked_naming_the_field() -> None:
    assert require_generation("generation", " initial ") == "initial"
    for bad in ("", "-x", "a--b", "a b", "x" * 65, None):
        with pytest.raises(InvalidInputError, match="generation"):
            require_generation("generation", bad)
    assert require_entry_name("secret_variable", "openai_team_api_key") == "openai_team_api_key"
    for bad in ("", "has space", "x" * 244, 3):
        with pytest.raises(InvalidInputError, match="secret_variable"):
            require_entry_name("secret_variable", bad)


@pytest.mark.parametrize("bad", ["../x", "a/../b", "./x", "a//b", "a/", "/a", "..", ".", "a/./b", "team/.."])
def test_an_entry_name_with_an_empty_dot_or_dot_dot_segment_is_refused_naming_the_field(bad: str) -> None:
    with pytest.raises(InvalidInputError, match=r"invalid secret_variable: .*segment.*got '") as error:
        require_entry_name("secret_variable", bad)
    assert f"got '{bad}'" in str(error.value)


def test_an_entry_name_refused_for_its_characters_is_shown_escaped() -> None:
    with pytest.raises(InvalidInputError, match="rotation_entries") as error:
        require_entry_name("rotation_entries", "../openai_\x1b[2J\u202ekey")
    assert "\x1b" not in str(error.value)
    assert "\u202e" not in str(error.value)
    assert "\\x1b[2J\\u202e" in str(error.value)


@pytest.mark.parametrize(
    "name",
    [
        "openai_team_api_key",
        "team/search",
        "vault/team_api_key",
        "svc.v1",
        "a/svc.v1/b",
        "..x",
        "x..",
        "a/.b/c",
        "ns:a-b",
    ],
)
def test_entry_names_valid_before_and_without_such_a_segment_stay_valid(name: str) -> None:
    assert require_entry_name("secret_variable", f" {name} ") == name


def test_default_entry_names_are_masked_by_airflow_and_the_pending_one_too() -> None:
    assert slug("Team Search!") == "team_search"
    assert slug("日本").startswith("sa_")
    assert default_secret_variable("Team Search") == "openai_team_search_api_key"
    assert pending_entry_name("openai_team_api_key") == "openai_team_api_key_pending"
    assert "api_key" in pending_entry_name(default_secret_variable("x"))


def test_redacted_shows_only_a_prefix_and_the_last_four_characters() -> None:
    key = "sk-svcacct-" + "a" * 40 + "wxyz"
    assert redacted(key) == "sk-svcac...wxyz"
    assert redacted("sk-short") == "****"


def test_revoke_keeps_the_previously_current_generation_first_then_the_newest_and_never_a_protected_one() -> None:
    now = int(datetime(2026, 1, 1, tzinfo=UTC).timestamp())
    accounts = [
        {"id": "current", "name": "t--4", "created_at": now + 4},
        {"id": "previous", "name": "t--1", "created_at": now + 1},
        {"id": "leftover", "name": "t--3", "created_at": now + 3},
        {"id": "old", "name": "t--2", "created_at": now + 2},
    ]
    plan = plan_revoke(accounts, protect=["current"], keep_previous=1, prefer=["previous"])
    assert plan.keep == ["previous"]
    assert plan.delete == ["leftover", "old"]
    newest = plan_revoke(accounts, protect=["current", None], keep_previous=2)
    assert newest.keep == ["leftover", "old"]
    assert newest.delete == ["previous"]
    assert plan_revoke(accounts, protect=["current"], keep_previous=0).keep == []
