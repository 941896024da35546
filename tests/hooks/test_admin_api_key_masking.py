"""The hook masks a created admin API key's value before it returns it (the table's
``secret_fields``), as it does a service account's key; certificate content is not masked
(not a secret) but the hook never logs it."""

from __future__ import annotations

import json
import logging

import pytest
from airflow.sdk._shared.secrets_masker import redact

from airflow_provider_openai_projects.emulator.server import EmulatorServer
from airflow_provider_openai_projects.hooks.admin import OpenAIAdminHook
from tests.x509_certificates import make_pem_certificate

CONN_ID = "openai_admin_settings_test"


@pytest.fixture
def hook(emulator: EmulatorServer, monkeypatch: pytest.MonkeyPatch) -> OpenAIAdminHook:
    connection = {"conn_type": "openai_admin", "host": emulator.base_url, "password": emulator.admin_key}
    monkeypatch.setenv(f"AIRFLOW_CONN_{CONN_ID.upper()}", json.dumps(connection))
    return OpenAIAdminHook(openai_admin_conn_id=CONN_ID)


def test_a_created_admin_key_is_masked_before_it_is_returned(hook: OpenAIAdminHook, emulator: EmulatorServer) -> None:
    created = hook.create_admin_api_key(name="masked")
    value = created["value"]
    assert value.startswith("sk-admin-")
    assert value not in str(redact(f"the admin key is {value}"))
    stored = emulator.state.admin_api_keys.get(created["id"])
    assert stored is not None
    assert stored.value == value
    listed = hook.list_admin_api_keys()
    assert value not in json.dumps(listed)


def test_certificate_content_never_reaches_the_log(
    hook: OpenAIAdminHook,
    emulator: EmulatorServer,
    caplog: pytest.LogCaptureFixture,
    capsys: pytest.CaptureFixture[str],
) -> None:
    pem, _, _ = make_pem_certificate()
    body = "".join(pem.splitlines()[1:-1])
    with caplog.at_level(logging.DEBUG):
        created = hook.upload_certificate(certificate=pem, name="mtls")
        fetched = hook.get_certificate(created["id"], include=["content"])
    assert fetched["certificate_details"]["content"] == pem
    assert body[:40] not in caplog.text
    assert body[:40] not in capsys.readouterr().out
