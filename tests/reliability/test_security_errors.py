"""Findings 2 and 3: no key in an exception's text, whatever an upstream echoes; a bad admin
key is one configuration error naming the password, checked before anything is sent.

Finding 2 (issue 14): redaction applied to the error's ``message`` only, so a proxy that
echoes the request's ``Authorization`` header into ``type``, ``param``, ``code`` or the
``x-request-id`` header put ``Bearer sk-admin-...`` into the exception (and so into failure
callbacks and alert e-mails), on the sync and the async client; keys with characters outside
``[A-Za-z0-9_-]`` kept their tail; a key sink's exception was re-raised word for word.
Finding 3: an admin key with a non-latin-1 character raised a raw ``UnicodeEncodeError``
from ``http.client`` (retried by Airflow) whose ``repr`` held ``Bearer <key>``.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import pytest
from airflow.sdk.exceptions import AirflowFailException

from airflow_provider_openai_projects.client import (
    BadRequestError,
    ConfigurationError,
    InvalidInputError,
    OpenAIAdminClient,
    OpenAIAdminError,
)
from airflow_provider_openai_projects.client.aio import AsyncOpenAIAdminClient
from airflow_provider_openai_projects.emulator.server import EmulatorServer
from airflow_provider_openai_projects.hooks.admin import OpenAIAdminHook
from airflow_provider_openai_projects.operators import CreateProjectOperator, CreateServiceAccountOperator
from airflow_provider_openai_projects.sinks.base import KeySinkError
from tests.reliability.hostile import Received, Scripted, hostile
from tests.reliability.hygiene import CONN_ENV, make_context

ODD_KEYS = [
    "sk-admin-AAAABBBBCCCCDDDD1234",
    "sk-admin-abc$def%ghi&jkl*mno+pqr",  # outside [A-Za-z0-9_-]: the old pattern kept the tail
    "sk-admin-ab.cd,ef;gh!ij~kl^mn|op",
]


def echo_authorization(received: Received) -> Scripted:
    """A proxy that puts the request's Authorization header into every error field and header."""
    auth = received.authorization or ""
    error = {"message": f"denied for {auth}", "type": auth, "param": auth, "code": auth}
    return Scripted(
        400, {"x-request-id": auth, "content-type": "application/json"}, json.dumps({"error": error}).encode()
    )


def assert_no_key(error: BaseException, *keys: str) -> None:
    shown = " ".join([str(error), repr(error), repr(error.args), repr(vars(error))])
    assert "Bearer sk-" not in shown
    for key in keys:
        assert f"Bearer {key[:12]}" not in shown
        assert key not in shown
        assert key[9:] not in shown  # no tail after the prefix either


@pytest.mark.parametrize("key", ODD_KEYS)
def test_a_proxy_echoing_the_key_into_every_error_field_leaks_nothing_sync(key: str) -> None:
    with hostile(echo_authorization) as upstream:
        client = OpenAIAdminClient(key, base_url=upstream.base_url, max_retries=0)
        with pytest.raises(BadRequestError) as caught:
            client.create_project(name="x")
    assert [(r.method, r.path) for r in upstream.received] == [("POST", "/v1/organization/projects")]
    assert_no_key(caught.value, key)
    for name in ("type", "param", "code", "request_id", "message"):
        assert key not in str(getattr(caught.value, name))


@pytest.mark.asyncio
@pytest.mark.parametrize("key", ODD_KEYS)
async def test_a_proxy_echoing_the_key_into_every_error_field_leaks_nothing_async(key: str) -> None:
    with hostile(echo_authorization) as upstream:
        async with AsyncOpenAIAdminClient(key, base_url=upstream.base_url, max_retries=0) as client:
            with pytest.raises(BadRequestError) as caught:
                await client.list_users()
    assert len(upstream.received) == 1
    assert_no_key(caught.value, key)


def test_a_key_given_to_verify_is_redacted_by_value_even_without_the_sk_shape(emulator: EmulatorServer) -> None:
    minted = "xk-project-NotShapedLikeOpenAI-0123456789"  # any alphabet: redacted because the client holds it
    with hostile(echo_authorization) as upstream:
        client = OpenAIAdminClient(emulator.admin_key, base_url=upstream.base_url, max_retries=0)
        with pytest.raises(BadRequestError) as caught:
            client.verify_api_key(minted)
    assert_no_key(caught.value, minted, emulator.admin_key)


def test_a_sink_whose_error_quotes_the_key_is_wrapped_naming_the_entry(
    emulator: EmulatorServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    class QuotingSink:
        given: list[str] = []

        def store(self, name: str, value: str, metadata: Mapping[str, Any]) -> None:
            self.given.append(value)
            raise ValueError(f"cannot store {value!r} at {name}")

        def load(self, name: str) -> None:
            return None

        def delete(self, name: str) -> None:
            return None

    connection = {"conn_type": "openai_admin", "host": emulator.base_url, "password": emulator.admin_key}
    monkeypatch.setenv(CONN_ENV, json.dumps(connection))
    project_id = emulator.state.create_project("team")["id"]
    operator = CreateServiceAccountOperator(
        task_id="bot", project_id=project_id, name="bot", key_sink=QuotingSink(), deferrable=False
    )
    with pytest.raises(KeySinkError) as caught:
        operator.execute(make_context())
    text = str(caught.value)
    assert text.startswith("storing the key at '")
    assert "QuotingSink failed (ValueError)" in text
    assert len(QuotingSink.given) == 1
    assert QuotingSink.given[0] not in text
    assert QuotingSink.given[0][-8:] not in text
    assert caught.value.__cause__ is None
    assert caught.value.__suppress_context__
    # the account whose key could not be stored was deleted again: no unrecoverable key left
    writes = [(e.method, e.route) for e in emulator.log.entries() if e.method != "GET"]
    assert writes[0] == ("POST", "POST /organization/projects/{project_id}/service_accounts")
    assert writes[-1][0] == "DELETE"
    assert emulator.state.snapshot()["projects"][-1]["service_accounts"] == []


# -- finding 3: the admin key is checked when the client is built ------------------------------


@pytest.mark.parametrize(
    "bad", ["sk-admin-clé-0123456789", "sk-admin-\u202e0123456789", "sk-admin-ab cd", "sk-admin-\x00a"]
)
def test_an_unsendable_admin_key_is_one_configuration_error_naming_the_password(
    emulator: EmulatorServer, monkeypatch: pytest.MonkeyPatch, bad: str
) -> None:
    connection = {"conn_type": "openai_admin", "host": emulator.base_url, "password": bad}
    monkeypatch.setenv(CONN_ENV, json.dumps(connection))
    with pytest.raises(ConfigurationError, match="password") as caught:
        OpenAIAdminHook().list_projects()
    assert bad.strip() not in str(caught.value)
    assert "Bearer" not in repr(caught.value)
    operator = CreateProjectOperator(task_id="p", name="x", deferrable=False)
    with pytest.raises(AirflowFailException, match="password"):  # fails at once: no Airflow retry
        operator.execute(make_context())
    assert emulator.log.entries() == []


def test_an_unsendable_key_to_verify_is_refused_before_sending(emulator: EmulatorServer) -> None:
    client = OpenAIAdminClient(emulator.admin_key, base_url=emulator.base_url)
    with pytest.raises(InvalidInputError, match="api_key") as caught:
        client.verify_api_key("sk-proj-clé-0123456789")
    assert "clé" not in str(caught.value)
    assert emulator.log.entries() == []


def test_no_repr_shows_the_bearer_header(emulator: EmulatorServer) -> None:
    client = OpenAIAdminClient(emulator.admin_key, base_url=emulator.base_url)
    shown = " ".join(repr(o) for o in (client, client._transport, client.config))
    assert emulator.admin_key not in shown
    assert "Bearer" not in shown


def test_every_error_class_redacts_a_key_put_in_its_message() -> None:
    key = "sk-admin-x$y%z&0123456789abcdef"
    error = OpenAIAdminError(f"boom {key} and Bearer {key}")
    assert key not in str(error)
    assert key[9:] not in str(error)
