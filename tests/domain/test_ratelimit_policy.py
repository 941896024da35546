"""The rate-limit planner, without a server: parsing, precedence, diff, report."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from airflow_provider_openai_projects.client.errors import InvalidInputError
from airflow_provider_openai_projects.domain.ratelimit_policy import (
    SyncPlan,
    parse_flag,
    parse_name_pattern,
    parse_policy,
    parse_project_ids,
    plan_project,
    select_projects,
    specificity,
)

RPM = "max_requests_per_1_minute"
TPM = "max_tokens_per_1_minute"
IMAGES = "max_images_per_1_minute"


def limit(model: str, rpm: int = 5000, tpm: int = 450_000, **extra: int) -> dict[str, Any]:
    return {"object": "project.rate_limit", "id": f"rl-{model}", "model": model, RPM: rpm, TPM: tpm, **extra}


def wanted(policy: dict[str, Any], model: str) -> dict[str, int]:
    return {name: value for name, (value, _) in parse_policy(policy).desired(model).items()}


# -- precedence ------------------------------------------------------------------------------


def test_an_exact_name_wins_over_every_glob_whatever_the_order() -> None:
    policy = {"gpt-4o*": {RPM: 1}, "gpt-4o": {RPM: 2}, "*": {RPM: 3}}
    assert wanted(policy, "gpt-4o") == {RPM: 2}


def test_among_globs_the_one_with_more_literal_characters_wins() -> None:
    policy = {"gpt-*": {RPM: 1}, "gpt-4o-*": {RPM: 2}, "*": {RPM: 3}}
    assert wanted(policy, "gpt-4o-mini") == {RPM: 2}
    assert wanted(policy, "gpt-4.1") == {RPM: 1}
    assert wanted(policy, "o3") == {RPM: 3}


def test_equally_specific_globs_are_decided_by_declaration_order() -> None:
    assert wanted({"gpt-4?": {RPM: 1}, "gpt-4*": {RPM: 2}}, "gpt-4o") == {RPM: 1}
    assert wanted({"gpt-4*": {RPM: 2}, "gpt-4?": {RPM: 1}}, "gpt-4o") == {RPM: 2}


def test_each_field_comes_from_the_most_specific_key_that_sets_it() -> None:
    policy = {"*": {RPM: 100, TPM: 1000}, "gpt-4o*": {TPM: 2000}, "gpt-4o": {RPM: 300}}
    assert wanted(policy, "gpt-4o") == {RPM: 300, TPM: 2000}
    assert wanted(policy, "gpt-4o-mini") == {RPM: 100, TPM: 2000}
    assert wanted(policy, "o3") == {RPM: 100, TPM: 1000}


def test_desired_reports_which_key_each_value_comes_from() -> None:
    policy = parse_policy({"*": {RPM: 100, TPM: 1000}, "gpt-4o": {RPM: 300}})
    assert policy.desired("gpt-4o") == {RPM: (300, "gpt-4o"), TPM: (1000, "*")}


@pytest.mark.parametrize(
    ("key", "literal_characters"),
    [("gpt-4o", 6), ("gpt-4o*", 6), ("gpt-*", 4), ("*", 0), ("o?-mini", 6), ("gpt-4.1-[mn]*", 8)],
)
def test_specificity_counts_literal_characters_only(key: str, literal_characters: int) -> None:
    assert specificity(key) == literal_characters


def test_matching_is_case_sensitive_and_supports_sets_and_single_characters() -> None:
    policy = {"GPT-4o": {RPM: 1}, "gpt-4.1-[mn]*": {RPM: 2}, "o?-mini": {RPM: 3}}
    assert wanted(policy, "gpt-4o") == {}
    assert wanted(policy, "gpt-4.1-mini") == {RPM: 2}
    assert wanted(policy, "gpt-4.1-nano") == {RPM: 2}
    assert wanted(policy, "gpt-4.1") == {}
    assert wanted(policy, "o4-mini") == {RPM: 3}


# -- the diff --------------------------------------------------------------------------------


def test_plan_contains_only_the_fields_that_differ() -> None:
    policy = parse_policy({"gpt-4o": {RPM: 500, TPM: 450_000}})
    plan = plan_project(policy, "proj_a", "A", [limit("gpt-4o", rpm=5000, tpm=450_000)])
    assert [c.fields for c in plan.changes] == [{RPM: (5000, 500)}]
    assert plan.changes[0].updates() == {RPM: 500}
    assert plan.changes[0].rate_limit_id == "rl-gpt-4o"
    assert plan.unchanged == 0
    assert plan.limits_checked == 1


def test_limits_that_already_match_are_unchanged_and_untouched_models_are_not_checked() -> None:
    policy = parse_policy({"gpt-4o": {RPM: 5000}})
    plan = plan_project(policy, "proj_a", "A", [limit("gpt-4o"), limit("o3"), limit("gpt-5")])
    assert plan.changes == []
    assert (plan.limits_checked, plan.unchanged) == (1, 1)
    assert plan.models == ["gpt-4o", "o3", "gpt-5"]


def test_fields_a_limit_does_not_carry_are_skipped_not_planned() -> None:
    policy = parse_policy({"*": {IMAGES: 10, RPM: 500}})
    plan = plan_project(policy, "proj_a", "A", [limit("gpt-4o"), limit("dall-e-3", rpm=500, **{IMAGES: 7})])
    assert [(c.model, c.updates()) for c in plan.changes] == [("gpt-4o", {RPM: 500}), ("dall-e-3", {IMAGES: 10})]
    assert plan.skipped_fields == {"gpt-4o": [IMAGES]}


def test_a_limit_whose_only_fields_are_skipped_is_unchanged() -> None:
    policy = parse_policy({"gpt-4o": {IMAGES: 10}})
    plan = plan_project(policy, "proj_a", "A", [limit("gpt-4o")])
    assert plan.changes == []
    assert plan.unchanged == 1
    assert plan.skipped_fields == {"gpt-4o": [IMAGES]}


def test_change_describes_itself_on_one_line() -> None:
    policy = parse_policy({"gpt-4o": {RPM: 500, TPM: 1000}})
    [change] = plan_project(policy, "proj_a", "Search", [limit("gpt-4o", rpm=10000)]).changes
    assert change.describe() == (
        "project Search (proj_a) gpt-4o: max_requests_per_1_minute 10000 -> 500, max_tokens_per_1_minute 450000 -> 1000"
    )
    [unnamed] = plan_project(policy, "proj_a", None, [limit("gpt-4o", rpm=10000)]).changes
    assert unnamed.describe().startswith("project proj_a gpt-4o: ")


# -- unknown models, report -----------------------------------------------------------------


def test_unknown_models_are_exact_names_no_project_has_and_globs_that_match_nothing() -> None:
    plan = SyncPlan(parse_policy({"gpt-4o": {RPM: 1}, "gpt-9": {RPM: 1}, "claude-*": {RPM: 1}, "o*": {RPM: 1}}))
    plan.add_project("proj_a", "A", [limit("gpt-4o")])
    plan.add_project("proj_b", "B", [limit("o3")])
    assert plan.find_unknown_models() == ["gpt-9", "claude-*"]


def test_a_model_present_in_only_one_project_is_not_unknown() -> None:
    plan = SyncPlan(parse_policy({"o3": {RPM: 1}}))
    plan.add_project("proj_a", "A", [limit("gpt-4o")])
    plan.add_project("proj_b", "B", [limit("o3")])
    assert plan.find_unknown_models() == []


def test_nothing_is_called_unknown_when_no_project_could_be_read() -> None:
    plan = SyncPlan(parse_policy({"gpt-4o": {RPM: 1}}))
    plan.add_failed_project("proj_gone", None, "404")
    assert plan.find_unknown_models() == []


def test_report_is_json_able_and_counts_add_up() -> None:
    plan = SyncPlan(parse_policy({"gpt-4o": {RPM: 500}, "o3": {RPM: 5000}}))
    plan.add_project("proj_a", "A", [limit("gpt-4o"), limit("o3")])
    plan.add_project("proj_b", "B", [limit("gpt-4o"), limit("o3")])
    plan.add_failed_project("proj_gone", None, "GET ... -> 404 not found")
    first, second = plan.changes()
    first.status = "updated"
    second.status, second.error = "failed", "POST ... -> 500"
    report = json.loads(json.dumps(plan.report()))
    assert report["counts"] == {
        "projects": 3,
        "limits_checked": 4,
        "unchanged": 2,
        "updated": 1,
        "failed": 2,
        "failed_projects": 1,
    }
    assert report["projects"]["proj_a"]["changes"] == [
        {
            "model": "gpt-4o",
            "rate_limit_id": "rl-gpt-4o",
            "fields": {RPM: {"from": 5000, "to": 500}},
            "status": "updated",
        }
    ]
    assert report["projects"]["proj_b"]["changes"][0]["error"] == "POST ... -> 500"
    assert report["projects"]["proj_gone"] == {
        "name": None,
        "changes": [],
        "skipped_fields": {},
        "error": "GET ... -> 404 not found",
    }
    assert report["dry_run"] is False
    assert plan.failed
    assert not plan.retry_may_help


def test_dry_run_report_counts_planned_changes() -> None:
    plan = SyncPlan(parse_policy({"gpt-4o": {RPM: 500}}), dry_run=True)
    plan.add_project("proj_a", "A", [limit("gpt-4o")])
    counts = plan.report()["counts"]
    assert counts["planned"] == 1
    assert "updated" not in counts
    assert plan.summary().startswith("Rate-limit sync (dry run): 1 projects")
    assert not plan.failed


def test_a_transient_failure_means_a_retry_may_help() -> None:
    plan = SyncPlan(parse_policy({"gpt-4o": {RPM: 500}}))
    plan.add_failed_project("proj_a", None, "503", transient=True)
    assert plan.retry_may_help


def test_failure_message_lists_failures_but_stays_bounded() -> None:
    plan = SyncPlan(parse_policy({"gpt-4o": {RPM: 500}}))
    for i in range(25):
        plan.add_failed_project(f"proj_{i:02d}", None, "404 not found")
    message = plan.failure_message()
    assert message.splitlines()[0] == plan.summary()
    assert "- project proj_00: 404 not found" in message
    assert "proj_24" not in message
    assert "... and 5 more" in message


# -- parsing and validation ------------------------------------------------------------------


def test_a_json_string_and_a_rendered_python_literal_are_accepted() -> None:
    as_dict = {"gpt-4o*": {RPM: 500}, "o3": {TPM: 0}}
    assert parse_policy(json.dumps(as_dict)) == parse_policy(as_dict)
    assert parse_policy(str(as_dict)) == parse_policy(as_dict)


def test_declaration_order_survives_json() -> None:
    policy = parse_policy('{"gpt-4*": {"max_requests_per_1_minute": 2}, "gpt-4?": {"max_requests_per_1_minute": 1}}')
    assert policy.desired("gpt-4o")[RPM] == (2, "gpt-4*")


@pytest.mark.parametrize(
    ("value", "field"),
    [
        pytest.param({}, "rate_limits", id="empty mapping"),
        pytest.param("", "rate_limits", id="empty string"),
        pytest.param(None, "rate_limits", id="none"),
        pytest.param([{"gpt-4o": {RPM: 1}}], "rate_limits", id="list"),
        pytest.param({"gpt-4o": {RPM: -1}}, f"rate_limits['gpt-4o'].{RPM}", id="negative"),
        pytest.param({"gpt-4o": {RPM: 1.5}}, f"rate_limits['gpt-4o'].{RPM}", id="float"),
        pytest.param({"gpt-4o": {RPM: 500.0}}, f"rate_limits['gpt-4o'].{RPM}", id="integral float"),
        pytest.param({"gpt-4o": {RPM: True}}, f"rate_limits['gpt-4o'].{RPM}", id="bool"),
        pytest.param({"gpt-4o": {RPM: "500"}}, f"rate_limits['gpt-4o'].{RPM}", id="string value"),
        pytest.param({"gpt-4o": {RPM: None}}, f"rate_limits['gpt-4o'].{RPM}", id="null value"),
        pytest.param({"gpt-4o": {"max_bananas": 1}}, "rate_limits['gpt-4o'].max_bananas", id="unknown field"),
        pytest.param({"gpt-4o": {1: 1}}, "rate_limits['gpt-4o'][1]", id="non-string field"),
        pytest.param({"gpt-4o": {}}, "rate_limits['gpt-4o']", id="empty fields"),
        pytest.param({"gpt-4o": 500}, "rate_limits['gpt-4o']", id="fields not a mapping"),
        pytest.param({1: {RPM: 1}}, "rate_limits[1]", id="non-string key"),
        pytest.param({"": {RPM: 1}}, "rate_limits['']", id="empty key"),
        pytest.param({"gpt 4o": {RPM: 1}}, "rate_limits['gpt 4o']", id="key with a space"),
        pytest.param('{"gpt-4o": {"max_requests_per_1_minute": 500', "rate_limits", id="malformed json"),
        pytest.param('{"gpt-4o": {"max_requests_per_1_minute": -5}}', f"rate_limits['gpt-4o'].{RPM}", id="json neg"),
        pytest.param('{"gpt-4o": {"max_requests_per_1_minute": 5e2}}', f"rate_limits['gpt-4o'].{RPM}", id="json exp"),
        pytest.param('["gpt-4o"]', "rate_limits", id="json list"),
        pytest.param('{"a": {"max_tokens_per_1_minute": 1}, "a": {"max_tokens_per_1_minute": 2}}', "rate_limits['a']",
                     id="json repeated key"),
        pytest.param("None", "rate_limits", id="rendered none"),
    ],
)  # fmt: skip
def test_bad_policies_are_refused_naming_the_field(value: object, field: str) -> None:
    with pytest.raises(InvalidInputError, match=f"^invalid {re.escape(field)}: ") as raised:
        parse_policy(value)
    assert raised.value.field == field


def test_malformed_json_error_says_where() -> None:
    with pytest.raises(InvalidInputError, match=r"is not valid JSON: .* line 1 column"):
        parse_policy('{"gpt-4o": {"max_requests_per_1_minute": 500')


def test_project_ids_accept_a_list_or_its_json_and_drop_duplicates() -> None:
    assert parse_project_ids(None) is None
    assert parse_project_ids(["proj_b", "proj_a", "proj_b"]) == ["proj_b", "proj_a"]
    assert parse_project_ids('["proj_a"]') == ["proj_a"]
    assert parse_project_ids("['proj_a']") == ["proj_a"]


@pytest.mark.parametrize(
    ("value", "field"),
    [
        ([], "project_ids"),
        ("", "project_ids"),
        ("None", "project_ids"),
        ("proj_a", "project_ids"),
        ({"proj_a": 1}, "project_ids"),
        (["proj_a", ""], "project_ids[1]"),
        (["proj a"], "project_ids[0]"),
        ([3], "project_ids[0]"),
    ],
)
def test_bad_project_ids_are_refused_naming_the_field(value: object, field: str) -> None:
    with pytest.raises(InvalidInputError, match=f"^invalid {re.escape(field)}: "):
        parse_project_ids(value)


def test_name_pattern_and_flags() -> None:
    assert parse_name_pattern(None) is None
    assert parse_name_pattern("team-*") == "team-*"
    with pytest.raises(InvalidInputError, match=r"^invalid project_name_pattern: "):
        parse_name_pattern("  ")
    assert parse_flag("dry_run", True) is True
    assert parse_flag("dry_run", " False ") is False
    assert parse_flag("dry_run", "true") is True
    with pytest.raises(InvalidInputError, match=r"^invalid dry_run: "):
        parse_flag("dry_run", "yes")
    with pytest.raises(InvalidInputError, match=r"^invalid dry_run: "):
        parse_flag("dry_run", 1)


def test_select_projects_filters_names_with_a_case_sensitive_glob() -> None:
    projects = [
        {"id": "proj_1", "name": "team-search"},
        {"id": "proj_2", "name": "Team-ads"},
        {"id": "proj_3", "name": None},
        {"id": "proj_4", "name": "team-ads"},
    ]
    assert select_projects(projects, "team-*") == [("proj_1", "team-search"), ("proj_4", "team-ads")]
    assert [pid for pid, _ in select_projects(projects, None)] == ["proj_1", "proj_2", "proj_3", "proj_4"]
