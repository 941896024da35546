"""SyncRateLimitsOperator against the emulator: diff, idempotency, targeting, failures, call count."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from airflow.sdk import DAG
from airflow.sdk.exceptions import AirflowFailException

from airflow_provider_openai_projects.client import AuthenticationError, RateLimitError
from airflow_provider_openai_projects.domain.ratelimit_policy import RateLimitSyncError
from airflow_provider_openai_projects.emulator.faults import FaultRule
from airflow_provider_openai_projects.emulator.model_catalog import DEFAULT_MODELS
from airflow_provider_openai_projects.emulator.server import EmulatorServer
from airflow_provider_openai_projects.operators.rate_limits import SyncRateLimitsOperator

from .conftest import make_context

RPM = "max_requests_per_1_minute"
TPM = "max_tokens_per_1_minute"
IMAGES = "max_images_per_1_minute"
PROJECT_LIST = "GET /organization/projects"
LIMIT_LIST = "GET /organization/projects/{project_id}/rate_limits"
LIMIT_UPDATE = "POST /organization/projects/{project_id}/rate_limits/{rate_limit_id}"
DEFAULT_RPM = {m.id: m.limits[RPM] for m in DEFAULT_MODELS}


def new_project(emulator: EmulatorServer, name: str) -> str:
    """A project made directly in the emulator's state (no request logged)."""
    return str(emulator.state.create_project(name)["id"])


def limits(emulator: EmulatorServer, project_id: str, model: str) -> dict[str, int]:
    return dict(emulator.state.projects.get(project_id).rate_limits.get(f"rl-{model}").limits)


def all_limits(emulator: EmulatorServer) -> dict[str, dict[str, dict[str, int]]]:
    return {p.id: {r.model: dict(r.limits) for r in p.rate_limits} for p in emulator.state.projects}


def sync(**kwargs: Any) -> SyncRateLimitsOperator:
    return SyncRateLimitsOperator(task_id="sync_rate_limits", **kwargs)


def with_retries(emulator: EmulatorServer, monkeypatch: pytest.MonkeyPatch, max_retries: int) -> None:
    """Point the default connection at the emulator with few retries (fault tests stay fast)."""
    monkeypatch.setenv(
        "AIRFLOW_CONN_OPENAI_ADMIN_DEFAULT",
        json.dumps(
            {
                "conn_type": "openai_admin",
                "host": emulator.base_url,
                "password": emulator.admin_key,
                "extra": {"max_retries": max_retries},
            }
        ),
    )


# -- the diff and idempotency ------------------------------------------------------------------


def test_first_run_writes_only_the_limits_and_fields_that_differ(admin_conn: EmulatorServer, context: Any) -> None:
    project_id = new_project(admin_conn, "Search")
    policy = {
        "gpt-4o": {RPM: 500, TPM: 450_000},  # TPM already 450 000: only RPM differs
        "o3": {RPM: 5_000},  # already so
    }
    report = sync(rate_limits=policy, project_ids=[project_id]).execute(context)

    assert limits(admin_conn, project_id, "gpt-4o")[RPM] == 500
    assert limits(admin_conn, project_id, "gpt-4o")[TPM] == 450_000
    [write] = admin_conn.log.writes()
    assert write.route == LIMIT_UPDATE
    assert write.path == f"/organization/projects/{project_id}/rate_limits/rl-gpt-4o"
    assert write.body == {RPM: 500}
    assert report["projects"][project_id]["changes"] == [
        {
            "model": "gpt-4o",
            "rate_limit_id": "rl-gpt-4o",
            "fields": {RPM: {"from": 5000, "to": 500}},
            "status": "updated",
        }
    ]
    assert report["counts"] == {
        "projects": 1,
        "limits_checked": 2,
        "unchanged": 1,
        "updated": 1,
        "failed": 0,
        "failed_projects": 0,
    }
    assert report["dry_run"] is False
    assert report["unknown_models"] == []
    json.dumps(report)


def test_second_run_with_the_same_policy_makes_zero_writes(admin_conn: EmulatorServer, context: Any) -> None:
    project_id = new_project(admin_conn, "Search")
    policy = {"gpt-4o*": {RPM: 500}, "o3": {TPM: 1_000}}
    sync(rate_limits=policy, project_ids=[project_id]).execute(context)
    assert len(admin_conn.log.writes()) == 3
    before = all_limits(admin_conn)

    admin_conn.log.clear()
    report = sync(rate_limits=policy, project_ids=[project_id]).execute(make_context())
    assert admin_conn.log.writes() == []
    assert admin_conn.log.count(route=LIMIT_LIST) == 1
    assert report["counts"]["updated"] == 0
    assert report["counts"]["unchanged"] == 3
    assert report["projects"][project_id]["changes"] == []
    assert all_limits(admin_conn) == before


def test_dry_run_writes_nothing_and_returns_the_plan(admin_conn: EmulatorServer, context: Any) -> None:
    project_id = new_project(admin_conn, "Search")
    before = all_limits(admin_conn)
    report = sync(rate_limits={"gpt-4o": {RPM: 500}}, project_ids=[project_id], dry_run=True).execute(context)
    assert admin_conn.log.writes() == []
    assert all_limits(admin_conn) == before
    assert report["dry_run"] is True
    assert report["projects"][project_id]["changes"] == [
        {
            "model": "gpt-4o",
            "rate_limit_id": "rl-gpt-4o",
            "fields": {RPM: {"from": 5000, "to": 500}},
            "status": "planned",
        }
    ]
    assert report["counts"]["planned"] == 1
    assert "updated" not in report["counts"]


def test_dry_run_rendered_from_a_template_string_is_honoured(admin_conn: EmulatorServer, context: Any) -> None:
    project_id = new_project(admin_conn, "Search")
    with DAG("rate_limit_templates", params={"limits": {"gpt-4o": {RPM: 500}}, "dry": True, "ids": [project_id]}):
        op = sync(
            rate_limits="{{ params.limits | tojson }}",
            project_ids="{{ params.ids | tojson }}",
            dry_run="{{ params.dry }}",
        )
    assert op.dag is not None
    op.render_template_fields({"params": op.dag.params})
    assert op.plan_only == "True"
    report = op.execute(context)
    assert report["dry_run"] is True
    assert report["counts"]["planned"] == 1
    assert admin_conn.log.writes() == []


def test_a_json_string_policy_is_accepted(admin_conn: EmulatorServer, context: Any) -> None:
    project_id = new_project(admin_conn, "Search")
    sync(rate_limits=json.dumps({"gpt-4o": {RPM: 42}}), project_ids=json.dumps([project_id])).execute(context)
    assert limits(admin_conn, project_id, "gpt-4o")[RPM] == 42


def test_precedence_exact_name_then_most_specific_glob(admin_conn: EmulatorServer, context: Any) -> None:
    project_id = new_project(admin_conn, "Search")
    policy = {"gpt-4*": {RPM: 100}, "gpt-4o*": {RPM: 200}, "gpt-4o": {RPM: 300}, "*": {TPM: 7}}
    sync(rate_limits=policy, project_ids=[project_id]).execute(context)
    assert limits(admin_conn, project_id, "gpt-4o")[RPM] == 300
    assert limits(admin_conn, project_id, "gpt-4o-mini")[RPM] == 200
    assert limits(admin_conn, project_id, "gpt-4.1")[RPM] == 100
    assert limits(admin_conn, project_id, "o3")[RPM] == DEFAULT_RPM["o3"]
    assert all(limit[TPM] == 7 for limit in all_limits(admin_conn)[project_id].values())


def test_fields_a_model_does_not_carry_are_skipped_instead_of_sent(admin_conn: EmulatorServer, context: Any) -> None:
    project_id = new_project(admin_conn, "Images")
    report = sync(rate_limits={"*": {IMAGES: 20}}, project_ids=[project_id]).execute(context)
    [write] = admin_conn.log.writes()
    assert write.path.endswith("/rl-dall-e-3")
    assert write.status == 200
    assert limits(admin_conn, project_id, "dall-e-3")[IMAGES] == 20
    skipped = report["projects"][project_id]["skipped_fields"]
    assert skipped["gpt-4o"] == [IMAGES]
    assert "dall-e-3" not in skipped
    assert len(skipped) == len(DEFAULT_MODELS) - 1


# -- targeting -------------------------------------------------------------------------------------


def test_name_pattern_targets_only_matching_active_projects(admin_conn: EmulatorServer, context: Any) -> None:
    team_a = new_project(admin_conn, "team-a")
    team_b = new_project(admin_conn, "team-b")
    other = new_project(admin_conn, "other")
    retired = new_project(admin_conn, "team-retired")
    admin_conn.state.archive_project(retired)
    before = all_limits(admin_conn)

    report = sync(rate_limits={"gpt-4o": {RPM: 500}}, project_name_pattern="team-*").execute(context)

    assert set(report["projects"]) == {team_a, team_b}
    assert report["projects"][team_a]["name"] == "team-a"
    assert limits(admin_conn, team_a, "gpt-4o")[RPM] == 500
    assert limits(admin_conn, team_b, "gpt-4o")[RPM] == 500
    after = all_limits(admin_conn)
    for untouched in (other, retired, admin_conn.state.default_project_id):
        assert after[untouched] == before[untouched]
    assert admin_conn.log.count(route=PROJECT_LIST) == 1
    assert admin_conn.log.count(route=LIMIT_LIST) == 2


def test_without_targets_every_active_project_is_synced_including_the_default(
    admin_conn: EmulatorServer, context: Any
) -> None:
    project_id = new_project(admin_conn, "Search")
    default_id = admin_conn.state.default_project_id
    report = sync(rate_limits={"o3": {RPM: 50}}).execute(context)
    assert set(report["projects"]) == {default_id, project_id}
    assert limits(admin_conn, default_id, "o3")[RPM] == 50
    assert limits(admin_conn, project_id, "o3")[RPM] == 50


def test_explicit_project_ids_are_used_without_listing_projects(admin_conn: EmulatorServer, context: Any) -> None:
    first, second = new_project(admin_conn, "one"), new_project(admin_conn, "two")
    report = sync(rate_limits={"o3": {RPM: 50}}, project_ids=[second, first, second]).execute(context)
    assert list(report["projects"]) == [second, first]
    assert report["projects"][first]["name"] is None
    assert admin_conn.log.count(route=PROJECT_LIST) == 0
    assert admin_conn.log.count(route=LIMIT_LIST) == 2


def test_a_pattern_that_matches_no_project_succeeds_with_an_empty_report(
    admin_conn: EmulatorServer, context: Any
) -> None:
    new_project(admin_conn, "Search")
    report = sync(rate_limits={"gpt-9": {RPM: 1}}, project_name_pattern="nobody-*").execute(context)
    assert report["projects"] == {}
    assert report["counts"]["projects"] == 0
    assert [e.route for e in admin_conn.log.entries()] == [PROJECT_LIST]


# -- unknown models -------------------------------------------------------------------------


def test_an_unknown_model_fails_the_task_before_any_write(admin_conn: EmulatorServer, context: Any) -> None:
    project_id = new_project(admin_conn, "Search")
    before = all_limits(admin_conn)
    with pytest.raises(AirflowFailException, match=r"invalid rate_limits\['gpt-9'\]: unknown model") as raised:
        sync(rate_limits={"gpt-4o": {RPM: 500}, "gpt-9": {RPM: 1}}, project_ids=[project_id]).execute(context)
    assert "no targeted project has this model" in str(raised.value)
    assert admin_conn.log.writes() == []
    assert all_limits(admin_conn) == before
    assert context["ti"].xcom["rate_limit_report"]["unknown_models"] == ["gpt-9"]


def test_a_glob_matching_no_model_is_unknown_too(admin_conn: EmulatorServer, context: Any) -> None:
    project_id = new_project(admin_conn, "Search")
    with pytest.raises(AirflowFailException, match=r"'claude-\*' \(matches no model\)"):
        sync(rate_limits={"gpt-4o": {RPM: 500}, "claude-*": {RPM: 1}}, project_ids=[project_id]).execute(context)
    assert admin_conn.log.writes() == []


def test_an_unknown_model_is_only_a_warning_when_allowed(
    admin_conn: EmulatorServer, context: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    project_id = new_project(admin_conn, "Search")
    report = sync(
        rate_limits={"gpt-4o": {RPM: 500}, "gpt-9": {RPM: 1}},
        project_ids=[project_id],
        fail_on_unknown_model=False,
    ).execute(context)
    assert report["unknown_models"] == ["gpt-9"]
    assert limits(admin_conn, project_id, "gpt-4o")[RPM] == 500
    assert len(admin_conn.log.writes()) == 1
    assert "Ignoring policy keys that match no model: 'gpt-9'" in capsys.readouterr().out


# -- failures -------------------------------------------------------------------------------------


def test_unreadable_projects_do_not_stop_the_others_and_fail_the_task(admin_conn: EmulatorServer, context: Any) -> None:
    retired = new_project(admin_conn, "Retired")
    admin_conn.state.archive_project(retired)
    good = new_project(admin_conn, "Good")
    with pytest.raises(AirflowFailException) as raised:
        sync(rate_limits={"gpt-4o": {RPM: 500}}, project_ids=["proj_doesnotexist", retired, good]).execute(context)

    assert limits(admin_conn, good, "gpt-4o")[RPM] == 500
    message = str(raised.value)
    assert "2 unreadable" in message
    assert "project proj_doesnotexist: GET /organization/projects/proj_doesnotexist/rate_limits -> 404" in message
    assert f"project {retired}: " in message
    assert "archived" in message
    report = context["ti"].xcom["rate_limit_report"]
    assert "404" in report["projects"]["proj_doesnotexist"]["error"]
    assert "400" in report["projects"][retired]["error"]
    assert report["projects"][good]["changes"][0]["status"] == "updated"
    assert report["counts"]["failed"] == 2
    assert report["counts"]["failed_projects"] == 2
    assert report["counts"]["updated"] == 1


def test_a_failed_write_is_reported_the_others_are_made_and_the_task_fails_for_a_retry(
    admin_conn: EmulatorServer, context: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    with_retries(admin_conn, monkeypatch, max_retries=1)
    project_id = new_project(admin_conn, "Search")
    policy = {"gpt-4o": {RPM: 500}, "o3": {RPM: 600}}
    admin_conn.faults.add(
        FaultRule(method="POST", path="/organization/projects/*/rate_limits/rl-gpt-4o", status=500, times=10)
    )
    with pytest.raises(RateLimitSyncError) as raised:
        sync(rate_limits=policy, project_ids=[project_id]).execute(context)

    assert limits(admin_conn, project_id, "o3")[RPM] == 600
    assert limits(admin_conn, project_id, "gpt-4o")[RPM] == DEFAULT_RPM["gpt-4o"]
    assert f"project {project_id} gpt-4o: POST /organization/projects/{project_id}/rate_limits/rl-gpt-4o -> 500" in (
        str(raised.value)
    )
    report = raised.value.report
    assert report == context["ti"].xcom["rate_limit_report"]
    statuses = {c["model"]: c["status"] for c in report["projects"][project_id]["changes"]}
    assert statuses == {"gpt-4o": "failed", "o3": "updated"}
    assert report["counts"]["failed"] == 1

    # The task's retry (the fault has passed) writes only what is still missing.
    admin_conn.faults.clear()
    admin_conn.log.clear()
    report = sync(rate_limits=policy, project_ids=[project_id]).execute(make_context())
    assert [w.path.rsplit("/", 1)[-1] for w in admin_conn.log.writes()] == ["rl-gpt-4o"]
    assert limits(admin_conn, project_id, "gpt-4o")[RPM] == 500


def test_when_every_write_fails_each_is_reported(
    admin_conn: EmulatorServer, context: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    with_retries(admin_conn, monkeypatch, max_retries=0)
    first, second = new_project(admin_conn, "one"), new_project(admin_conn, "two")
    before = all_limits(admin_conn)
    admin_conn.faults.add(
        FaultRule(method="POST", path="/organization/projects/*/rate_limits/*", status=500, when="before", times=10)
    )
    with pytest.raises(RateLimitSyncError, match="0 updated, 2 failed"):
        sync(rate_limits={"gpt-4o": {RPM: 500}}, project_ids=[first, second]).execute(context)
    assert admin_conn.log.count(route=LIMIT_UPDATE) == 2
    assert all_limits(admin_conn) == before


def test_a_throttle_the_client_gave_up_on_stops_the_run_at_once(admin_conn: EmulatorServer, context: Any) -> None:
    first, second = new_project(admin_conn, "one"), new_project(admin_conn, "two")
    admin_conn.faults.add(
        FaultRule(method="GET", path="/organization/projects/*/rate_limits", status=429, retry_after=3600)
    )
    with pytest.raises(RateLimitError):
        sync(rate_limits={"gpt-4o": {RPM: 500}}, project_ids=[first, second]).execute(context)
    assert len(admin_conn.log.entries()) == 1
    assert context["ti"].xcom["rate_limit_report"]["counts"]["projects"] == 0


def test_a_rejected_admin_key_stops_the_run_at_once(
    admin_conn: EmulatorServer, context: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    first, second = new_project(admin_conn, "one"), new_project(admin_conn, "two")
    monkeypatch.setenv(
        "AIRFLOW_CONN_OPENAI_ADMIN_DEFAULT",
        json.dumps({"conn_type": "openai_admin", "host": admin_conn.base_url, "password": "sk-admin-wrong-key-000"}),
    )
    with pytest.raises(AirflowFailException, match="401") as raised:
        sync(rate_limits={"gpt-4o": {RPM: 500}}, project_ids=[first, second]).execute(context)
    assert isinstance(raised.value.__cause__, AuthenticationError)
    assert len(admin_conn.log.entries()) == 1


# -- bad input ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"rate_limits": {}}, "rate_limits"),
        ({"rate_limits": {"gpt-4o": {RPM: -1}}}, f"rate_limits['gpt-4o'].{RPM}"),
        ({"rate_limits": {"gpt-4o": {RPM: 1.5}}}, f"rate_limits['gpt-4o'].{RPM}"),
        ({"rate_limits": {"gpt-4o": {RPM: True}}}, f"rate_limits['gpt-4o'].{RPM}"),
        ({"rate_limits": {"gpt-4o": {"max_bananas": 1}}}, "rate_limits['gpt-4o'].max_bananas"),
        ({"rate_limits": '{"gpt-4o": '}, "rate_limits"),
        ({"rate_limits": {"gpt-4o": {RPM: 1}}, "project_ids": []}, "project_ids"),
        ({"rate_limits": {"gpt-4o": {RPM: 1}}, "project_ids": "None"}, "project_ids"),
        ({"rate_limits": {"gpt-4o": {RPM: 1}}, "project_ids": ["proj_a", " "]}, "project_ids[1]"),
        ({"rate_limits": {"gpt-4o": {RPM: 1}}, "project_name_pattern": ""}, "project_name_pattern"),
        (
            {"rate_limits": {"gpt-4o": {RPM: 1}}, "project_ids": ["proj_a"], "project_name_pattern": "team-*"},
            "project_ids/project_name_pattern",
        ),
        ({"rate_limits": {"gpt-4o": {RPM: 1}}, "dry_run": "maybe"}, "dry_run"),
        ({"rate_limits": {"gpt-4o": {RPM: 1}}, "fail_on_unknown_model": None}, "fail_on_unknown_model"),
    ],
)
def test_bad_input_fails_naming_the_field_before_any_request(
    admin_conn: EmulatorServer, context: Any, kwargs: dict[str, Any], field: str
) -> None:
    with pytest.raises(AirflowFailException, match=f"^invalid {re.escape(field)}: "):
        sync(**kwargs).execute(context)
    assert admin_conn.log.entries() == []


# -- the log ------------------------------------------------------------------------------------


def test_the_plan_is_readable_in_the_task_log(
    admin_conn: EmulatorServer, context: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    project_id = new_project(admin_conn, "Search")
    policy = {"gpt-4o": {RPM: 500, TPM: 1_000}, "o3": {RPM: 5_000}}
    sync(rate_limits=policy, project_name_pattern="Search").execute(context)
    out = capsys.readouterr().out
    assert (
        f"CHANGE: set project Search ({project_id}) gpt-4o: max_requests_per_1_minute 5000 -> 500, "
        "max_tokens_per_1_minute 450000 -> 1000"
    ) in out
    assert "o3:" not in out
    assert "Rate-limit sync: 1 projects (0 unreadable), 2 limits checked: 1 unchanged, 1 updated, 0 failed" in out

    admin_conn.state.update_rate_limit(project_id, "rl-o3", {RPM: 9_999})
    sync(rate_limits=policy, project_name_pattern="Search", dry_run=True).execute(make_context())
    out = capsys.readouterr().out
    assert f"DRY RUN: would set project Search ({project_id}) o3: max_requests_per_1_minute 9999 -> 5000" in out
    assert "Rate-limit sync (dry run): 1 projects (0 unreadable), 2 limits checked: 1 unchanged, 1 planned" in out


# -- call count (issue 6) ---------------------------------------------------------------------


def test_call_count_is_the_minimum_and_a_second_run_only_reads(admin_conn: EmulatorServer, context: Any) -> None:
    ids = [new_project(admin_conn, f"team-{i}") for i in range(5)]
    policy = {"gpt-4o": {RPM: 500}, "o3": {TPM: 1_000}, "gpt-5": {RPM: 5_000}}  # gpt-5 already so
    pattern = "team-*"

    report = sync(rate_limits=policy, project_name_pattern=pattern).execute(context)
    # 1 page of projects + 5 rate-limit lists (one page each) + 2 differing limits x 5 projects
    assert len(admin_conn.log.entries()) == 1 + 5 + 10
    assert admin_conn.log.count(route=PROJECT_LIST) == 1
    assert admin_conn.log.count(route=LIMIT_LIST) == 5
    assert admin_conn.log.count(route=LIMIT_UPDATE) == 10
    assert report["counts"] == {
        "projects": 5,
        "limits_checked": 15,
        "unchanged": 5,
        "updated": 10,
        "failed": 0,
        "failed_projects": 0,
    }
    assert all(limits(admin_conn, pid, "o3")[TPM] == 1_000 for pid in ids)

    for dry_run in (False, True):
        admin_conn.log.clear()
        sync(rate_limits=policy, project_name_pattern=pattern, dry_run=dry_run).execute(make_context())
        assert len(admin_conn.log.entries()) == 1 + 5
        assert admin_conn.log.writes() == []


def test_template_fields_cover_every_input() -> None:
    assert set(SyncRateLimitsOperator.template_fields) >= {
        "openai_admin_conn_id",
        "rate_limits",
        "project_ids",
        "project_name_pattern",
        "plan_only",
        "fail_on_unknown_model",
    }
