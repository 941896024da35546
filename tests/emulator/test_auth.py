"""Authentication and authorization, the error shape, and request ids."""

from __future__ import annotations

from typing import Any

import pytest
import requests

from airflow_provider_openai_projects.emulator.server import EmulatorServer

from .conftest import Api, assert_error


@pytest.mark.spec_violations_expected
def test_missing_key_is_401(make_api: Any) -> None:
    error = assert_error(make_api(None).get("/organization/projects"), 401, code="missing_api_key")
    assert error["type"] == "invalid_request_error"
    assert "API key" in error["message"]


@pytest.mark.parametrize(
    "header",
    [
        pytest.param("Basic abc", marks=pytest.mark.spec_violations_expected),
        pytest.param("Bearer", marks=pytest.mark.spec_violations_expected),
        "Bearer   ",
        pytest.param("sk-admin-no-scheme", marks=pytest.mark.spec_violations_expected),
    ],
)
def test_a_malformed_authorization_header_counts_as_missing(emulator: EmulatorServer, header: str) -> None:
    response = requests.get(f"{emulator.base_url}/organization/projects", headers={"Authorization": header}, timeout=10)
    assert_error(response, 401, code="missing_api_key")


def test_unknown_key_is_401_and_the_message_shows_it_redacted(make_api: Any) -> None:
    wrong = "sk-admin-this-is-not-the-key-but-close-wxyz"
    error = assert_error(make_api(wrong).get("/organization/projects"), 401, code="invalid_api_key")
    assert "sk-admin-****wxyz" in error["message"]
    assert wrong not in error["message"]
    assert "this-is-not" not in error["message"]


def test_a_short_unknown_key_is_not_echoed_at_all(make_api: Any) -> None:
    error = assert_error(make_api("sk-short1").get("/organization/projects"), 401, code="invalid_api_key")
    assert "sk-short1" not in error["message"]
    assert "short" not in error["message"]


def test_project_and_service_account_keys_are_forbidden_on_admin_endpoints(
    api: Api, emulator: EmulatorServer, make_api: Any, project: dict[str, Any], member: dict[str, Any]
) -> None:
    svc = api.ok("POST", f"/organization/projects/{project['id']}/service_accounts", json={"name": "bot"})
    api.ok("POST", f"/organization/projects/{project['id']}/users", json={"user_id": member["id"], "role": "owner"})
    user_key = emulator.create_user_api_key(project["id"], member["id"])["value"]
    for key in (svc["api_key"]["value"], user_key):
        client = make_api(key)
        error = assert_error(client.get("/organization/projects"), 403, code="insufficient_permissions")
        assert key not in error["message"]
        assert_error(client.post("/organization/projects", json={"name": "sneaky"}), 403)
    assert [p["name"] for p in api.list_all("/organization/projects")] == ["Default project", "Test project"]


@pytest.mark.spec_violations_expected
def test_every_response_carries_a_request_id(emulator: EmulatorServer, api: Api, make_api: Any) -> None:
    responses = [
        api.get("/organization/projects"),
        api.post("/organization/projects", json={}),
        api.get("/organization/nowhere"),
        make_api(None).get("/organization/projects"),
        requests.get(f"{emulator.url}/_emulator/state", headers=emulator.control_headers(), timeout=10),
    ]
    ids = [r.headers["x-request-id"] for r in responses]
    assert all(i.startswith("req_") and len(i) > 10 for i in ids)
    assert len(set(ids)) == len(ids)


@pytest.mark.spec_violations_expected
def test_unknown_urls_get_the_error_shape(api: Api) -> None:
    error = assert_error(api.get("/organization/nowhere"), 404)
    assert "Invalid URL" in error["message"]
    assert_error(api.delete("/organization/projects"), 405)
