"""``openai_org_hygiene`` end to end over a seeded organization: the report lists exactly
its idle and foreign keys (reads only, a known number of list calls); with ``act`` (and
``delete_user_keys``) it deletes exactly the idle user key and the idle service account, never
a generation the rotation's Variable records nor an excluded name, and a second run deletes
nothing."""

from __future__ import annotations

import json
from collections import Counter
from typing import Any

import pendulum
import pytest

from airflow_provider_openai_projects.client import OpenAIAdminClient
from airflow_provider_openai_projects.domain.key_generations import generation_account_name, generation_from_run
from airflow_provider_openai_projects.emulator.server import EmulatorServer

from .conftest import run_dag, run_texts, set_variable, task_states, xcom

DAY = 86400
ROTATION_ENTRY = "openai_search_backend_api_key"
CONF = {"idle_days": 90, "exclude_names": ["keepme"], "rotation_entries": [ROTATION_ENTRY]}


@pytest.fixture
def dag(example_dags: dict[str, Any]) -> Any:
    return example_dags["openai_org_hygiene"]


@pytest.fixture
def seeded(org: EmulatorServer) -> dict[str, Any]:
    """Project "team", made 100 days ago with: Ada's idle key and her key in use, an idle
    bot, an idle generation of the key rotation of "search-backend", an idle excluded
    account. Today: the automation mints a key (its own), Ada mints one in the dashboard
    (foreign: an ``api_key.created`` whose actor is her session)."""
    org.state.advance_clock(-100 * DAY)
    with OpenAIAdminClient(org.admin_key, base_url=org.base_url) as client:
        project = client.create_project(name="team")["id"]
        ada = org.add_org_user("ada@example.com")
        client.add_project_user(project, user_id=ada["id"], role="member")
        idle_key = org.create_user_api_key(project, ada["id"], "ada-old")
        used_key = org.create_user_api_key(project, ada["id"], "ada-live")
        bot = client.create_service_account(project, name="bot")
        generation = generation_from_run(pendulum.now("UTC").subtract(days=100), "scheduled__rotation")
        rotated = client.create_service_account(project, name=generation_account_name("search-backend", generation))
        kept = client.create_service_account(project, name="keepme")
        org.state.advance_clock(100 * DAY)
        assert org.use_key(used_key["value"]) == 200
        fresh = client.create_service_account(project, name="fresh", create_service_account_only=True)
        automated = client.create_service_account_api_key(project, fresh["id"], name="fresh-key")
    foreign = org.create_user_api_key(project, ada["id"], "ada-new")  # her session's api_key.created
    # What the rotation of "search-backend" recorded: its current Variable names the generation.
    set_variable(ROTATION_ENTRY, {"service_account_id": rotated["id"], "api_key": "sk-recorded-by-rotation"})
    org.log.clear()
    return {
        "project": project,
        "idle_key": idle_key["id"],
        "foreign_key": foreign["id"],
        "bot": bot["id"],
        "rotated": rotated["id"],
        "kept": kept["id"],
        "secrets": [k["value"] for k in (idle_key, used_key, foreign)]
        + [a["api_key"]["value"] for a in (bot, rotated, kept)]
        + [automated["value"], org.admin_key],
    }


def list_calls(emulator: EmulatorServer) -> Counter[str]:
    """Reads per route template (``GET ...``)."""
    return Counter(str(e.route) for e in emulator.log.entries() if e.method == "GET")


def expected_reads(emulator: EmulatorServer, project: str) -> Counter[str]:
    """One list of admin keys (the automation's own id), projects, audit events, costs and
    certificates; per active project one list of keys and one of service accounts; one
    spend-limit read for the one project with a cost this month."""
    active = sum(1 for p in emulator.state.projects if not p.archived)
    assert active == 2  # the Default project and "team"
    return Counter(
        {
            "GET /organization/admin_api_keys": 1,
            "GET /organization/projects": 1,
            "GET /organization/projects/{project_id}/api_keys": active,
            "GET /organization/projects/{project_id}/service_accounts": active,
            "GET /organization/audit_logs": 1,
            "GET /organization/costs": 1,
            "GET /organization/projects/{project_id}/spend_limit": 1,
            "GET /organization/certificates": 1,
        }
    )


def test_the_report_lists_exactly_the_idle_and_foreign_keys_and_writes_nothing(
    org: EmulatorServer, dag: Any, seeded: dict[str, Any]
) -> None:
    run = run_dag(dag, CONF)
    assert run.state == "success", task_states(run)
    report = xcom(run, "hygiene")
    assert {(f["kind"], f["resource_id"]): f["actionable"] for f in report["findings"]} == {
        ("idle_key", seeded["idle_key"]): False,  # a person's key: deleted only with delete_user_keys
        ("idle_service_account", seeded["bot"]): True,
        ("idle_service_account", seeded["rotated"]): False,  # recorded by the rotation: it revokes it
        ("idle_service_account", seeded["kept"]): False,  # excluded by name
        ("foreign_key", seeded["foreign_key"]): False,  # reported only
    }
    assert report["deleted"] == []
    assert org.log.writes() == []
    assert list_calls(org) == expected_reads(org, seeded["project"])
    texts = run_texts(run)
    assert not any(secret in texts for secret in seeded["secrets"])


def test_act_deletes_exactly_the_idle_user_key_and_idle_account_never_a_rotation_generation(
    org: EmulatorServer, dag: Any, seeded: dict[str, Any]
) -> None:
    project = seeded["project"]
    run = run_dag(dag, {**CONF, "act": True, "delete_user_keys": True})
    assert run.state == "success", task_states(run)
    assert sorted(xcom(run, "hygiene")["deleted"]) == sorted([seeded["idle_key"], seeded["bot"]])
    assert sorted((w.method, w.path) for w in org.log.writes()) == sorted(
        [
            ("DELETE", f"/organization/projects/{project}/api_keys/{seeded['idle_key']}"),
            ("DELETE", f"/organization/projects/{project}/service_accounts/{seeded['bot']}"),
        ]
    )
    accounts = {a.id for a in org.state.projects.get(project).service_accounts}
    assert {seeded["rotated"], seeded["kept"]} <= accounts
    assert seeded["bot"] not in accounts
    assert not any(secret in run_texts(run) for secret in seeded["secrets"])

    org.log.clear()
    again = run_dag(dag, {**CONF, "act": True, "delete_user_keys": True})
    assert again.state == "success", task_states(again)
    assert xcom(again, "hygiene")["deleted"] == []
    assert org.log.writes() == []
    assert json.dumps(xcom(again, "hygiene"))  # JSON in XCom
