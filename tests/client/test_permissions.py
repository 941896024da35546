"""A project's model and hosted-tool permissions over loopback HTTP (DESIGN.md fact 12):
model permissions are replaced whole and reset by DELETE (and limit what the project's
keys see in ``GET /v1/models``); hosted-tool permissions merge per tool."""

from __future__ import annotations

import pytest

from airflow_provider_openai_projects.client import OpenAIAdminClient
from airflow_provider_openai_projects.client.errors import InvalidInputError
from airflow_provider_openai_projects.emulator.server import EmulatorServer

ALL_ENABLED = {
    tool: {"enabled": True} for tool in ("file_search", "web_search", "image_generation", "mcp", "code_interpreter")
}


def _project_key(client: OpenAIAdminClient, project_id: str) -> str:
    created = client.create_service_account(project_id, name="reader")
    assert created["api_key"] is not None
    return created["api_key"]["value"]


def _models_seen(emulator: EmulatorServer, key: str) -> list[str]:
    return [m["id"] for m in emulator.state.use_key(key)["data"]]


def test_model_permissions_are_replaced_whole_and_limit_the_projects_models(
    client: OpenAIAdminClient, emulator: EmulatorServer
) -> None:
    project_id = emulator.state.create_project("limited", None, None)["id"]
    models = [m.id for m in emulator.state.models]
    key = _project_key(client, project_id)
    assert client.get_project_model_permissions(project_id) == {
        "object": "project.model_permissions",
        "mode": "deny_list",
        "model_ids": [],
    }

    allowed = client.update_project_model_permissions(project_id, mode="allow_list", model_ids=models[:2])

    assert allowed == {"object": "project.model_permissions", "mode": "allow_list", "model_ids": models[:2]}
    assert emulator.log.entries()[-1].body == {"mode": "allow_list", "model_ids": models[:2]}
    assert _models_seen(emulator, key) == models[:2]

    denied = client.update_project_model_permissions(project_id, mode="deny_list", model_ids=[models[0]])

    assert denied["model_ids"] == [models[0]]  # replaced, not merged with the allow list
    assert emulator.state.snapshot()["model_permissions"][project_id] == denied
    assert _models_seen(emulator, key) == models[1:]
    assert client.update_project_model_permissions(project_id, mode="deny_list", model_ids=[models[0]]) == denied


def test_delete_resets_model_permissions_and_is_idempotent(client: OpenAIAdminClient, emulator: EmulatorServer) -> None:
    project_id = emulator.state.default_project_id
    client.update_project_model_permissions(project_id, mode="allow_list", model_ids=["gpt-4.1"])

    deleted = client.delete_project_model_permissions(project_id)

    assert deleted == {"object": "project.model_permissions.deleted", "deleted": True}
    assert project_id not in emulator.state.model_permissions
    assert client.get_project_model_permissions(project_id)["model_ids"] == []
    assert client.delete_project_model_permissions(project_id) == deleted


@pytest.mark.parametrize(
    ("arguments", "field"),
    [
        ({"mode": "block_list", "model_ids": []}, "mode"),
        ({"mode": "allow_list", "model_ids": "gpt-4.1"}, "model_ids"),
        ({"mode": "allow_list", "model_ids": [""]}, "model_ids"),
    ],
)
def test_bad_model_permissions_are_refused_before_sending(
    client: OpenAIAdminClient, emulator: EmulatorServer, arguments: dict[str, object], field: str
) -> None:
    with pytest.raises(InvalidInputError) as refused:
        client.update_project_model_permissions(emulator.state.default_project_id, **arguments)  # type: ignore[arg-type]
    assert refused.value.field == field
    assert emulator.log.entries() == []


def test_hosted_tool_permissions_merge_per_tool(client: OpenAIAdminClient, emulator: EmulatorServer) -> None:
    project_id = emulator.state.default_project_id
    assert client.get_project_hosted_tool_permissions(project_id) == ALL_ENABLED

    first = client.update_project_hosted_tool_permissions(project_id, web_search={"enabled": False})
    second = client.update_project_hosted_tool_permissions(
        project_id, mcp={"enabled": False}, code_interpreter={"enabled": False}
    )

    assert first == {**ALL_ENABLED, "web_search": {"enabled": False}}
    assert second == {
        **ALL_ENABLED,
        "web_search": {"enabled": False},
        "mcp": {"enabled": False},
        "code_interpreter": {"enabled": False},
    }
    bodies = [e.body for e in emulator.log.entries() if e.method == "POST"]
    assert bodies == [
        {"web_search": {"enabled": False}},
        {"mcp": {"enabled": False}, "code_interpreter": {"enabled": False}},
    ]
    assert emulator.state.snapshot()["hosted_tool_permissions"][project_id] == {
        tool: value["enabled"] for tool, value in second.items()
    }
    assert client.get_project_hosted_tool_permissions(project_id) == second
    assert client.update_project_hosted_tool_permissions(project_id, mcp={"enabled": False}) == second


def test_a_hosted_tool_update_needs_a_tool_with_enabled(client: OpenAIAdminClient, emulator: EmulatorServer) -> None:
    project_id = emulator.state.default_project_id
    with pytest.raises(InvalidInputError) as nothing:
        client.update_project_hosted_tool_permissions(project_id)
    assert nothing.value.field == "tools"
    with pytest.raises(InvalidInputError) as bad:
        client.update_project_hosted_tool_permissions(project_id, mcp={"enabled": "no"})  # type: ignore[typeddict-item]
    assert bad.value.field == "mcp"
    assert emulator.log.entries() == []
