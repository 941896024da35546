"""Key sinks proven usable before the first write: a ``variable`` sink outside a running
Airflow task is a file error at the account's path (it once failed mid-apply with an
``ImportError``, after a project and a service account were created)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pytest
from airflow.sdk.execution_time import task_runner

from airflow_provider_openai_projects.client import OpenAIAdminClient
from airflow_provider_openai_projects.orgfile import engine
from airflow_provider_openai_projects.orgfile.errors import OrgFileError
from airflow_provider_openai_projects.orgfile.sinks import in_running_task, resolve_usable_sinks, unusable_reason
from airflow_provider_openai_projects.sinks import InMemoryKeySink, VariableKeySink
from tests.sinks.test_variable_sink import SupervisorStandIn

from .conftest import Org, spec

DOCUMENT = {
    "projects": {
        "team-new": {"service_accounts": {"bot": {"sink": "variable"}}},
        "team-search": {"service_accounts": {"indexer": {"sink": "vault"}}},
    }
}


class BrokenVault(InMemoryKeySink):
    """A sink that knows it cannot store (its server is unreachable)."""

    def check_usable(self) -> None:
        raise ConnectionError("vault.internal:8200 unreachable\x1b[2J")


def planned(client: OpenAIAdminClient, org: Org) -> Any:
    the_plan = engine.plan(client, spec(DOCUMENT))
    assert {(c.where, c.what) for c in the_plan.changes if c.family == "service_accounts"} == {
        ("team-new", "bot"),
        ("team-search", "indexer"),
    }
    return the_plan


def test_a_variable_sink_outside_a_task_is_refused_at_its_path_before_any_write(
    client: OpenAIAdminClient, org: Org
) -> None:
    the_plan = planned(client, org)
    assert not in_running_task()
    with pytest.raises(OrgFileError) as raised:
        resolve_usable_sinks(the_plan.changes, the_plan.source, {"vault": InMemoryKeySink()})
    assert str(raised.value).startswith(
        "org.yaml: projects['team-new'].service_accounts.bot.sink: the key sink 'variable' cannot store this "
        "account's key here: an Airflow Variable can be written only inside a running Airflow task"
    )
    assert org.emulator.log.writes() == []


def test_inside_a_task_the_variable_sink_is_usable(
    client: OpenAIAdminClient, org: Org, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(task_runner, "SUPERVISOR_COMMS", SupervisorStandIn(), raising=False)
    the_plan = planned(client, org)
    vault = InMemoryKeySink()
    sinks = resolve_usable_sinks(the_plan.changes, the_plan.source, {"vault": vault})
    assert isinstance(sinks["variable"], VariableKeySink)
    assert sinks["vault"] is vault


def test_a_sink_that_says_it_cannot_store_is_refused_escaped(client: OpenAIAdminClient, org: Org) -> None:
    the_plan = planned(client, org)
    given: Mapping[str, Any] = {"vault": BrokenVault(), "variable": InMemoryKeySink()}
    with pytest.raises(OrgFileError) as raised:
        resolve_usable_sinks(the_plan.changes, the_plan.source, given)
    assert str(raised.value).startswith(
        "org.yaml: projects['team-search'].service_accounts.indexer.sink: the key sink 'vault' cannot store"
    )
    assert "ConnectionError: vault.internal:8200 unreachable\\x1b[2J" in str(raised.value)
    assert org.emulator.log.writes() == []


def test_a_plain_sink_is_usable() -> None:
    assert unusable_reason(InMemoryKeySink()) is None


def test_apply_refuses_a_variable_sink_outside_a_task_before_creating_the_project(
    client: OpenAIAdminClient, org: Org
) -> None:
    """The attack of issue 17, end to end: the project was created, then the store failed."""
    document = {"projects": {"team-new": {"service_accounts": {"bot": {"sink": "variable"}}}}}
    with pytest.raises(OrgFileError, match=r"projects\['team-new'\]\.service_accounts\.bot\.sink"):
        engine.apply(client, spec(document))
    assert org.emulator.log.writes() == []
