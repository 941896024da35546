"""OrgHygieneOperator over a seeded organization: exactly the idle and foreign keys are
found; with act=True exactly the idle user keys and idle service accounts are deleted,
never a key the rotation manages or an excluded name."""

from __future__ import annotations

import json
from typing import Any

import pytest

from airflow_provider_openai_projects.client import OpenAIAdminClient
from airflow_provider_openai_projects.domain.hygiene import is_rotation_managed
from airflow_provider_openai_projects.emulator.server import EmulatorServer
from airflow_provider_openai_projects.operators.hygiene import OrgHygieneOperator
from tests.operators.conftest import make_context

DAY = 86400


def back_in_time(emulator: EmulatorServer, days: int) -> None:
    emulator.state.advance_clock(-days * DAY)


@pytest.fixture
def seeded(admin_conn: EmulatorServer) -> dict[str, Any]:
    """Project "team" 100 days ago: an idle user key, a used user key, an idle bot, an idle
    rotation generation, an idle excluded account; today a key made by a person (foreign)."""
    emulator = admin_conn
    client = OpenAIAdminClient(emulator.admin_key, base_url=emulator.base_url)
    back_in_time(emulator, 100)
    project = client.create_project(name="team")["id"]
    ada = emulator.add_org_user("ada@example.com")
    client.add_project_user(project, user_id=ada["id"], role="member")
    idle_user_key = emulator.create_user_api_key(project, ada["id"], "ada-old")
    used_user_key = emulator.create_user_api_key(project, ada["id"], "ada-live")
    bot = client.create_service_account(project, name="bot")
    generation = client.create_service_account(project, name="search--20260101T000000Z-abcdef")
    kept = client.create_service_account(project, name="keepme")
    emulator.state.advance_clock(100 * DAY)
    assert emulator.use_key(used_user_key["value"]) == 200
    # The automation mints a key today (an api_key.created whose actor is this admin key: not foreign).
    fresh = client.create_service_account(project, name="fresh", create_service_account_only=True)
    automated = client.create_service_account_api_key(project, fresh["id"], name="fresh-key")
    # A person mints a key in the dashboard: an api_key.created whose actor is their session.
    foreign = emulator.create_user_api_key(project, ada["id"], "ada-new")
    return {
        "project": project,
        "idle_user_key": idle_user_key["id"],
        "used_user_key": used_user_key["id"],
        "foreign_key": foreign["id"],
        "bot": bot["id"],
        "generation": generation["id"],
        "kept": kept["id"],
        "secrets": [k["value"] for k in (idle_user_key, used_user_key, foreign)]
        + [a["api_key"]["value"] for a in (bot, generation, kept)]
        + [automated["value"]],
    }


def run(act: bool = False, **kwargs: Any) -> dict[str, Any]:
    operator = OrgHygieneOperator(task_id="hygiene", act=act, idle_days=90, exclude_names=["keepme"], **kwargs)
    result: dict[str, Any] = operator.execute(make_context())
    json.dumps(result)
    return result


def test_the_report_lists_exactly_the_idle_and_foreign_keys(admin_conn: EmulatorServer, seeded: dict[str, Any]) -> None:
    admin_conn.log.clear()
    report = run()
    found = {(f["kind"], f["resource_id"]): f["actionable"] for f in report["findings"]}
    assert found == {
        ("idle_key", seeded["idle_user_key"]): True,
        ("idle_service_account", seeded["bot"]): True,
        ("idle_service_account", seeded["generation"]): False,  # the rotation revokes it, not hygiene
        ("idle_service_account", seeded["kept"]): False,  # excluded by name
        ("foreign_key", seeded["foreign_key"]): False,  # reported only
    }
    assert admin_conn.log.writes() == []
    assert report["deleted"] == []
    assert not any(secret in json.dumps(report) for secret in seeded["secrets"])


def test_act_deletes_exactly_the_actionable_findings_and_a_second_run_deletes_nothing(
    admin_conn: EmulatorServer, seeded: dict[str, Any]
) -> None:
    admin_conn.log.clear()
    report = run(act=True)
    assert sorted(report["deleted"]) == sorted([seeded["idle_user_key"], seeded["bot"]])
    writes = [(w.method, w.path) for w in admin_conn.log.writes()]
    project = seeded["project"]
    assert sorted(writes) == sorted(
        [
            ("DELETE", f"/organization/projects/{project}/api_keys/{seeded['idle_user_key']}"),
            ("DELETE", f"/organization/projects/{project}/service_accounts/{seeded['bot']}"),
        ]
    )
    accounts = {a.id for a in admin_conn.state.projects.get(project).service_accounts}
    assert {seeded["generation"], seeded["kept"]} <= accounts
    assert seeded["bot"] not in accounts

    admin_conn.log.clear()
    again = run(act=True)
    assert again["deleted"] == []
    assert admin_conn.log.writes() == []


@pytest.mark.parametrize(
    ("name", "managed"),
    [
        ("search--20260101T000000Z-abcdef", True),
        ("search", False),
        ("search--", False),
        ("--20260101", False),
        ("a--b--c", False),
    ],
)
def test_rotation_generations_are_recognised_by_their_name(name: str, managed: bool) -> None:
    assert is_rotation_managed(name) is managed


def test_an_admin_key_the_redacted_values_cannot_single_out_fails_before_any_report(
    admin_conn: EmulatorServer, seeded: dict[str, Any]
) -> None:
    from airflow.sdk.exceptions import AirflowFailException

    # Another admin key with this connection's prefix and last four characters: same redacted value.
    twin = admin_conn.admin_key[:-8] + "zzzz" + admin_conn.admin_key[-4:]
    admin_conn.state._add_admin_key("twin", twin, None)
    admin_conn.log.clear()

    with pytest.raises(AirflowFailException, match="invalid automation_actor_ids") as raised:
        run(act=True)

    assert "2 admin keys" in str(raised.value)
    assert admin_conn.admin_key not in str(raised.value)
    assert admin_conn.log.writes() == []
    # Naming the automation's actor lets the run go on.
    own = admin_conn.state.admin_key_tracking_id(admin_conn.admin_key)
    assert sorted(run(act=True, automation_actor_ids=[own])["deleted"]) == sorted(
        [seeded["idle_user_key"], seeded["bot"]]
    )


def test_a_key_another_admin_key_made_is_reported_in_its_own_project_not_the_default_one(
    admin_conn: EmulatorServer,
) -> None:
    """An admin key's ``api_key.created`` names the Default project (the spec: "any admin
    actions taken via Admin API keys are associated with the default project"); the
    report names the project the key is in."""
    client = OpenAIAdminClient(admin_conn.admin_key, base_url=admin_conn.base_url)
    project = client.create_project(name="team")["id"]
    other_value = client.create_admin_api_key(name="another automation")["value"]
    other = OpenAIAdminClient(other_value, base_url=admin_conn.base_url)
    account = other.create_service_account(project, name="theirs")
    key = other.create_service_account_api_key(project, account["id"], name="their-key")
    event = admin_conn.state.audit_events[-1]
    assert (event.type, event.project) == (
        "api_key.created",
        {"id": admin_conn.state.default_project_id, "name": "Default project"},
    )

    report = run()

    foreign = [f for f in report["findings"] if f["kind"] == "foreign_key"]
    assert [(f["resource_id"], f["project_id"], f["project_name"]) for f in foreign] == [(key["id"], project, "team")]
    assert other_value not in json.dumps(report)
    assert key["value"] not in json.dumps(report)
    assert account["api_key"]["value"] not in json.dumps(report)
