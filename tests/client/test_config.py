"""One configuration for the sync and the async client, built from a connection in one place."""

from __future__ import annotations

import json
from typing import Any

import pytest

from airflow_provider_openai_projects.client import ConfigurationError, OpenAIAdminClient, RetryPolicy
from airflow_provider_openai_projects.client.aio import AsyncOpenAIAdminClient
from airflow_provider_openai_projects.client.config import ClientConfig, ClientOptions
from airflow_provider_openai_projects.emulator.server import EmulatorServer
from airflow_provider_openai_projects.hooks.admin import OpenAIAdminHook
from airflow_provider_openai_projects.hooks.connection import client_config_from_connection, connection_pacer
from airflow_provider_openai_projects.triggers import OrganizationUserTrigger

BAD: list[tuple[str, dict[str, Any], str]] = [
    ("", {}, "admin API key is required"),
    ("sk-admin-é0123456789", {}, "printable ASCII"),
    ("sk-admin-x", {"max_retries": -1}, "max_retries"),
    ("sk-admin-x", {"backoff_initial": float("nan")}, "initial_delay"),
    ("sk-admin-x", {"timeout": 0}, "timeout must be a positive number"),
    ("sk-admin-x", {"total_timeout": float("inf")}, "total_timeout"),
    ("sk-admin-x", {"max_response_bytes": 0}, "max_response_bytes"),
    ("sk-admin-x", {"max_server_wait": -1}, "max_server_wait"),
    ("sk-admin-x", {"base_url": "http://127.0.0.1:99999/v1"}, "port"),
]


@pytest.mark.parametrize(("key", "options", "problem"), BAD)
def test_both_clients_refuse_a_bad_configuration_with_the_same_error(
    key: str, options: dict[str, Any], problem: str
) -> None:
    with pytest.raises(ConfigurationError, match=problem) as sync_error:
        OpenAIAdminClient(key, **options)
    with pytest.raises(ConfigurationError, match=problem) as async_error:
        AsyncOpenAIAdminClient(key, **options)
    assert str(sync_error.value) == str(async_error.value)


def test_every_client_option_reaches_both_clients_config_the_same_way() -> None:
    """One list of options (:class:`ClientOptions`) builds both clients' configuration."""
    options: ClientOptions = {
        "base_url": "http://127.0.0.1:8080/v1",
        "timeout": 7.0,
        "connect_timeout": 3.0,
        "total_timeout": 50.0,
        "max_response_bytes": 1024,
        "max_server_wait": 99.0,
        "max_retries": 2,
        "max_retry_wait": 5.0,
        "backoff_initial": 0.5,
        "backoff_max": 4.0,
        "requests_per_minute": 30.0,
        "pacing_burst": 2,
        "pacing_scope": "global",
    }
    assert set(options) == set(ClientOptions.__annotations__)
    expected = ClientConfig.create("sk-admin-0123456789", **options)
    assert OpenAIAdminClient("sk-admin-0123456789", **options).config == expected
    assert AsyncOpenAIAdminClient("sk-admin-0123456789", **options).config == expected
    assert (expected.retry.max_retries, expected.pacing_scope, expected.max_response_bytes) == (2, "global", 1024)


def test_a_bad_retry_policy_is_a_configuration_error_on_its_own() -> None:
    with pytest.raises(ConfigurationError, match="max_retries"):
        RetryPolicy(max_retries=-1)


def test_the_config_hides_the_key_and_normalises_the_url() -> None:
    config = ClientConfig.create("sk-admin-0123456789", base_url="127.0.0.1:8080", max_server_wait=10)
    assert "sk-admin" not in repr(config)
    assert config.base_url == "https://127.0.0.1:8080/v1"
    assert config.origin == "https://127.0.0.1:8080"


@pytest.mark.asyncio
async def test_the_hook_and_the_trigger_build_the_same_config_and_share_the_pacer(
    emulator: EmulatorServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    extra = {"timeout": 7, "max_retries": 2, "requests_per_minute": 30, "max_server_wait": 99, "total_timeout": 50}
    host = emulator.base_url + "/"  # not normalised in the connection: both sides normalise it the same way
    connection = {"conn_type": "openai_admin", "host": host, "password": emulator.admin_key, "extra": extra}
    monkeypatch.setenv("AIRFLOW_CONN_OPENAI_ADMIN_DEFAULT", json.dumps(connection))
    hook_client = OpenAIAdminHook().client
    trigger = OrganizationUserTrigger(email="a@example.com")
    async_client, _ = await trigger._open_client()
    try:
        assert async_client.config == hook_client.config
        assert async_client.pacer is hook_client._transport.pacer
        assert hook_client.config.max_server_wait == 99
        assert hook_client.config.retry.max_retries == 2
    finally:
        await async_client.aclose()
    conn = OpenAIAdminHook().get_connection("openai_admin_default")
    config = client_config_from_connection(conn, "openai_admin_default", extra=extra)
    assert connection_pacer("openai_admin_default", config) is hook_client._transport.pacer
