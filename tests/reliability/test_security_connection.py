"""Finding 5: the connection's host is parsed once, strictly; a bad one is one configuration
error naming the field, at once, with no request and no retry; its path is never echoed.

The attack (issue 14): ``:80x`` or ``:99999`` in the host surfaced as ``APIConnectionError
... InvalidURL`` after about 25 s of retries naming no field; a query or fragment was
silently dropped; the host's path was echoed in errors and in ``test_connection``.
"""

from __future__ import annotations

import json
import time
from typing import Any

import pytest
from airflow.sdk.exceptions import AirflowFailException

from airflow_provider_openai_projects.client import ConfigurationError
from airflow_provider_openai_projects.emulator.server import EmulatorServer
from airflow_provider_openai_projects.hooks.admin import OpenAIAdminHook
from airflow_provider_openai_projects.operators import CreateProjectOperator
from tests.reliability.hygiene import CONN_ENV, make_context

SECRET_PATH = "tenant-7f3a9-private"


def cases(emulator: EmulatorServer) -> list[tuple[dict[str, Any], str]]:
    port = emulator.port
    return [
        ({"host": f"http://127.0.0.1:80x/{SECRET_PATH}/v1"}, "host"),
        ({"host": f"http://127.0.0.1:99999/{SECRET_PATH}/v1"}, "host"),
        ({"host": f"http://127.0.0.1:0/{SECRET_PATH}/v1"}, "host"),
        ({"host": f"http://127.0.0.1:{port}/{SECRET_PATH}/v1?token=abc"}, "host"),
        ({"host": f"http://127.0.0.1:{port}/{SECRET_PATH}/v1#frag"}, "host"),
        ({"host": f"http://user:pw@127.0.0.1:{port}/{SECRET_PATH}/v1"}, "host"),
        ({"host": "127.0.0.1", "port": 99999}, "port"),
        ({"host": "127.0.0.1", "port": 65536}, "port"),
        ({"host": "http://127.0.0.1", "port": port, "schema": "v1?x=1"}, "schema"),
        ({"host": "http://127.0.0.1", "port": port, "schema": "../v1"}, "schema"),
    ]


def test_every_bad_host_is_one_configuration_error_naming_the_field_and_nothing_is_sent(
    emulator: EmulatorServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    for fields, field in cases(emulator):
        connection = {"conn_type": "openai_admin", "password": emulator.admin_key, **fields}
        monkeypatch.setenv(CONN_ENV, json.dumps(connection))
        started = time.monotonic()
        with pytest.raises(ConfigurationError) as caught:
            OpenAIAdminHook().list_projects()
        assert time.monotonic() - started < 2.0, fields  # no retries
        assert f", {field}:" in str(caught.value), (fields, str(caught.value))
        assert SECRET_PATH not in str(caught.value)
        assert "abc" not in str(caught.value)
        assert "pw" not in str(caught.value).replace("password", "")
        ok, message = OpenAIAdminHook().test_connection()
        assert not ok
        assert SECRET_PATH not in message
        operator = CreateProjectOperator(task_id="p", name="x", deferrable=False)
        with pytest.raises(AirflowFailException):  # fails the task at once: no Airflow retry
            operator.execute(make_context())
    assert emulator.log.entries() == []


def test_a_wrong_path_prefix_is_not_echoed_by_test_connection(
    emulator: EmulatorServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    connection = {
        "conn_type": "openai_admin",
        "host": f"{emulator.url}/{SECRET_PATH}/v1",
        "password": emulator.admin_key,
    }
    monkeypatch.setenv(CONN_ENV, json.dumps({**connection, "extra": {"max_retries": 0}}))
    ok, message = OpenAIAdminHook().test_connection()
    assert not ok
    assert SECRET_PATH not in message
    monkeypatch.setenv(CONN_ENV, json.dumps({**connection, "host": emulator.base_url}))
    ok, message = OpenAIAdminHook().test_connection()
    assert ok
    assert message.endswith(f"at {emulator.url}")
