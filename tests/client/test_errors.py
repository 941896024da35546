"""Errors read like the API's own and never carry a key."""

from __future__ import annotations

import pytest

from airflow_provider_openai_projects.client import (
    AuthenticationError,
    BadRequestError,
    ConflictError,
    NotFoundError,
    OpenAIAdminClient,
    PermissionDeniedError,
    RateLimitError,
    ServerError,
)
from airflow_provider_openai_projects.client.errors import error_from_response, redact_keys
from airflow_provider_openai_projects.emulator.server import EmulatorServer


@pytest.mark.parametrize(
    ("status", "cls"),
    [
        (400, BadRequestError),
        (401, AuthenticationError),
        (403, PermissionDeniedError),
        (404, NotFoundError),
        (409, ConflictError),
        (422, BadRequestError),
        (429, RateLimitError),
        (500, ServerError),
        (503, ServerError),
    ],
)
def test_status_maps_to_its_exception_class(status: int, cls: type) -> None:
    body = b'{"error": {"message": "m", "type": "t", "param": null, "code": null}}'
    error = error_from_response(method="GET", path="/x", status_code=status, headers={}, body=body)
    assert type(error) is cls
    assert error.status_code == status


def test_error_text_has_method_path_status_type_and_api_message() -> None:
    body = (
        b'{"error": {"message": "Name is required.", "type": "invalid_request_error", "param": "name", "code": null}}'
    )
    error = error_from_response(
        method="POST", path="/organization/projects", status_code=400, headers={"x-request-id": "req_1"}, body=body
    )
    assert str(error) == (
        "POST /organization/projects -> 400 invalid_request_error: Name is required. (param name, request id req_1)"
    )
    assert (error.type, error.param, error.code, error.request_id) == ("invalid_request_error", "name", None, "req_1")


def test_non_json_error_body_is_kept_as_text() -> None:
    error = error_from_response(method="GET", path="/x", status_code=502, headers={}, body=b"<html>Bad gateway</html>")
    assert "502" in str(error)
    assert "Bad gateway" in str(error)


def test_key_shaped_text_in_an_api_message_is_redacted() -> None:
    key = "sk-admin-AAAABBBBCCCCDDDDEEEEFFFF1234"
    body = f'{{"error": {{"message": "Incorrect API key provided: {key}", "type": "invalid_request_error"}}}}'
    error = error_from_response(method="GET", path="/x", status_code=401, headers={}, body=body.encode())
    assert key not in str(error)
    assert "sk-admi****1234" in str(error)
    assert redact_keys("no keys here") == "no keys here"


def test_invalid_admin_key_error_never_contains_the_key(emulator: EmulatorServer) -> None:
    wrong = "sk-admin-this-is-not-the-right-key-0000"
    client = OpenAIAdminClient(wrong, base_url=emulator.base_url, max_retries=0)
    with pytest.raises(AuthenticationError) as caught:
        client.list_projects()
    assert wrong not in str(caught.value)
    assert wrong not in repr(caught.value.args)
    assert caught.value.status_code == 401
    assert str(caught.value).startswith("GET /organization/projects -> 401")


def test_non_admin_key_is_refused_with_a_permission_error(emulator: EmulatorServer) -> None:
    admin = OpenAIAdminClient(emulator.admin_key, base_url=emulator.base_url)
    project = admin.create_project(name="keys")
    created = admin.create_service_account(project["id"], name="bot")
    assert created["api_key"] is not None
    project_key = created["api_key"]["value"]
    client = OpenAIAdminClient(project_key, base_url=emulator.base_url, max_retries=0)
    with pytest.raises(PermissionDeniedError) as caught:
        client.list_projects()
    assert project_key not in str(caught.value)
