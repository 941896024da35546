"""``GET /v1/models``: works with project and service-account keys only; records use."""

from __future__ import annotations

from typing import Any

from airflow_provider_openai_projects.emulator.model_catalog import DEFAULT_MODELS
from airflow_provider_openai_projects.emulator.server import EmulatorServer

from .conftest import Api, assert_error


def test_a_service_account_key_lists_the_catalog_and_is_marked_used(
    api: Api, make_api: Any, project: dict[str, Any]
) -> None:
    created = api.ok("POST", f"/organization/projects/{project['id']}/service_accounts", json={"name": "bot"})
    models = make_api(created["api_key"]["value"]).ok("GET", "/models")
    assert models["object"] == "list"
    assert [m["id"] for m in models["data"]] == [m.id for m in DEFAULT_MODELS]
    assert all(m["object"] == "model" and m["owned_by"] and isinstance(m["created"], int) for m in models["data"])
    key = api.ok("GET", f"/organization/projects/{project['id']}/api_keys/{created['api_key']['id']}")
    assert isinstance(key["last_used_at"], int)


def test_a_user_project_key_works(
    api: Api, emulator: EmulatorServer, make_api: Any, project: dict[str, Any], member: dict[str, Any]
) -> None:
    api.ok("POST", f"/organization/projects/{project['id']}/users", json={"user_id": member["id"], "role": "member"})
    key = emulator.create_user_api_key(project["id"], member["id"])
    assert make_api(key["value"]).get("/models").status_code == 200


def test_the_admin_key_is_refused(api: Api) -> None:
    assert_error(api.get("/models"), 403, code="insufficient_permissions")


def test_unknown_or_missing_keys_are_401(make_api: Any) -> None:
    assert_error(make_api("sk-svcacct-made-up-value-000000000").get("/models"), 401, code="invalid_api_key")
    assert_error(make_api(None).get("/models"), 401, code="missing_api_key")
