"""Model permissions, hosted-tool permissions and data retention in the org file, over the
emulator: minimum writes then none, drift field by field, ``reset`` counted destructive,
export -> plan in sync."""

from __future__ import annotations

from typing import Any

from airflow_provider_openai_projects.client import OpenAIAdminClient
from airflow_provider_openai_projects.orgfile import engine

from .conftest import Org, spec, writes


def desired(client: OpenAIAdminClient, org: Org) -> dict[str, Any]:
    document = engine.export(client)
    assert engine.plan(client, spec(document)).in_sync  # the organization's retention is exported
    document["organization"]["data_retention"] = "zero_data_retention"
    document["projects"]["team-search"].update(
        {
            "model_permissions": {"mode": "allow_list", "model_ids": ["gpt-4o", "gpt-4o"]},
            "hosted_tools": {"web_search": False, "file_search": True},  # file_search is already on
            "data_retention": "zero_data_retention",
        }
    )
    org.emulator.log.clear()
    return document


def test_apply_makes_one_write_per_setting_that_differs_and_a_second_apply_none(
    client: OpenAIAdminClient, org: Org
) -> None:
    document = desired(client, org)

    result = engine.apply(client, spec(document))

    assert sorted(writes(org.emulator)) == sorted(
        [
            "POST /organization/data_retention",
            f"POST /organization/projects/{org.search}/model_permissions",
            f"POST /organization/projects/{org.search}/hosted_tool_permissions",
            f"POST /organization/projects/{org.search}/data_retention",
        ]
    )
    assert result.writes == len(writes(org.emulator)) == 4
    # narrowing: the allow list of models shrinks, web search is disabled
    assert result.plan.destructive_count == 2
    assert client.get_project_model_permissions(org.search)["model_ids"] == ["gpt-4o"]
    assert client.get_project_hosted_tool_permissions(org.search)["web_search"] == {"enabled": False}
    org.emulator.log.clear()
    assert engine.apply(client, spec(document)).writes == 0
    assert writes(org.emulator) == []


def test_drift_in_project_settings_is_reported_field_by_field(client: OpenAIAdminClient, org: Org) -> None:
    document = desired(client, org)
    engine.apply(client, spec(document))
    client.update_project_hosted_tool_permissions(org.search, web_search={"enabled": True})
    client.update_project_model_permissions(org.search, mode="deny_list", model_ids=["gpt-4o"])
    client.update_project_data_retention(org.search, retention_type="none")
    org.emulator.log.clear()

    plan = engine.plan(client, spec(document))

    assert writes(org.emulator) == []
    assert {(c.family, c.where, str(c.before), str(c.after)) for c in plan.changes} == {
        ("hosted_tools", "team-search", str({"web_search": True}), str({"web_search": False})),
        ("model_permissions", "team-search", str({"mode": "deny_list"}), str({"mode": "allow_list"})),
        ("data_retention", "team-search", str({"type": "none"}), str({"type": "zero_data_retention"})),
    }


def test_model_permissions_reset_is_a_destructive_delete(client: OpenAIAdminClient, org: Org) -> None:
    document = desired(client, org)
    engine.apply(client, spec(document))
    document["projects"]["team-search"]["model_permissions"] = "reset"
    org.emulator.log.clear()

    plan = engine.plan(client, spec(document))
    assert [(c.family, c.action, c.destructive) for c in plan.changes] == [("model_permissions", "remove", True)]
    engine.apply(client, spec(document))
    assert writes(org.emulator) == [f"DELETE /organization/projects/{org.search}/model_permissions"]
    org.emulator.log.clear()
    assert engine.plan(client, spec(document)).in_sync
