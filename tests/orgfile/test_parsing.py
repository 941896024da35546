"""The org file's YAML: no anchors or aliases (no expansion bomb), bounded nesting, overlong
integers refused with their path, never a traceback; libyaml and the pure-Python loader alike."""

from __future__ import annotations

import time

import pytest

from airflow_provider_openai_projects.orgfile.errors import OrgFileError
from airflow_provider_openai_projects.orgfile.loader import load_text
from airflow_provider_openai_projects.orgfile.parsing import MAX_DEPTH, TooLargeInteger, excerpt, parse_yaml

#: The 445-byte "billion laughs" of issue 17 (it ran 35 s into a MemoryError).
BOMB = 'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n' + "".join(
    f"{chr(98 + i)}: &{chr(98 + i)} [{', '.join([f'*{chr(97 + i)}'] * 9)}]\n" for i in range(8)
)

LOADERS = pytest.mark.parametrize("fast", [True, False], ids=["libyaml", "python"])


@LOADERS
def test_an_alias_expansion_bomb_is_refused_at_once(fast: bool) -> None:
    started = time.monotonic()
    with pytest.raises(OrgFileError, match=r"line 1: \(YAML\): invalid YAML: anchors \(&name\) are not allowed"):
        parse_yaml(BOMB, "org.yaml", fast=fast)
    assert time.monotonic() - started < 1.0


@LOADERS
def test_an_alias_without_an_anchor_is_refused_too(fast: bool) -> None:
    with pytest.raises(
        OrgFileError, match=r"\(YAML\): invalid YAML: (aliases \(\*name\) are not allowed|found undefined alias)"
    ):
        parse_yaml("a: *x\n", "org.yaml", fast=fast)


@LOADERS
@pytest.mark.parametrize(
    "text",
    [
        "projects: " + "[" * 2000 + "]" * 2000,
        "a:\n" + "".join(" " * (i + 1) + "b:\n" for i in range(2000)),
        "projects: " + "{a: " * 2000 + "1" + "}" * 2000,
    ],
    ids=["flow-lists", "block-mappings", "flow-mappings"],
)
def test_deep_nesting_is_one_line_not_a_recursion_error(fast: bool, text: str) -> None:
    with pytest.raises(OrgFileError) as raised:
        parse_yaml(text, "org.yaml", fast=fast)
    message = str(raised.value)
    assert message.startswith("org.yaml, line ")
    assert "nest" in message  # ours, or libyaml's "exceeded maximum nesting depth"
    assert "\n" not in message


@LOADERS
def test_nesting_up_to_the_cap_parses(fast: bool) -> None:
    text = "[" * MAX_DEPTH + "]" * MAX_DEPTH
    assert parse_yaml(text, "org.yaml", fast=fast) is not None


@LOADERS
def test_an_integer_of_5000_digits_is_a_marker_not_a_value_error(fast: bool) -> None:
    document = parse_yaml("a: " + "9" * 5000 + "\nb: -1_000\nc: 0x10\n", "org.yaml", fast=fast)
    assert document == {"a": TooLargeInteger(5000), "b": -1000, "c": 16}


def test_a_5000_digit_integer_is_refused_with_its_path_and_no_traceback() -> None:
    text = "organization:\n  spend_limit: {threshold_amount: " + "9" * 5000 + "}\n"
    with pytest.raises(OrgFileError) as raised:
        load_text(text, "org.yaml")
    assert str(raised.value) == (
        "org.yaml: organization.spend_limit.threshold_amount: an integer of 5000 digits is too large "
        "(the largest integer allowed is 9223372036854775807)"
    )


@LOADERS
def test_a_repeated_key_is_refused_naming_it(fast: bool) -> None:
    with pytest.raises(OrgFileError, match=r"line 3: \(YAML\): invalid YAML: duplicate key 'a'"):
        parse_yaml("projects:\n  a: {}\n  a: {}\n", "org.yaml", fast=fast)


@LOADERS
def test_dates_stay_names(fast: bool) -> None:
    assert parse_yaml("projects: {2026-01-01: {}}\n", "org.yaml", fast=fast) == {"projects": {"2026-01-01": {}}}


def test_a_raw_control_character_is_a_yaml_error_of_one_line() -> None:
    with pytest.raises(OrgFileError) as raised:
        parse_yaml("projects:\n  a\x1b[2J: {}\n", "org.yaml")
    assert "\n" not in str(raised.value)
    assert "\x1b" not in str(raised.value)


def test_an_excerpt_is_short_and_escaped() -> None:
    assert excerpt("a" * 5000) == repr("a" * 40 + "…") + " (5000 characters)"
    assert excerpt("beta\x1b[31m") == repr("beta\\x1b[31m")
    assert excerpt(10**30) == "an integer of 100 bits"
    assert excerpt({"a": 1}) == "a mapping of 1 keys"
