"""The hook turns an ``openai_admin`` connection into a configured client, and masks keys."""

from __future__ import annotations

import json
from urllib.parse import quote

import pytest
from airflow.sdk._shared.secrets_masker import redact

from airflow_provider_openai_projects.client import ConfigurationError, OpenAIAdminError
from airflow_provider_openai_projects.emulator.server import EmulatorServer
from airflow_provider_openai_projects.hooks.admin import OpenAIAdminHook, base_url_from_connection

CONN_ID = "openai_admin_test"
HOOK_METHODS = [
    "list_projects",
    "create_project",
    "get_project",
    "update_project",
    "archive_project",
    "list_project_users",
    "add_project_user",
    "get_project_user",
    "update_project_user",
    "remove_project_user",
    "list_service_accounts",
    "create_service_account",
    "get_service_account",
    "update_service_account",
    "delete_service_account",
    "create_service_account_api_key",
    "list_project_api_keys",
    "get_project_api_key",
    "delete_project_api_key",
    "list_rate_limits",
    "update_rate_limit",
    "list_invites",
    "create_invite",
    "get_invite",
    "delete_invite",
    "list_users",
    "get_user",
    "update_user",
    "delete_user",
]


def set_json_connection(monkeypatch: pytest.MonkeyPatch, **fields: object) -> None:
    monkeypatch.setenv(f"AIRFLOW_CONN_{CONN_ID.upper()}", json.dumps({"conn_type": "openai_admin", **fields}))


@pytest.fixture
def hook(emulator: EmulatorServer, monkeypatch: pytest.MonkeyPatch) -> OpenAIAdminHook:
    set_json_connection(monkeypatch, host=emulator.base_url, password=emulator.admin_key)
    return OpenAIAdminHook(openai_admin_conn_id=CONN_ID)


def test_hook_exposes_every_endpoint_method_of_the_client() -> None:
    from airflow_provider_openai_projects.client import OpenAIAdminClient

    for name in HOOK_METHODS:
        assert callable(getattr(OpenAIAdminHook, name)), name
        assert callable(getattr(OpenAIAdminClient, name)), name


def test_json_connection_reaches_the_emulator(hook: OpenAIAdminHook, emulator: EmulatorServer) -> None:
    project = hook.create_project(name="from the hook")
    assert project["name"] == "from the hook"
    assert [p["id"] for p in hook.list_projects()][-1] == project["id"]


def test_uri_connection_with_protocol_port_and_schema(
    emulator: EmulatorServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    port = emulator.base_url.split(":")[-1].split("/")[0]
    uri = f"openai-admin://http://:{quote(emulator.admin_key, safe='')}@127.0.0.1:{port}/v1?max_retries=2&timeout=30"
    monkeypatch.setenv(f"AIRFLOW_CONN_{CONN_ID.upper()}", uri)
    hook = OpenAIAdminHook(openai_admin_conn_id=CONN_ID)
    assert hook.client.base_url == emulator.base_url
    assert hook.client._transport.retry.max_retries == 2
    assert hook.client._transport.timeout == (10.0, 30.0)
    assert hook.list_projects()


def test_extras_configure_timeout_retries_and_pacing(emulator: EmulatorServer, monkeypatch: pytest.MonkeyPatch) -> None:
    set_json_connection(
        monkeypatch,
        host=emulator.base_url,
        password=emulator.admin_key,
        extra={"timeout": 12, "max_retries": 0, "requests_per_minute": 90},
    )
    transport = OpenAIAdminHook(openai_admin_conn_id=CONN_ID).client._transport
    assert transport.timeout == (10.0, 12.0)
    assert transport.retry.max_retries == 0
    assert transport.pacer.requests_per_minute == 90


def test_ui_prefixed_extras_are_read_too(emulator: EmulatorServer, monkeypatch: pytest.MonkeyPatch) -> None:
    set_json_connection(
        monkeypatch, host=emulator.base_url, password=emulator.admin_key, extra={"extra__openai_admin__max_retries": 1}
    )
    assert OpenAIAdminHook(openai_admin_conn_id=CONN_ID).client._transport.retry.max_retries == 1


@pytest.mark.parametrize(
    ("extra", "field"),
    [
        ({"timeout": "soon"}, "timeout"),
        ({"max_retries": -1}, "max_retries"),
        ({"max_retries": 2.5}, "max_retries"),
        ({"requests_per_minute": "fast"}, "requests_per_minute"),
        ({"timeout": 0}, "timeout"),
    ],
)
def test_bad_extras_name_the_field(
    extra: dict[str, object], field: str, emulator: EmulatorServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    set_json_connection(monkeypatch, host=emulator.base_url, password=emulator.admin_key, extra=extra)
    with pytest.raises(ConfigurationError, match=field):
        OpenAIAdminHook(openai_admin_conn_id=CONN_ID).get_conn()


def test_missing_password_is_a_clear_configuration_error(monkeypatch: pytest.MonkeyPatch) -> None:
    set_json_connection(monkeypatch, host="https://api.openai.com/v1")
    with pytest.raises(ConfigurationError, match="no admin key"):
        OpenAIAdminHook(openai_admin_conn_id=CONN_ID).get_conn()


def test_plain_http_to_a_remote_host_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    set_json_connection(monkeypatch, host="http://api.openai.com/v1", password="sk-admin-abcdefghijkl")
    with pytest.raises(ConfigurationError, match="non-loopback"):
        OpenAIAdminHook(openai_admin_conn_id=CONN_ID).get_conn()


def test_test_connection_succeeds_with_one_read(hook: OpenAIAdminHook, emulator: EmulatorServer) -> None:
    emulator.log.clear()
    ok, message = hook.test_connection()
    assert ok, message
    assert message.endswith(f" at {emulator.url}")  # scheme, host and port: never the base URL's path
    assert [(e.method, e.path) for e in emulator.log.entries()] == [("GET", "/organization/projects")]


def test_test_connection_failure_never_contains_the_key(
    emulator: EmulatorServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    wrong = "sk-admin-wrong-key-0123456789abcdef"
    set_json_connection(monkeypatch, host=emulator.base_url, password=wrong, extra={"max_retries": 0})
    ok, message = OpenAIAdminHook(openai_admin_conn_id=CONN_ID).test_connection()
    assert not ok
    assert "401" in message
    assert wrong not in message


def test_a_non_admin_key_logs_a_warning_not_an_error(
    emulator: EmulatorServer, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Airflow's structlog handler writes task/hook logs to stdout."""
    set_json_connection(monkeypatch, host=emulator.base_url, password="sk-proj-looks-like-a-project-key")
    OpenAIAdminHook(openai_admin_conn_id=CONN_ID).get_conn()
    out = capsys.readouterr().out
    assert "[warning" in out
    assert "does not start with 'sk-admin-'" in out
    assert "sk-proj-looks-like-a-project-key" not in out


def test_admin_key_is_registered_with_the_masker(hook: OpenAIAdminHook, emulator: EmulatorServer) -> None:
    hook.get_conn()
    assert emulator.admin_key not in str(redact(f"key={emulator.admin_key}"))


def test_minted_keys_are_masked_before_they_are_returned(hook: OpenAIAdminHook) -> None:
    project = hook.create_project(name="masking")
    created = hook.create_service_account(project["id"], name="bot")
    assert created["api_key"] is not None
    first = created["api_key"]["value"]
    second = hook.create_service_account_api_key(project["id"], created["id"], name="second")["value"]
    for value in (first, second):
        assert value not in str(redact(f"the key is {value}"))


def test_verify_api_key_accepts_a_live_key_and_rejects_a_deleted_one(hook: OpenAIAdminHook) -> None:
    project = hook.create_project(name="verify")
    created = hook.create_service_account(project["id"], name="bot")
    assert created["api_key"] is not None
    value = created["api_key"]["value"]
    hook.verify_api_key(value)
    hook.delete_service_account(project["id"], created["id"])
    with pytest.raises(OpenAIAdminError) as caught:
        hook.verify_api_key(value)
    assert value not in str(caught.value)


@pytest.mark.parametrize(
    ("host", "port", "schema", "expected"),
    [
        (None, None, None, "https://api.openai.com/v1"),
        ("api.openai.com", None, None, "https://api.openai.com"),
        ("http://127.0.0.1", 8080, "v1", "http://127.0.0.1:8080/v1"),
        ("https://proxy.internal/openai/v1", 9443, "ignored", "https://proxy.internal:9443/openai/v1"),
    ],
)
def test_base_url_from_connection_fields(host: str | None, port: int | None, schema: str | None, expected: str) -> None:
    assert base_url_from_connection(host, port, schema) == expected
