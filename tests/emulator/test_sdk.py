"""The official ``openai`` SDK as an independent client of the emulator."""

from __future__ import annotations

import openai
import pytest

from airflow_provider_openai_projects.emulator.server import EmulatorServer


@pytest.fixture
def sdk(emulator: EmulatorServer) -> openai.OpenAI:
    return openai.OpenAI(admin_api_key=emulator.admin_key, api_key="unused", base_url=emulator.base_url, max_retries=0)


def test_the_sdk_drives_projects_members_and_service_accounts(sdk: openai.OpenAI, emulator: EmulatorServer) -> None:
    org = sdk.admin.organization
    project = org.projects.create(name="sdk project")
    assert org.projects.retrieve(project.id).name == "sdk project"
    assert org.projects.update(project.id, name="renamed").name == "renamed"
    user = emulator.add_org_user("sdk@example.com")
    assert [u.id for u in org.users.list(emails=["SDK@example.com"])] == [user["id"]]
    assert org.projects.users.create(project.id, user_id=user["id"], role="member").role == "member"
    assert [u.id for u in org.projects.users.list(project.id)] == [user["id"]]
    account = org.projects.service_accounts.create(project.id, name="bot")
    assert account.api_key is not None
    assert account.api_key.value.startswith("sk-svcacct-")
    extra = org.projects.service_accounts.api_keys.create(account.id, project_id=project.id, name="second")
    keys = list(org.projects.api_keys.list(project.id))
    assert {k.id for k in keys} == {account.api_key.id, extra.id}
    assert all(k.owner.type == "service_account" for k in keys)
    with pytest.raises(openai.BadRequestError):
        org.projects.api_keys.delete(extra.id, project_id=project.id)
    assert org.projects.service_accounts.delete(account.id, project_id=project.id).deleted is True
    assert list(org.projects.api_keys.list(project.id)) == []
    archived = org.projects.archive(project.id)
    assert archived.status == "archived"
    assert project.id in [p.id for p in org.projects.list(include_archived=True)]


def test_the_sdk_pages_rate_limits_and_updates_one(sdk: openai.OpenAI, emulator: EmulatorServer) -> None:
    limits = sdk.admin.organization.projects.rate_limits
    project_id = emulator.state.default_project_id
    everything = list(limits.list_rate_limits(project_id, limit=5))
    assert len(everything) == len(emulator.state.models)
    updated = limits.update_rate_limit("rl-gpt-4o", project_id=project_id, max_requests_per_1_minute=42)
    assert updated.max_requests_per_1_minute == 42


def test_the_sdk_manages_invites(sdk: openai.OpenAI, emulator: EmulatorServer) -> None:
    invites = sdk.admin.organization.invites
    invite = invites.create(
        email="new@example.com", role="reader", projects=[{"id": emulator.state.default_project_id, "role": "owner"}]
    )
    assert invite.status == "pending"
    assert [i.id for i in invites.list()] == [invite.id]
    assert invites.retrieve(invite.id).email == "new@example.com"
    assert invites.delete(invite.id).deleted is True
    with pytest.raises(openai.NotFoundError):
        invites.retrieve(invite.id)


def test_the_sdk_sees_auth_errors(emulator: EmulatorServer) -> None:
    wrong = openai.OpenAI(
        admin_api_key="sk-admin-wrong-000000000000", api_key="x", base_url=emulator.base_url, max_retries=0
    )
    with pytest.raises(openai.AuthenticationError) as caught:
        wrong.admin.organization.projects.list()
    assert caught.value.code == "invalid_api_key"
