"""Admin API keys over loopback HTTP: value shown once, both kinds listed, a created key
works as an admin key until deleted or expired, the one-year bound (DESIGN.md fact 17)."""

from __future__ import annotations

from collections.abc import Callable

import pytest
import requests

from airflow_provider_openai_projects.client import OpenAIAdminClient
from airflow_provider_openai_projects.client.errors import AuthenticationError, InvalidInputError, NotFoundError
from airflow_provider_openai_projects.emulator.server import EmulatorServer
from airflow_provider_openai_projects.emulator.state.core import DEFAULT_ADMIN_KEY

ROUTE = "/organization/admin_api_keys"


def test_create_returns_the_value_once_and_get_and_list_only_redacted(
    client: OpenAIAdminClient, emulator: EmulatorServer
) -> None:
    created = client.create_admin_api_key(name="ci", expires_in_seconds=3600)

    value = created["value"]
    assert value.startswith("sk-admin-")
    assert created["object"] == "organization.admin_api_key"
    assert created["id"].startswith("key_")
    assert created["name"] == "ci"
    assert created["redacted_value"] == f"sk-admin-****{value[-4:]}"
    assert created["expires_at"] == created["created_at"] + 3600
    assert created["owner"]["type"] == "user"
    assert created["owner"]["role"] == "owner"
    stored = emulator.state.admin_api_keys.get(created["id"])
    assert stored is not None
    assert (stored.name, stored.value, stored.expires_at) == ("ci", value, created["expires_at"])

    fetched = client.get_admin_api_key(created["id"])
    assert "value" not in fetched
    assert fetched == {k: v for k, v in created.items() if k != "value"}

    listed = client.list_admin_api_keys()
    assert [k["id"] for k in listed][1:] == [created["id"]]
    seed = listed[0]
    assert seed["name"] == "Emulator admin key"
    assert seed["redacted_value"] == f"sk-admin-****{emulator.admin_key[-4:]}"
    assert seed["expires_at"] is None
    assert all("value" not in k for k in listed)
    assert value not in str(listed)
    assert emulator.admin_key not in str(listed)
    assert [e.body for e in emulator.log.entries() if e.method == "POST"] == [
        {"name": "ci", "expires_in_seconds": 3600}
    ]


def test_a_created_key_is_an_admin_key_until_it_is_deleted(
    client: OpenAIAdminClient, make_client: Callable[..., OpenAIAdminClient], emulator: EmulatorServer
) -> None:
    created = client.create_admin_api_key(name="second admin")
    assert created["expires_at"] is None
    with OpenAIAdminClient(created["value"], base_url=emulator.base_url) as second:
        assert [p["id"] for p in second.list_projects()] == [emulator.state.default_project_id]
        last = emulator.log.entries()[-1]
        assert (last.key_kind, last.status) == ("admin", 200)
        assert client.get_admin_api_key(created["id"])["last_used_at"] is not None

        deleted = client.delete_admin_api_key(created["id"])

        assert deleted == {"object": "organization.admin_api_key.deleted", "id": created["id"], "deleted": True}
        assert emulator.state.admin_api_keys.get(created["id"]) is None
        with pytest.raises(AuthenticationError) as refused:
            second.list_projects()
        assert refused.value.status_code == 401
        assert created["value"] not in str(refused.value)
    with pytest.raises(NotFoundError):
        client.delete_admin_api_key(created["id"])


def test_an_expired_key_is_refused(client: OpenAIAdminClient, emulator: EmulatorServer) -> None:
    created = client.create_admin_api_key(name="short", expires_in_seconds=60)
    with OpenAIAdminClient(created["value"], base_url=emulator.base_url) as short:
        short.list_projects()
        emulator.state.advance_clock(61)
        with pytest.raises(AuthenticationError):
            short.list_projects()
    assert client.get_admin_api_key(created["id"])["expires_at"] == created["expires_at"]


def test_deleting_the_emulators_own_key_through_the_api_revokes_it(
    client: OpenAIAdminClient, emulator: EmulatorServer
) -> None:
    own = next(k for k in client.list_admin_api_keys() if k["name"] == "Emulator admin key")
    client.delete_admin_api_key(own["id"])
    with pytest.raises(AuthenticationError):
        client.list_projects()
    emulator.reset()
    assert len(client.list_admin_api_keys()) == 1


@pytest.mark.parametrize("seconds", [0, 31_536_001, True])
def test_expires_in_seconds_beyond_a_year_is_refused_before_sending(
    client: OpenAIAdminClient, emulator: EmulatorServer, seconds: int
) -> None:
    with pytest.raises(InvalidInputError) as refused:
        client.create_admin_api_key(name="too long", expires_in_seconds=seconds)
    assert refused.value.field == "expires_in_seconds"
    assert emulator.log.entries() == []


def test_an_empty_name_is_refused_before_sending(client: OpenAIAdminClient, emulator: EmulatorServer) -> None:
    with pytest.raises(InvalidInputError) as refused:
        client.create_admin_api_key(name=" ")
    assert refused.value.field == "name"
    assert emulator.log.entries() == []


@pytest.mark.spec_violations_expected
def test_the_emulator_refuses_a_key_that_expires_after_more_than_a_year(emulator: EmulatorServer) -> None:
    response = requests.post(
        emulator.base_url + ROUTE,
        json={"name": "too long", "expires_in_seconds": 31_536_001},
        headers={"Authorization": f"Bearer {emulator.admin_key}"},
        timeout=10,
    )
    assert response.status_code == 400
    assert response.json()["error"]["param"] == "expires_in_seconds"
    assert len(list(emulator.state.admin_api_keys)) == 1


def test_list_follows_the_cursor_through_250_keys_in_3_requests(
    client: OpenAIAdminClient, emulator: EmulatorServer
) -> None:
    ids = [emulator.state.create_admin_api_key(f"k{i}")["id"] for i in range(249)]
    emulator.log.clear()

    listed = client.list_admin_api_keys()

    assert len(listed) == 250
    assert [k["id"] for k in listed][1:] == ids
    pages = emulator.log.entries()
    assert [e.query.get("after") for e in pages] == [None, [listed[99]["id"]], [listed[199]["id"]]]
    assert all(e.query["limit"] == ["100"] for e in pages)


def test_the_emulators_own_key_is_seeded_as_an_admin_api_key(emulator: EmulatorServer) -> None:
    assert [k.value for k in emulator.state.admin_api_keys] == [emulator.admin_key]
    assert emulator.state.snapshot()["admin_api_keys"][0]["redacted_value"] == f"sk-admin-****{DEFAULT_ADMIN_KEY[-4:]}"
