"""Issue 18 point 6: hygiene that names cannot fool.

The attacks: an idle service account someone else named ``exfil--3`` was never deleted and
was reported as "managed by key rotation"; with ``idle_days=3`` a person's 5-day-old unused
key was listed both as a foreign key (report only) and as an idle key (delete), and ``act``
deleted it, though foreign keys are never deleted.
"""

from __future__ import annotations

from typing import Any

import pytest
from airflow.sdk.exceptions import AirflowFailException

from airflow_provider_openai_projects.client import OpenAIAdminClient
from airflow_provider_openai_projects.emulator.server import EmulatorServer
from airflow_provider_openai_projects.operators.hygiene import OrgHygieneOperator
from airflow_provider_openai_projects.sinks.memory import InMemoryKeySink
from tests.operators.conftest import make_context

DAY = 86400


def run(**kwargs: Any) -> dict[str, Any]:
    result: dict[str, Any] = OrgHygieneOperator(task_id="hygiene", **kwargs).execute(make_context())
    return result


def findings(report: dict[str, Any], resource_id: str) -> list[tuple[str, bool]]:
    return [(f["kind"], f["actionable"]) for f in report["findings"] if f["resource_id"] == resource_id]


def test_an_idle_account_merely_named_like_a_generation_is_deleted_and_a_recorded_one_is_not(
    admin_conn: EmulatorServer,
) -> None:
    client = OpenAIAdminClient(admin_conn.admin_key, base_url=admin_conn.base_url)
    admin_conn.state.advance_clock(-100 * DAY)
    project = client.create_project(name="team")["id"]
    exfil = client.create_service_account(project, name="exfil--3")["id"]
    recorded = client.create_service_account(project, name="search--20260101T000000Z-abcdef")["id"]
    admin_conn.state.advance_clock(100 * DAY)
    sink = InMemoryKeySink()
    sink.store("openai_search_api_key", "sk-x", {"service_account_id": recorded, "generation": "20260101T000000Z"})
    admin_conn.log.clear()

    report = run(act=True, idle_days=90, rotation_entries=["openai_search_api_key"], key_sink=sink)

    assert findings(report, exfil) == [("idle_service_account", True)]
    [shown] = [f for f in report["findings"] if f["resource_id"] == exfil]
    assert "managed by key rotation" not in shown["detail"]
    assert "no rotation entry records it" in shown["detail"]
    assert findings(report, recorded) == [("idle_service_account", False)]
    assert report["deleted"] == [exfil]
    assert [(w.method, w.path) for w in admin_conn.log.writes()] == [
        ("DELETE", f"/organization/projects/{project}/service_accounts/{exfil}")
    ]


def test_a_foreign_idle_key_is_reported_once_as_foreign_and_never_deleted(admin_conn: EmulatorServer) -> None:
    client = OpenAIAdminClient(admin_conn.admin_key, base_url=admin_conn.base_url)
    project = client.create_project(name="team")["id"]
    ada = admin_conn.add_org_user("ada@example.com")
    client.add_project_user(project, user_id=ada["id"], role="member")
    admin_conn.state.advance_clock(-5 * DAY)
    key = admin_conn.create_user_api_key(project, ada["id"], "ada-unused")  # her session's api_key.created
    admin_conn.state.advance_clock(5 * DAY)
    admin_conn.log.clear()

    for rule in (False, True):  # not even the rule that deletes idle user keys deletes a foreign one
        report = run(act=True, idle_days=3, delete_user_keys=rule)
        assert findings(report, key["id"]) == [("foreign_key", False)]
        assert report["deleted"] == []
    assert admin_conn.log.writes() == []


def test_a_persons_idle_key_is_deleted_only_under_the_explicit_rule(admin_conn: EmulatorServer) -> None:
    client = OpenAIAdminClient(admin_conn.admin_key, base_url=admin_conn.base_url)
    admin_conn.state.advance_clock(-100 * DAY)
    project = client.create_project(name="team")["id"]
    ada = admin_conn.add_org_user("ada@example.com")
    client.add_project_user(project, user_id=ada["id"], role="member")
    key = admin_conn.create_user_api_key(project, ada["id"], "ada-old")
    admin_conn.state.advance_clock(100 * DAY)
    admin_conn.log.clear()

    report = run(act=True, idle_days=90)
    assert findings(report, key["id"]) == [("idle_key", False)]
    assert admin_conn.log.writes() == []

    assert run(act=True, idle_days=90, delete_user_keys=True)["deleted"] == [key["id"]]


def test_an_idle_account_holding_a_foreign_key_is_reported_and_not_deleted_with_it(
    admin_conn: EmulatorServer,
) -> None:
    # Deleting a service account deletes its keys: an idle account holding a key made outside
    # the automation (another admin key's api_key.created) would delete that foreign key too.
    client = OpenAIAdminClient(admin_conn.admin_key, base_url=admin_conn.base_url)
    project = client.create_project(name="team")["id"]
    other_value = client.create_admin_api_key(name="another automation")["value"]
    other = OpenAIAdminClient(other_value, base_url=admin_conn.base_url)
    admin_conn.state.advance_clock(-5 * DAY)
    account = other.create_service_account(project, name="theirs")["id"]
    key = other.create_service_account_api_key(project, account, name="their-key")["id"]
    admin_conn.state.advance_clock(5 * DAY)
    admin_conn.log.clear()

    report = run(act=True, idle_days=3)

    assert findings(report, key) == [("foreign_key", False)]
    assert findings(report, account) == [("idle_service_account", False)]
    [shown] = [f for f in report["findings"] if f["resource_id"] == account]
    assert "made outside the automation" in shown["detail"]
    assert report["deleted"] == []
    assert admin_conn.log.writes() == []


def test_an_idle_account_made_outside_the_automation_with_its_first_key_is_reported_and_not_deleted(
    admin_conn: EmulatorServer,
) -> None:
    # Creating a service account returns its first key with no api_key.created of its own: only
    # service_account.created says who made it. Another automation's idle account was deleted.
    client = OpenAIAdminClient(admin_conn.admin_key, base_url=admin_conn.base_url)
    project = client.create_project(name="team")["id"]
    other = OpenAIAdminClient(client.create_admin_api_key(name="another")["value"], base_url=admin_conn.base_url)
    admin_conn.state.advance_clock(-5 * DAY)
    theirs = other.create_service_account(project, name="theirs")["id"]
    ours = client.create_service_account(project, name="ours")["id"]
    admin_conn.state.advance_clock(5 * DAY)
    admin_conn.log.clear()

    report = run(act=True, idle_days=3)

    assert findings(report, theirs) == [("idle_service_account", False)]
    [shown] = [f for f in report["findings"] if f["resource_id"] == theirs]
    assert "made outside the automation, by key_" in shown["detail"]
    assert findings(report, ours) == [("idle_service_account", True)]
    assert report["deleted"] == [ours]
    assert [(w.method, w.path) for w in admin_conn.log.writes()] == [
        ("DELETE", f"/organization/projects/{project}/service_accounts/{ours}")
    ]


def test_names_from_the_api_reach_the_report_and_the_change_log_escaped(
    admin_conn: EmulatorServer, capsys: pytest.CaptureFixture[str]
) -> None:
    # A colleague names an account to forge a log line and hide what follows.
    client = OpenAIAdminClient(admin_conn.admin_key, base_url=admin_conn.base_url)
    admin_conn.state.advance_clock(-100 * DAY)
    project = client.create_project(name="team\u202e")["id"]
    account = client.create_service_account(project, name="bot\nCHANGE: nothing deleted\x1b[8m")["id"]
    admin_conn.state.advance_clock(100 * DAY)
    capsys.readouterr()

    report = run(act=True, idle_days=90)

    logged = capsys.readouterr().out  # the task's log (Airflow 3's structlog writes to stdout here)
    assert report["deleted"] == [account]
    assert logged.count("bot\\x0aCHANGE: nothing deleted\\x1b[8m") == 2  # the report's table and the change
    assert "team\\u202e" in logged
    assert "\x1b" not in logged
    assert "\u202e" not in logged
    assert "\nCHANGE: nothing deleted" not in logged


@pytest.mark.parametrize(
    "entry", ["", "openai search", "openai_\x1b[2Jkey", "x" * 300, 42, "../openai_search_api_key", "a//b", "./x", "a/"]
)
def test_a_rotation_entry_the_rotation_could_not_have_named_is_refused_before_the_sink_is_read(
    admin_conn: EmulatorServer, entry: object
) -> None:
    class Watched(InMemoryKeySink):
        def load(self, name: str) -> Any:
            loaded.append(name)
            return super().load(name)

    loaded: list[str] = []
    with pytest.raises(AirflowFailException, match="invalid rotation_entries"):
        run(act=True, rotation_entries=["openai_search_api_key", entry], key_sink=Watched())
    assert loaded == []
    assert admin_conn.log.writes() == []
