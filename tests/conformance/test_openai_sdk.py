"""The official ``openai`` SDK, a client we did not write, drives every endpoint family of
the emulator and parses what comes back.

Each test asserts the SDK's parsed models and the emulator's state afterwards; the
suite-wide spec check (``tests/conftest.py``) validates every exchange on top.
"""

from __future__ import annotations

import math
from typing import Any

import openai
import pytest

from airflow_provider_openai_projects.emulator.faults import FaultRule
from airflow_provider_openai_projects.emulator.server import EmulatorServer


@pytest.fixture
def sdk(emulator: EmulatorServer) -> openai.OpenAI:
    """The SDK pointed at the emulator, without its own retries (they would hide faults)."""
    client = openai.OpenAI(
        admin_api_key=emulator.admin_key, api_key="unused", base_url=emulator.base_url, max_retries=0
    )
    return client


@pytest.fixture
def org(sdk: openai.OpenAI) -> Any:
    return sdk.admin.organization


def _new_project(emulator: EmulatorServer, name: str = "sdk project") -> str:
    return str(emulator.state.create_project(name, None, None)["id"])


@pytest.mark.sdk_drives("archive-project", "create-project", "list-projects", "modify-project", "retrieve-project")
def test_the_sdk_creates_retrieves_updates_archives_and_lists_projects(org: Any, emulator: EmulatorServer) -> None:
    created = org.projects.create(name="sdk project")
    assert created.id.startswith("proj_")
    assert (created.object, created.name, created.status, created.archived_at) == (
        "organization.project",
        "sdk project",
        "active",
        None,
    )
    assert isinstance(created.created_at, int)

    assert org.projects.retrieve(created.id).name == "sdk project"
    assert org.projects.update(created.id, name="renamed").name == "renamed"
    archived = org.projects.archive(created.id)
    assert archived.status == "archived"
    assert isinstance(archived.archived_at, int)

    active = [p.id for p in org.projects.list()]
    everything = [p.id for p in org.projects.list(include_archived=True)]
    assert created.id not in active
    assert created.id in everything
    assert emulator.state.default_project_id in active
    stored = emulator.state.projects.get(created.id)
    assert stored is not None
    assert (stored.name, stored.archived_at) == ("renamed", archived.archived_at)


@pytest.mark.sdk_drives("list-projects")
def test_the_sdk_auto_paginates_projects_across_pages(org: Any, emulator: EmulatorServer) -> None:
    ids = [_new_project(emulator, f"p{i}") for i in range(6)]
    emulator.log.clear()

    listed = [p.id for p in org.projects.list(limit=2)]

    assert listed == [emulator.state.default_project_id, *ids]
    pages = emulator.log.entries()
    assert len(pages) == math.ceil(len(listed) / 2)
    assert [entry.query.get("after") for entry in pages] == [None, [ids[0]], [ids[2]], [ids[4]]]


@pytest.mark.sdk_drives(
    "create-project-user", "delete-project-user", "list-project-users", "modify-project-user", "retrieve-project-user"
)
def test_the_sdk_manages_project_members_by_user_id_and_by_email(org: Any, emulator: EmulatorServer) -> None:
    project_id = _new_project(emulator)
    ada = emulator.add_org_user("ada@example.com", name="Ada")
    bob = emulator.add_org_user("bob@example.com", name="Bob")

    by_id = org.projects.users.create(project_id, user_id=ada["id"], role="member")
    by_email = org.projects.users.create(project_id, email="BOB@example.com", role="owner")

    assert (by_id.object, by_id.id, by_id.email, by_id.name, by_id.role) == (
        "organization.project.user",
        ada["id"],
        "ada@example.com",
        "Ada",
        "member",
    )
    assert (by_email.id, by_email.role) == (bob["id"], "owner")
    assert [u.id for u in org.projects.users.list(project_id)] == [ada["id"], bob["id"]]
    assert org.projects.users.retrieve(ada["id"], project_id=project_id).role == "member"
    assert org.projects.users.update(ada["id"], project_id=project_id, role="owner").role == "owner"
    removed = org.projects.users.delete(bob["id"], project_id=project_id)
    assert (removed.object, removed.id, removed.deleted) == ("organization.project.user.deleted", bob["id"], True)

    project = emulator.state.projects.get(project_id)
    assert project is not None
    assert {m.user_id: m.role for m in project.users} == {ada["id"]: "owner"}


@pytest.mark.sdk_drives(
    "CreateanAPIkeyforaserviceaccount",
    "create-project-service-account",
    "delete-project-service-account",
    "list-project-service-accounts",
    "retrieve-project-service-account",
    "update-project-service-account",
)
def test_the_sdk_manages_service_accounts_and_mints_their_keys(org: Any, emulator: EmulatorServer) -> None:
    project_id = _new_project(emulator)
    accounts = org.projects.service_accounts

    created = accounts.create(project_id, name="bot")
    assert (created.object, created.name, created.role) == ("organization.project.service_account", "bot", "member")
    assert created.api_key is not None
    assert created.api_key.value.startswith("sk-svcacct-")
    extra = accounts.api_keys.create(created.id, project_id=project_id, name="second")
    assert (extra.name, extra.value.startswith("sk-svcacct-")) == ("second", True)

    assert accounts.retrieve(created.id, project_id=project_id).name == "bot"
    updated = accounts.update(created.id, project_id=project_id, name="robot", role="owner")
    assert (updated.name, updated.role) == ("robot", "owner")
    assert [a.id for a in accounts.list(project_id)] == [created.id]
    assert emulator.use_key(extra.value) == 200

    deleted = accounts.delete(created.id, project_id=project_id)
    assert (deleted.object, deleted.id, deleted.deleted) == (
        "organization.project.service_account.deleted",
        created.id,
        True,
    )
    project = emulator.state.projects.get(project_id)
    assert project is not None
    assert list(project.service_accounts) == []
    assert list(project.api_keys) == []
    assert emulator.use_key(extra.value) == 401


@pytest.mark.sdk_drives(
    "create-project-service-account",
    "create-project-user",
    "delete-project-api-key",
    "list-project-api-keys",
    "retrieve-project-api-key",
)
def test_the_sdk_lists_retrieves_and_deletes_project_api_keys(org: Any, emulator: EmulatorServer) -> None:
    project_id = _new_project(emulator)
    member = emulator.add_org_user("dev@example.com", name="Dev")
    org.projects.users.create(project_id, user_id=member["id"], role="member")
    user_key = emulator.create_user_api_key(project_id, member["id"], name="laptop")
    account = org.projects.service_accounts.create(project_id, name="bot")

    keys = {k.id: k for k in org.projects.api_keys.list(project_id)}
    assert set(keys) == {user_key["id"], account.api_key.id}
    mine = keys[user_key["id"]]
    assert (mine.object, mine.name, mine.owner.type, mine.owner.user.id) == (
        "organization.project.api_key",
        "laptop",
        "user",
        member["id"],
    )
    bot = keys[account.api_key.id].owner
    assert (bot.type, bot.service_account.id) == ("service_account", account.id)
    retrieved = org.projects.api_keys.retrieve(user_key["id"], project_id=project_id)
    assert retrieved.redacted_value == mine.redacted_value
    assert user_key["value"] not in retrieved.to_json()
    assert [k.id for k in org.projects.api_keys.list(project_id, owner_project_access="any")] == list(keys)

    with pytest.raises(openai.BadRequestError) as refused:
        org.projects.api_keys.delete(account.api_key.id, project_id=project_id)
    assert (refused.value.status_code, refused.value.param) == (400, "api_key_id")
    deleted = org.projects.api_keys.delete(user_key["id"], project_id=project_id)
    assert (deleted.object, deleted.id, deleted.deleted) == (
        "organization.project.api_key.deleted",
        user_key["id"],
        True,
    )

    project = emulator.state.projects.get(project_id)
    assert project is not None
    assert [k.id for k in project.api_keys] == [account.api_key.id]


@pytest.mark.sdk_drives("list-project-rate-limits", "update-project-rate-limits")
def test_the_sdk_pages_rate_limits_with_limit_and_updates_one(org: Any, emulator: EmulatorServer) -> None:
    project_id = _new_project(emulator)
    limits = org.projects.rate_limits
    emulator.log.clear()

    listed = list(limits.list_rate_limits(project_id, limit=5))

    models = [model.id for model in emulator.state.models]
    assert len(models) > 5
    assert [limit.model for limit in listed] == models
    assert [limit.id for limit in listed] == [f"rl-{model}" for model in models]
    assert all(limit.object == "project.rate_limit" for limit in listed)
    assert emulator.log.count(method="GET") == math.ceil(len(models) / 5)

    updated = limits.update_rate_limit(
        "rl-gpt-4o", project_id=project_id, max_requests_per_1_minute=42, max_tokens_per_1_minute=4200
    )
    assert (updated.id, updated.max_requests_per_1_minute, updated.max_tokens_per_1_minute) == ("rl-gpt-4o", 42, 4200)
    project = emulator.state.projects.get(project_id)
    assert project is not None
    stored = project.rate_limits.get("rl-gpt-4o")
    assert stored is not None
    assert (stored.limits["max_requests_per_1_minute"], stored.limits["max_tokens_per_1_minute"]) == (42, 4200)


@pytest.mark.sdk_drives("delete-invite", "inviteUser", "list-invites", "retrieve-invite")
def test_the_sdk_creates_lists_retrieves_and_deletes_invites(org: Any, emulator: EmulatorServer) -> None:
    project_id = emulator.state.default_project_id
    invite = org.invites.create(email="new@example.com", role="reader", projects=[{"id": project_id, "role": "owner"}])

    assert (invite.object, invite.email, invite.role, invite.status) == (
        "organization.invite",
        "new@example.com",
        "reader",
        "pending",
    )
    assert [(p.id, p.role) for p in invite.projects] == [(project_id, "owner")]
    assert [i.id for i in org.invites.list()] == [invite.id]
    assert org.invites.retrieve(invite.id).email == "new@example.com"
    deleted = org.invites.delete(invite.id)
    assert (deleted.object, deleted.id, deleted.deleted) == ("organization.invite.deleted", invite.id, True)

    assert list(emulator.state.invites) == []
    with pytest.raises(openai.NotFoundError):
        org.invites.retrieve(invite.id)


@pytest.mark.sdk_drives("delete-user", "list-users", "modify-user", "retrieve-user")
def test_the_sdk_filters_retrieves_updates_and_deletes_organization_users(org: Any, emulator: EmulatorServer) -> None:
    ada = emulator.add_org_user("ada@example.com", name="Ada")
    bob = emulator.add_org_user("bob@example.com", name="Bob")

    filtered = [u.id for u in org.users.list(emails=["ADA@example.com", "nobody@example.com"])]
    assert filtered == [ada["id"]]
    everyone = list(org.users.list(limit=1))
    assert [u.email for u in everyone][1:] == ["ada@example.com", "bob@example.com"]
    assert all(u.object == "organization.user" for u in everyone)

    retrieved = org.users.retrieve(bob["id"])
    assert (retrieved.email, retrieved.name, retrieved.role) == ("bob@example.com", "Bob", "reader")
    assert org.users.update(bob["id"], role="owner").role == "owner"
    deleted = org.users.delete(ada["id"])
    assert (deleted.object, deleted.id, deleted.deleted) == ("organization.user.deleted", ada["id"], True)

    assert emulator.state.users.get(ada["id"]) is None
    stored = emulator.state.users.get(bob["id"])
    assert stored is not None
    assert stored.role == "owner"


@pytest.mark.sdk_drives
def test_the_sdk_raises_its_typed_errors_for_the_emulators_error_responses(org: Any, emulator: EmulatorServer) -> None:
    with pytest.raises(openai.BadRequestError) as bad_request:
        org.projects.create(name="   ")
    assert (bad_request.value.status_code, bad_request.value.param) == (400, "name")

    with pytest.raises(openai.NotFoundError) as not_found:
        org.projects.retrieve("proj_nope")
    assert not_found.value.status_code == 404
    assert not_found.value.request_id is not None

    emulator.faults.add(FaultRule(method="GET", path="/organization/users", status=429, retry_after=30))
    with pytest.raises(openai.RateLimitError) as throttled:
        org.users.list()
    assert throttled.value.code == "rate_limit_exceeded"

    emulator.faults.add(FaultRule(method="GET", path="/organization/invites", status=500))
    with pytest.raises(openai.InternalServerError):
        org.invites.list()

    assert [p.id for p in emulator.state.projects] == [emulator.state.default_project_id]


@pytest.mark.sdk_drives
def test_the_sdk_raises_authentication_and_permission_errors(emulator: EmulatorServer) -> None:
    wrong = openai.OpenAI(
        admin_api_key="sk-admin-wrong-000000000000", api_key="x", base_url=emulator.base_url, max_retries=0
    )
    with pytest.raises(openai.AuthenticationError) as unauthenticated:
        wrong.admin.organization.projects.list()
    assert (unauthenticated.value.status_code, unauthenticated.value.code) == (401, "invalid_api_key")
    assert "sk-admin-wrong-000000000000" not in str(unauthenticated.value)

    account = emulator.state.create_service_account(emulator.state.default_project_id, "bot", False)
    not_an_admin = openai.OpenAI(
        admin_api_key=account["api_key"]["value"], api_key="x", base_url=emulator.base_url, max_retries=0
    )
    with pytest.raises(openai.PermissionDeniedError) as forbidden:
        not_an_admin.admin.organization.projects.list()
    assert (forbidden.value.status_code, forbidden.value.code) == (403, "insufficient_permissions")
    assert emulator.log.count(method="GET") == 2
