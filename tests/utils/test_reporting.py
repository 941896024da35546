"""The example DAGs' reports and readings (pure functions over the operators' results)."""

from __future__ import annotations

import logging
from collections.abc import Iterator, Sequence
from typing import Any

import pytest
from airflow.sdk.exceptions import AirflowFailException

from airflow_provider_openai_projects.utils import reporting
from airflow_provider_openai_projects.utils.reporting import ReportError

VARIABLE = "openai_key_rotation_entries"


class LazyResults(Sequence[Any]):
    """Like Airflow's lazy mapped results: reading past the end is an error to avoid."""

    def __init__(self, items: list[Any]) -> None:
        self.items = items

    def __len__(self) -> int:
        return len(self.items)

    def __getitem__(self, index: Any) -> Any:
        if isinstance(index, int) and index >= len(self.items):
            raise AssertionError("read past the end (Airflow logs 'XCom not found')")
        return self.items[index]

    def __iter__(self) -> Iterator[Any]:
        raise AssertionError("iterated (Airflow reads one item past the end)")


def test_mapped_results_are_read_by_index_up_to_their_length() -> None:
    assert reporting.mapped_results(LazyResults([1, 2])) == [1, 2]
    assert reporting.mapped_results(None) == []
    assert reporting.mapped_results(iter([3])) == [3]


def test_rotation_entries_come_from_the_parameter_else_the_variable_and_name_it_when_missing() -> None:
    given = [{"project_id": "p", "service_account_name": "a"}]
    assert reporting.rotation_entries(given, VARIABLE, None) == [
        {"project_id": "p", "service_account_name": "a", "secret_variable": None}
    ]
    assert (
        reporting.rotation_entries([], VARIABLE, '[{"project_id": "p", "service_account_name": "b"}]')[0][
            "service_account_name"
        ]
        == "b"
    )
    with pytest.raises(ReportError, match=f"Nothing to rotate: .*Variable '{VARIABLE}'"):
        reporting.rotation_entries([], VARIABLE, None)
    with pytest.raises(ReportError, match="not valid JSON"):
        reporting.rotation_entries(None, VARIABLE, "[{")
    with pytest.raises(ReportError, match=r"\[0\]: unknown key\(s\) \['pool'\]"):
        reporting.rotation_entries([{"project_id": "p", "service_account_name": "a", "pool": 1}], VARIABLE, None)
    assert issubclass(ReportError, AirflowFailException)  # fails the task once: no retries


def test_rotation_report_without_entries_fails_once_naming_the_variable() -> None:
    with pytest.raises(ReportError, match=f"Variable '{VARIABLE}'"):
        reporting.rotation_report(None, lambda task, index: None, variable=VARIABLE)


def test_rotation_report_tells_each_entry_and_fails_when_one_failed(caplog: pytest.LogCaptureFixture) -> None:
    entries = [{"project_id": "p1", "service_account_name": "a"}, {"project_id": "p2", "service_account_name": "b"}]
    rotated = {"generation": "g", "service_account_id": "sa", "redacted_value": "sk-...abcd", "secret_variable": "v"}
    results = {("rotate", 0): rotated, ("delete_previous_generations", 0): {"deleted": ["old"]}}
    caplog.set_level(logging.INFO)
    with pytest.raises(ReportError, match="1 of 2 rotation\\(s\\) failed: b in p2"):
        reporting.rotation_report(entries, lambda task, index: results.get((task, index)), variable=VARIABLE)
    assert "the new key was NOT seen in use" in caplog.text
    assert "'b' in p2: the rotation FAILED" in caplog.text

    results[("wait_until_new_key_used", 0)] = {"id": "key"}
    report = reporting.rotation_report(entries[:1], lambda task, index: results.get((task, index)), variable=VARIABLE)
    assert report["entries"][0] == {
        "project_id": "p1",
        "service_account_name": "a",
        "ok": True,
        "generation": "g",
        "service_account_id": "sa",
        "redacted_value": "sk-...abcd",
        "secret_variable": "v",
        "new_key_seen_in_use": True,
        "deleted": ["old"],
    }


def test_a_failed_entrys_project_id_is_logged_and_raised_escaped(caplog: pytest.LogCaptureFixture) -> None:
    """An entry from a run's parameter or the Variable whose id the rotation refused: the
    report's log line and its error show the id escaped, never an ESC or a bidi override."""
    entries = [{"project_id": "p\x1b[2J\u202e", "service_account_name": "b\u202e"}]
    caplog.set_level(logging.INFO)
    with pytest.raises(ReportError) as raised:
        reporting.rotation_report(entries, lambda task, index: None, variable=VARIABLE)
    assert str(raised.value) == "1 of 1 rotation(s) failed: b\\u202e in p\\x1b[2J\\u202e"
    assert "'b\\u202e' in p\\x1b[2J\\u202e: the rotation FAILED" in caplog.text
    assert "\x1b" not in caplog.text + str(raised.value)
    assert "\u202e" not in caplog.text + str(raised.value)


def test_onboarding_report_summarises_mapped_results_without_reading_past_them(
    caplog: pytest.LogCaptureFixture,
) -> None:
    projects = [{"id": "p1", "name": "team-search"}]
    members = LazyResults([{"project_id": "p1", "role": "owner", "changed": "added", "id": "u"}])
    accounts = LazyResults(
        [{"project_id": "p1", "service_account_id": "sa", "service_account_name": "bot--initial",
          "redacted_value": "sk-...abcd", "secret_variable": "v", "resumed": False}]
    )  # fmt: skip
    limits = LazyResults([{"counts": {"updated": 2, "unchanged": 1}}])
    caplog.set_level(logging.INFO)
    summary = reporting.onboarding_report(projects, {"email": "a@b.co", "status": "invited"}, members, accounts, limits)
    assert summary == {
        "email": "a@b.co",
        "invite_status": "invited",
        "projects": projects,
        "memberships": [{"project_id": "p1", "role": "owner", "changed": "added"}],
        "service_accounts": [
            {"project_id": "p1", "service_account_id": "sa", "service_account_name": "bot--initial",
             "redacted_value": "sk-...abcd"}
        ],
        "rate_limits_updated": 2,
        "groups": [],
    }  # fmt: skip
    assert "project 'team-search' (p1): added as owner" in caplog.text
    assert (
        reporting.onboarding_report([], {"email": "a@b.co", "status": "member"}, None, LazyResults([]), None)[
            "service_accounts"
        ]
        == []
    )


@pytest.mark.parametrize("entry", ["../openai_team_api_key", "team/../x", "./x", "a//b", "team/", "has space"])
def test_onboarding_refuses_a_service_account_entry_the_rotation_could_not_name_before_reading_it(entry: str) -> None:
    # No Variable back-end here: reading the entry would fail otherwise than with this error.
    account = {"project": "team-search", "name": "bot", "secret_variable": entry}
    with pytest.raises(ReportError, match=r"invalid service_account\.secret_variable: "):
        reporting.team_service_account([{"name": "team-search", "id": "proj_1"}], account)


def test_offboarding_report_counts_and_says_would_in_a_dry_run(caplog: pytest.LogCaptureFixture) -> None:
    result = {
        "user_id": "u",
        "email": "a@b.co",
        "found": True,
        "dry_run": True,
        "memberships": [{"project_id": "p", "project_name": "x", "role": "owner", "sole_owner": True}],
        "successor_owner": {"user_id": "s", "email": "s@b.co"},
        "successor_changes": [{"project_id": "p", "project_name": "x", "user_id": "s", "action": "added"}],
        "api_keys": [{"id": "k", "name": "n", "redacted_value": "sk-...abcd", "project_name": "x"}],
        "invites_deleted": [],
        "removed_from_projects": ["p"],
        "removed_from_organization": True,
    }
    caplog.set_level(logging.INFO)
    counts = reporting.offboarding_report(result)
    assert counts == {
        "user_id": "u",
        "email": "a@b.co",
        "dry_run": True,
        "memberships": 1,
        "successor_changes": 1,
        "api_keys_stopped": 1,
        "invites_deleted": 0,
        "removed_from_projects": 1,
        "removed_from_organization": True,
        "projects_through_groups": 0,
        "groups_left": 0,
        "roles_unassigned": 0,
        "projects_still_reachable": 0,
    }
    assert "successor s@b.co would be added as owner of 'x'" in caplog.text
    assert "would stop working" in caplog.text


def test_rate_limits_apply_only_outside_a_dry_run_and_when_something_differs() -> None:
    plan = {"counts": {"planned": 3}}
    assert reporting.should_apply(plan, dry_run=False) is True
    assert reporting.should_apply(plan, dry_run=True) is False
    assert reporting.should_apply({"counts": {}}, dry_run=False) is False


def test_a_policy_document_is_checked_for_shape_naming_its_source() -> None:
    document = {"rate_limits": {"gpt-4o": {"max_requests_per_1_minute": 5}}, "project_name_pattern": "team-*"}
    assert reporting.policy_document(document, "file x") == {**document, "source": "file x"}
    for bad, problem in (
        ([], "must be a mapping"),
        ({"rate_limits": {}, "extra": 1}, r"unknown key\(s\) \['extra'\]"),
        ({"rate_limits": {}, "project_name_pattern": 3}, "must be a string"),
    ):
        with pytest.raises(ReportError, match=f"file x: .*{problem}"):
            reporting.policy_document(bad, "file x")
