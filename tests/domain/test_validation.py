"""Input checks: each returns the clean value or raises one InvalidInputError naming the field."""

from __future__ import annotations

import pytest

from airflow_provider_openai_projects.client.errors import InvalidInputError
from airflow_provider_openai_projects.domain.validation import (
    PROJECT_ROLES,
    require_bool,
    require_choice,
    require_email,
    require_id,
    require_name,
    require_non_negative_int,
    require_one_of,
)


def test_names_are_stripped_single_line_and_bounded() -> None:
    assert require_name("name", "  Search  ") == "Search"
    for bad, problem in (("", "non-empty"), ("  ", "non-empty"), (None, "non-empty"), ("a\nb", "single line")):
        with pytest.raises(InvalidInputError, match=problem) as raised:
            require_name("name", bad)
        assert raised.value.field == "name"
    with pytest.raises(InvalidInputError, match="at most 3 characters"):
        require_name("name", "abcd", max_length=3)


def test_ids_have_no_whitespace_and_emails_are_plausible() -> None:
    assert require_id("project_id", " proj_1 ") == "proj_1"
    for bad in ("", "proj 1", 12):
        with pytest.raises(InvalidInputError, match="project_id"):
            require_id("project_id", bad)
    assert require_email("email", " Ada@Example.com ") == "Ada@Example.com"
    for bad in ("ada", "ada@example", "a b@example.com", None, "a@" + "x" * 320 + ".com"):
        with pytest.raises(InvalidInputError, match="email"):
            require_email("email", bad)


def test_choices_and_exactly_one_of_several_fields() -> None:
    assert require_choice("role", "owner", PROJECT_ROLES) == "owner"
    with pytest.raises(InvalidInputError, match="must be one of owner, member; got 'admin'"):
        require_choice("role", "admin", PROJECT_ROLES)
    assert require_one_of({"user_id": None, "email": "a@b.co"}) == ("email", "a@b.co")
    for given in ({"user_id": None, "email": ""}, {"user_id": "u", "email": "a@b.co"}):
        with pytest.raises(InvalidInputError, match="give exactly one of user_id or email") as raised:
            require_one_of(given)
        assert raised.value.field == "user_id/email"


def test_non_negative_ints_refuse_booleans_and_booleans_refuse_everything_else() -> None:
    assert require_non_negative_int("keep_previous", 0) == 0
    for bad in (-1, True, "1", 1.0):
        with pytest.raises(InvalidInputError, match="keep_previous"):
            require_non_negative_int("keep_previous", bad)
    assert require_bool("dry_run", False) is False
    for bad in ("true", 1, None):
        with pytest.raises(InvalidInputError, match=r"dry_run.*must be True or False"):
            require_bool("dry_run", bad)
