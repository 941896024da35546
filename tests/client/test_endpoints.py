"""Every client method over real HTTP to the emulator: the fields it returns and the state after.

One test per endpoint family; each call's result is checked against the emulator's state
(read directly from the in-process emulator, not through the API under test).
"""

from __future__ import annotations

import pytest

from airflow_provider_openai_projects.client import (
    BadRequestError,
    InvalidInputError,
    NotFoundError,
    OpenAIAdminClient,
)
from airflow_provider_openai_projects.emulator.server import EmulatorServer


def test_projects_create_get_update_archive_and_list(emulator: EmulatorServer, client: OpenAIAdminClient) -> None:
    created = client.create_project(name="Search", external_key_id="ekm_1", residency="EU_STORAGE_PROCESSING")
    assert created["object"] == "organization.project"
    assert (created["name"], created["status"], created["external_key_id"]) == ("Search", "active", "ekm_1")
    assert created["id"].startswith("proj_")
    stored = emulator.state.projects.get(created["id"])
    assert stored is not None
    assert (stored.name, stored.residency) == ("Search", "EU_STORAGE_PROCESSING")

    assert client.get_project(created["id"]) == created
    updated = client.update_project(created["id"], name="Search v2")
    assert updated["name"] == "Search v2"
    assert emulator.state.projects.get(created["id"]).name == "Search v2"

    archived = client.archive_project(created["id"])
    assert (archived["status"], archived["archived_at"] is not None) == ("archived", True)
    assert emulator.state.projects.get(created["id"]).archived_at is not None
    assert created["id"] not in [p["id"] for p in client.list_projects()]
    assert created["id"] in [p["id"] for p in client.list_projects(include_archived=True)]


def test_project_users_add_by_id_and_email_get_update_remove(
    emulator: EmulatorServer, client: OpenAIAdminClient
) -> None:
    project = client.create_project(name="People")
    ada = emulator.add_org_user("ada@example.com", name="Ada")
    bob = emulator.add_org_user("bob@example.com", name="Bob")

    by_id = client.add_project_user(project["id"], user_id=ada["id"], role="member")
    by_email = client.add_project_user(project["id"], email="bob@example.com", role="owner")
    assert (by_id["object"], by_id["id"], by_id["role"]) == ("organization.project.user", ada["id"], "member")
    assert (by_email["id"], by_email["email"], by_email["role"]) == (bob["id"], "bob@example.com", "owner")
    memberships = emulator.state.projects.get(project["id"]).users
    assert {(m.user_id, m.role) for m in memberships} == {(ada["id"], "member"), (bob["id"], "owner")}

    assert client.get_project_user(project["id"], ada["id"])["email"] == "ada@example.com"
    assert client.update_project_user(project["id"], ada["id"], role="owner")["role"] == "owner"
    assert memberships.get(ada["id"]).role == "owner"
    assert {u["id"] for u in client.list_project_users(project["id"])} == {ada["id"], bob["id"]}

    removed = client.remove_project_user(project["id"], bob["id"])
    assert removed == {"object": "organization.project.user.deleted", "id": bob["id"], "deleted": True}
    assert bob["id"] not in memberships
    with pytest.raises(NotFoundError):
        client.get_project_user(project["id"], bob["id"])


def test_add_project_user_needs_exactly_one_of_user_id_and_email(
    emulator: EmulatorServer, client: OpenAIAdminClient
) -> None:
    with pytest.raises(InvalidInputError, match="user_id/email"):
        client.add_project_user("proj_x", role="member")
    with pytest.raises(InvalidInputError, match="user_id/email"):
        client.add_project_user("proj_x", role="member", user_id="u", email="e@example.com")
    assert emulator.log.entries() == []


def test_service_accounts_create_get_update_key_and_delete(emulator: EmulatorServer, client: OpenAIAdminClient) -> None:
    project = client.create_project(name="Bots")
    created = client.create_service_account(project["id"], name="indexer")
    api_key = created["api_key"]
    assert api_key is not None
    assert (created["object"], created["name"], created["role"]) == (
        "organization.project.service_account",
        "indexer",
        "member",
    )
    assert api_key["value"].startswith("sk-")
    accounts = emulator.state.projects.get(project["id"]).service_accounts
    assert [a.id for a in accounts] == [created["id"]]
    assert emulator.use_key(api_key["value"]) == 200

    fetched = client.get_service_account(project["id"], created["id"])
    assert "api_key" not in fetched
    assert fetched["name"] == "indexer"
    assert client.update_service_account(project["id"], created["id"], name="indexer-2")["name"] == "indexer-2"
    assert accounts.get(created["id"]).name == "indexer-2"
    assert [a["id"] for a in client.list_service_accounts(project["id"])] == [created["id"]]

    second = client.create_service_account_api_key(project["id"], created["id"], name="second")
    assert second["object"] == "organization.project.service_account.api_key"
    assert second["name"] == "second"
    assert emulator.use_key(second["value"]) == 200

    deleted = client.delete_service_account(project["id"], created["id"])
    assert deleted["deleted"] is True
    assert list(accounts) == []
    assert emulator.use_key(api_key["value"]) == 401
    assert emulator.use_key(second["value"]) == 401

    keyless = client.create_service_account(project["id"], name="keyless", create_service_account_only=True)
    assert keyless["api_key"] is None


def test_project_api_keys_list_get_delete_and_service_account_keys_refused(
    emulator: EmulatorServer, client: OpenAIAdminClient
) -> None:
    project = client.create_project(name="Keys")
    ada = emulator.add_org_user("ada@example.com")
    client.add_project_user(project["id"], user_id=ada["id"], role="member")
    user_key = emulator.create_user_api_key(project["id"], ada["id"], name="laptop")
    account = client.create_service_account(project["id"], name="bot")
    assert account["api_key"] is not None
    bot_key_id = account["api_key"]["id"]

    keys = {k["id"]: k for k in client.list_project_api_keys(project["id"])}
    assert set(keys) == {user_key["id"], bot_key_id}
    assert keys[user_key["id"]]["owner"]["type"] == "user"
    assert keys[bot_key_id]["owner"]["type"] == "service_account"
    for key in keys.values():
        assert "value" not in key
        assert "****" in key["redacted_value"] or "..." in key["redacted_value"]

    assert client.get_project_api_key(project["id"], user_key["id"])["name"] == "laptop"
    with pytest.raises(BadRequestError, match="service account"):
        client.delete_project_api_key(project["id"], bot_key_id)
    assert bot_key_id in emulator.state.projects.get(project["id"]).api_keys

    assert client.delete_project_api_key(project["id"], user_key["id"])["deleted"] is True
    assert user_key["id"] not in emulator.state.projects.get(project["id"]).api_keys
    assert emulator.use_key(user_key["value"]) == 401
    assert client.list_project_api_keys(project["id"], owner_project_access="any")


def test_rate_limits_list_and_update_only_the_given_fields(emulator: EmulatorServer, client: OpenAIAdminClient) -> None:
    project = client.create_project(name="Limits")
    limits = {r["model"]: r for r in client.list_rate_limits(project["id"])}
    assert set(limits) == {m.id for m in emulator.state.models}
    gpt4o = limits["gpt-4o"]
    assert (gpt4o["object"], gpt4o["id"]) == ("project.rate_limit", "rl-gpt-4o")

    updated = client.update_rate_limit(project["id"], "rl-gpt-4o", max_requests_per_1_minute=123)
    assert updated["max_requests_per_1_minute"] == 123
    assert updated["max_tokens_per_1_minute"] == gpt4o["max_tokens_per_1_minute"]
    stored = emulator.state.projects.get(project["id"]).rate_limits.get("rl-gpt-4o")
    assert stored.limits["max_requests_per_1_minute"] == 123
    assert emulator.log.entries()[-1].body == {"max_requests_per_1_minute": 123}


def test_update_rate_limit_refuses_unknown_fields_locally(emulator: EmulatorServer, client: OpenAIAdminClient) -> None:
    with pytest.raises(InvalidInputError, match="max_requests_per_hour"):
        client.update_rate_limit("proj_x", "rl-gpt-4o", max_requests_per_hour=1)
    with pytest.raises(InvalidInputError, match="at least one"):
        client.update_rate_limit("proj_x", "rl-gpt-4o")
    assert emulator.log.entries() == []


def test_invites_create_get_list_delete(emulator: EmulatorServer, client: OpenAIAdminClient) -> None:
    project = client.create_project(name="Invited")
    invite = client.create_invite(
        email="new@example.com", role="reader", projects=[{"id": project["id"], "role": "member"}]
    )
    assert (invite["object"], invite["status"], invite["email"]) == (
        "organization.invite",
        "pending",
        "new@example.com",
    )
    assert invite["projects"] == [{"id": project["id"], "role": "member"}]
    assert emulator.state.invites.get(invite["id"]) is not None

    assert client.get_invite(invite["id"])["id"] == invite["id"]
    assert [i["id"] for i in client.list_invites()] == [invite["id"]]
    assert client.delete_invite(invite["id"])["deleted"] is True
    assert emulator.state.invites.get(invite["id"]) is None


def test_users_list_with_emails_get_update_delete(emulator: EmulatorServer, client: OpenAIAdminClient) -> None:
    ada = emulator.add_org_user("ada@example.com", name="Ada")
    emulator.add_org_user("bob@example.com")
    found = client.list_users(emails=["ada@example.com"])
    assert [u["id"] for u in found] == [ada["id"]]
    assert found[0]["object"] == "organization.user"
    assert len(client.list_users()) == 3  # the seeded owner, Ada, Bob
    assert emulator.log.entries()[0].query["emails"] == ["ada@example.com"]

    assert client.get_user(ada["id"])["email"] == "ada@example.com"
    assert client.update_user(ada["id"], role="owner")["role"] == "owner"
    assert emulator.state.users.get(ada["id"]).role == "owner"
    assert client.delete_user(ada["id"])["deleted"] is True
    assert emulator.state.users.get(ada["id"]) is None
    with pytest.raises(NotFoundError):
        client.get_user(ada["id"])


def test_every_request_carries_the_user_agent_and_bearer_auth_never_in_the_url(
    emulator: EmulatorServer, client: OpenAIAdminClient
) -> None:
    from airflow_provider_openai_projects import __version__

    client.list_projects()
    entry = emulator.log.entries()[-1]
    assert entry.user_agent is not None
    assert entry.user_agent.startswith(f"airflow-provider-openai-projects/{__version__} ")
    assert entry.key_kind == "admin"
    assert emulator.admin_key not in entry.path
    assert all(emulator.admin_key not in v for values in entry.query.values() for v in values)
