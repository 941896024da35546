"""Service accounts in the org file, over the emulator: export -> plan in sync, apply creates
exactly the missing accounts and delivers each key to a real sink (an Airflow Variable through
the Task SDK), a second apply writes nothing, interrupted applies converge with no duplicate,
unlisted accounts are destructive removals, no key anywhere but the sink, bad values refused."""

from __future__ import annotations

import copy
import json
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from airflow.sdk.execution_time import task_runner

from airflow_provider_openai_projects.client import OpenAIAdminClient
from airflow_provider_openai_projects.emulator.faults import FaultRule
from airflow_provider_openai_projects.emulator.server import EmulatorServer
from airflow_provider_openai_projects.orgfile import engine
from airflow_provider_openai_projects.orgfile.errors import OrgFileError, PlanRefusedError
from airflow_provider_openai_projects.orgfile.handlers.service_accounts import logical_name
from airflow_provider_openai_projects.sinks import InMemoryKeySink, VariableKeySink
from tests.operators.conftest import connect, make_context
from tests.sinks.test_variable_sink import SupervisorStandIn

from .conftest import Org, seed, spec, writes

GENERATION = "indexer--20260101T000000Z-abcdef"


@dataclass
class Accounts:
    org: Org
    bot: str
    indexer: str


@pytest.fixture
def accounts(emulator: EmulatorServer) -> Accounts:
    """The conftest organization plus, in team-search, ``search-bot`` (a plain name, as
    CreateServiceAccountOperator makes) and a rotation generation of ``indexer``."""
    org = seed(emulator)
    bot = emulator.state.create_service_account(org.search, "search-bot")["id"]
    indexer = emulator.state.create_service_account(org.search, GENERATION)["id"]
    emulator.log.clear()
    return Accounts(org, bot, indexer)


@pytest.fixture
def comms(monkeypatch: pytest.MonkeyPatch) -> SupervisorStandIn:
    """Airflow Variables as a task sees them (the Task SDK's real Variable API)."""
    stand_in = SupervisorStandIn()
    monkeypatch.setattr(task_runner, "SUPERVISOR_COMMS", stand_in, raising=False)
    return stand_in


def live_accounts(emulator: EmulatorServer, project_id: str) -> dict[str, str]:
    """name -> id of the project's service accounts."""
    return {a.name: a.id for a in emulator.state.projects.get(project_id).service_accounts}


def live_keys(emulator: EmulatorServer) -> list[str]:
    """Every service-account key value the emulator ever minted and still holds."""
    return [k.value for p in emulator.state.projects for k in p.api_keys if k.owner_type == "service_account"]


def key_of(emulator: EmulatorServer, project_id: str, account_id: str) -> str:
    keys = [k.value for k in emulator.state.projects.get(project_id).api_keys if k.owner_id == account_id]
    assert len(keys) == 1
    return keys[0]


def exported(client: OpenAIAdminClient, org: Org) -> dict[str, Any]:
    document = engine.export(client)
    org.emulator.log.clear()
    return document


def with_new_accounts(document: dict[str, Any]) -> dict[str, Any]:
    """The export plus ``reporter`` in team-search (default entry) and ``ads-bot`` in
    team-ads (its own entry), both delivered to Airflow Variables."""
    wanted = copy.deepcopy(document)
    wanted["projects"]["team-search"]["service_accounts"]["reporter"] = {"sink": "variable"}
    wanted["projects"]["team-ads"]["service_accounts"] = {
        "ads-bot": {"sink": "variable", "entry": "openai_team_ads_bot_api_key"}
    }
    return wanted


def test_logical_names_cover_plain_names_and_rotation_generations() -> None:
    assert logical_name("search-bot") == "search-bot"
    assert logical_name(GENERATION) == "indexer"
    assert logical_name("reporter--initial") == "reporter"
    assert logical_name("a--b--c") is None  # no file can declare it: left alone
    assert logical_name("trailing-") is None


def test_export_lists_logical_accounts_and_planning_it_reports_no_change(
    client: OpenAIAdminClient, accounts: Accounts
) -> None:
    document = engine.export(client)
    plan = engine.plan(client, spec(document))

    assert document["projects"]["team-search"]["service_accounts"] == {"indexer": None, "search-bot": None}
    assert "service_accounts" not in document["projects"]["team-ads"]  # none there: unmanaged
    assert plan.in_sync, plan.changes
    assert writes(accounts.org.emulator) == []


def test_apply_creates_exactly_the_missing_accounts_and_delivers_each_key_to_its_variable(
    client: OpenAIAdminClient, accounts: Accounts, comms: SupervisorStandIn
) -> None:
    org = accounts.org
    document = with_new_accounts(exported(client, org))

    result = engine.apply(client, spec(document))

    assert sorted(writes(org.emulator)) == sorted(
        [
            f"POST /organization/projects/{org.search}/service_accounts",
            f"POST /organization/projects/{org.ads}/service_accounts",
        ]
    )
    assert result.writes == 2
    assert [(c.action, c.where, c.what, c.after) for c in result.done] == [
        ("create", "team-search", "reporter", {"sink": "variable"}),
        ("create", "team-ads", "ads-bot", {"sink": "variable"}),
    ]
    search, ads = live_accounts(org.emulator, org.search), live_accounts(org.emulator, org.ads)
    assert set(search) == {"search-bot", GENERATION, "reporter--initial"}
    assert set(ads) == {"ads-bot--initial"}
    for entry, project_id, account_id in [
        ("openai_reporter_api_key", org.search, search["reporter--initial"]),
        ("openai_team_ads_bot_api_key", org.ads, ads["ads-bot--initial"]),
    ]:
        stored = VariableKeySink().load(entry)
        assert stored is not None
        assert stored.value == key_of(org.emulator, project_id, account_id)
        assert stored.metadata["service_account_id"] == account_id
        assert stored.metadata["generation"] == "initial"  # a generation the rotation operator owns
    assert set(comms.variables) == {"openai_reporter_api_key", "openai_team_ads_bot_api_key"}

    org.emulator.log.clear()
    again = engine.apply(client, spec(document))
    assert again.writes == 0
    assert writes(org.emulator) == []


def test_a_lost_create_response_is_reconciled_leaving_one_account_whose_key_is_stored(
    client: OpenAIAdminClient, accounts: Accounts, comms: SupervisorStandIn
) -> None:
    org = accounts.org
    document = with_new_accounts(exported(client, org))
    path = f"/organization/projects/{org.search}/service_accounts"
    org.emulator.faults.add(FaultRule(method="POST", path=path, status=500, when="after"))

    engine.apply(client, spec(document))

    create = f"POST /organization/projects/{org.search}/service_accounts"
    sent = writes(org.emulator)
    assert sent[0] == create  # applied, but its response was lost
    assert sent[1].startswith(f"DELETE /organization/projects/{org.search}/service_accounts/")  # keyless: deleted
    assert sent[2:] == [create, f"POST /organization/projects/{org.ads}/service_accounts"]
    reporters = [n for n in live_accounts(org.emulator, org.search) if n.startswith("reporter")]
    assert reporters == ["reporter--initial"]
    stored = VariableKeySink().load("openai_reporter_api_key")
    assert stored is not None
    assert stored.metadata["service_account_id"] == live_accounts(org.emulator, org.search)["reporter--initial"]
    org.emulator.log.clear()
    assert engine.apply(client, spec(document)).writes == 0


def test_an_apply_stopped_after_a_create_resumes_on_rerun_with_no_duplicate(
    client: OpenAIAdminClient, accounts: Accounts, comms: SupervisorStandIn
) -> None:
    org = accounts.org
    document = with_new_accounts(exported(client, org))
    ads_path = f"/organization/projects/{org.ads}/service_accounts"
    org.emulator.faults.add(FaultRule(method="POST", path=ads_path, status=503, times=None))

    with pytest.raises(engine.ApplyError) as stopped:
        engine.apply(client, spec(document))
    assert [c.what for c in stopped.value.result.done] == ["reporter"]
    org.emulator.faults.clear()
    org.emulator.log.clear()

    rerun = engine.apply(client, spec(document))

    assert [c.what for c in rerun.done] == ["ads-bot"]
    assert writes(org.emulator) == [f"POST /organization/projects/{org.ads}/service_accounts"]
    assert [n for n in live_accounts(org.emulator, org.search) if n.startswith("reporter")] == ["reporter--initial"]
    assert list(live_accounts(org.emulator, org.ads)) == ["ads-bot--initial"]


def test_a_key_that_cannot_be_stored_deletes_its_account_and_a_rerun_converges(
    client: OpenAIAdminClient, accounts: Accounts, caplog: pytest.LogCaptureFixture
) -> None:
    """A sink given by name (``key_sinks``): the store fails once, the account is deleted
    (no key left only in memory or only in the API), the rerun creates it once."""
    org = accounts.org
    document = exported(client, org)
    document["projects"]["team-search"]["service_accounts"]["reporter"] = {"sink": "vault"}
    vault = InMemoryKeySink()
    vault.fail_next_store = True
    caplog.set_level(logging.DEBUG)

    with pytest.raises(engine.ApplyError) as failed:
        engine.apply(client, spec(document), key_sinks={"vault": vault})

    assert not any(n.startswith("reporter") for n in live_accounts(org.emulator, org.search))
    assert vault.names() == []
    message = str(failed.value)
    org.emulator.log.clear()

    engine.apply(client, spec(document), key_sinks={"vault": vault})

    assert [n for n in live_accounts(org.emulator, org.search) if n.startswith("reporter")] == ["reporter--initial"]
    assert vault.names() == ["openai_reporter_api_key"]
    for key in live_keys(org.emulator):
        assert key not in message
        assert key not in caplog.text


def test_unlisted_accounts_are_destructive_removals_counted_against_the_limit(
    client: OpenAIAdminClient, accounts: Accounts
) -> None:
    org = accounts.org
    document = exported(client, org)
    document["projects"]["team-search"]["service_accounts"] = {}
    document["settings"]["max_destructive_changes"] = 1

    plan = engine.plan(client, spec(document))
    assert [(c.action, c.what, c.destructive, c.before) for c in plan.changes] == [
        ("remove", "indexer", True, {"accounts": [GENERATION]}),
        ("remove", "search-bot", True, {"accounts": ["search-bot"]}),
    ]
    with pytest.raises(PlanRefusedError, match="risky changes affect 2 objects"):
        engine.apply(client, spec(document))
    assert writes(org.emulator) == []

    document["settings"]["max_destructive_changes"] = 2
    result = engine.apply(client, spec(document))

    assert sorted(writes(org.emulator)) == sorted(
        f"DELETE /organization/projects/{org.search}/service_accounts/{i}" for i in (accounts.bot, accounts.indexer)
    )
    assert result.writes == 2
    assert live_accounts(org.emulator, org.search) == {}


def test_a_project_without_the_key_keeps_its_accounts(client: OpenAIAdminClient, accounts: Accounts) -> None:
    document = exported(client, accounts.org)
    del document["projects"]["team-search"]["service_accounts"]
    assert engine.plan(client, spec(document)).in_sync


def test_no_key_reaches_the_plan_json_the_result_the_logs_or_the_apply_operators_xcom(
    accounts: Accounts, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    from airflow_provider_openai_projects.operators import OrgApplyOperator, OrgPlanOperator

    org = accounts.org
    connect(monkeypatch, org.emulator)
    org_file = tmp_path / "org.yaml"
    org_file.write_text(
        "projects:\n  team-search:\n    service_accounts:\n      search-bot: null\n      indexer:\n"
        "      reporter: {sink: vault, entry: openai_search_reporter_api_key}\n"
    )
    uri = (tmp_path / "plan.json").as_uri()
    vault = InMemoryKeySink()
    context = make_context()
    caplog.set_level(logging.DEBUG)

    planned = OrgPlanOperator(task_id="plan", org_file=str(org_file), plan_uri=uri, org_root=str(tmp_path)).execute(
        context
    )
    applied = OrgApplyOperator(task_id="apply", plan_uri=uri, key_sinks={"vault": vault}).execute(context)

    stored = vault.load("openai_search_reporter_api_key")
    assert stored is not None
    assert applied["applied"] == 1
    saved = (tmp_path / "plan.json").read_text()
    assert json.loads(saved)["changes"][0]["after"] == {"sink": "vault"}
    keys = live_keys(org.emulator)
    assert stored.value in keys
    for key in keys:
        for text in (saved, json.dumps(planned), json.dumps(applied), json.dumps(context["ti"].xcom), caplog.text):
            assert key not in text


def test_a_missing_account_without_a_sink_is_a_file_error_with_no_write(
    client: OpenAIAdminClient, accounts: Accounts
) -> None:
    document = exported(client, accounts.org)
    document["projects"]["team-ads"]["service_accounts"] = {"ads-bot": None}

    with pytest.raises(OrgFileError) as error:
        engine.apply(client, spec(document))

    assert str(error.value).startswith("org.yaml: projects['team-ads'].service_accounts['ads-bot']: no service account")
    assert "\n" not in str(error.value)
    assert writes(accounts.org.emulator) == []


def test_an_unknown_sink_name_is_refused_before_any_write(client: OpenAIAdminClient, accounts: Accounts) -> None:
    document = exported(client, accounts.org)
    document["projects"]["team-ads"]["service_accounts"] = {"ads-bot": {"sink": "vault"}}
    document["projects"]["team-ads"]["members"]["eve@example.com"] = "member"  # another change, not made either

    with pytest.raises(OrgFileError, match=r"service_accounts\['ads-bot'\]\.sink: no key sink named 'vault'"):
        engine.apply(client, spec(document))
    assert writes(accounts.org.emulator) == []


@pytest.mark.parametrize(
    ("accounts_value", "path", "problem"),
    [
        ({"a--b": None}, "service_accounts['a--b']", "bad key"),
        ({"bot-": None}, "service_accounts['bot-']", "bad key"),
        ({"bot": {"sink": "no spaces"}}, "service_accounts.bot.sink", "does not match"),
        ({"bot": {"entry": "openai_bot_api_key"}}, "service_accounts.bot", "'sink' is a dependency of 'entry'"),
        ({"bot": {"sink": "variable", "key": "sk-svcacct-x"}}, "service_accounts.bot.key", "unknown key"),
        ({"bot": "variable"}, "service_accounts.bot", "must be"),
        ({"bot": {"sink": "variable", "entry": "bad entry!"}}, "service_accounts.bot.entry", "does not match"),
    ],
)
def test_bad_values_are_one_line_file_errors_before_any_request(
    emulator: EmulatorServer, accounts_value: dict[str, Any], path: str, problem: str
) -> None:
    document = {"projects": {"team-search": {"service_accounts": accounts_value}}}

    with pytest.raises(OrgFileError) as error:
        spec(document)

    message = str(error.value)
    assert message.startswith(f"org.yaml: projects['team-search'].{path}: "), message
    assert problem in message
    assert "\n" not in message
    assert emulator.log.entries() == []


def test_two_accounts_delivering_to_one_entry_are_refused_by_the_loader() -> None:
    document = {
        "projects": {
            "team-search": {"service_accounts": {"bot": {"sink": "variable"}}},
            "team-ads": {"service_accounts": {"bot": {"sink": "variable"}}},
        }
    }
    with pytest.raises(OrgFileError, match=r"projects\['team-ads'\]\.service_accounts\.bot: its key would go to"):
        spec(document)
    document["projects"]["team-ads"]["service_accounts"]["bot"]["entry"] = "openai_ads_bot_api_key"
    assert spec(document).projects.keys() == {"team-search", "team-ads"}


@pytest.mark.parametrize("entry", ["../openai_bot_api_key", "team/../other", "./x", "a//b", "team/"])
def test_a_path_like_entry_is_refused_by_the_loader_with_the_operators_rule(entry: str) -> None:
    document = {"projects": {"team-search": {"service_accounts": {"bot": {"sink": "variable", "entry": entry}}}}}
    with pytest.raises(OrgFileError, match=r"service_accounts\.bot\.entry: invalid entry: .*segment") as error:
        spec(document)
    assert f"got '{entry}'" in str(error.value)


def test_an_entry_with_slashes_and_dots_inside_its_segments_is_accepted_by_the_loader() -> None:
    document = {"projects": {"team-search": {"service_accounts": {"bot": {"sink": "vault", "entry": "team/svc.v1"}}}}}
    assert spec(document).projects.keys() == {"team-search"}


def test_the_rotation_operator_rotates_an_account_the_file_created_and_the_plan_stays_in_sync(
    client: OpenAIAdminClient, accounts: Accounts, monkeypatch: pytest.MonkeyPatch
) -> None:
    from airflow_provider_openai_projects.operators.rotation import RotateServiceAccountOperator

    org = accounts.org
    connect(monkeypatch, org.emulator)
    document = exported(client, org)
    document["projects"]["team-search"]["service_accounts"]["reporter"] = {"sink": "vault"}
    vault = InMemoryKeySink()
    engine.apply(client, spec(document), key_sinks={"vault": vault})
    first = vault.load("openai_reporter_api_key")
    assert first is not None

    rotated = RotateServiceAccountOperator(
        task_id="rotate",
        project_id=org.search,
        service_account_name="reporter",
        key_sink=vault,
        delete_previous=True,
        keep_previous=0,
        verify_backoff=0,
    ).execute(make_context())

    reporters = [n for n in live_accounts(org.emulator, org.search) if n.startswith("reporter")]
    assert reporters == [f"reporter--{rotated['generation']}"]  # the file's first generation was revoked
    current = vault.load("openai_reporter_api_key")
    assert current is not None
    assert current.value != first.value
    org.emulator.log.clear()
    assert engine.plan(client, spec(document)).in_sync
    assert writes(org.emulator) == []
