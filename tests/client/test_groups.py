"""Groups and group users over loopback HTTP: every operation's returned fields and the
emulator's state afterwards; SCIM-managed groups refuse writes; ``next`` pagination."""

from __future__ import annotations

import pytest

from airflow_provider_openai_projects.client import OpenAIAdminClient
from airflow_provider_openai_projects.client.errors import (
    BadRequestError,
    ConflictError,
    InvalidInputError,
    NotFoundError,
)
from airflow_provider_openai_projects.emulator.server import EmulatorServer


def _user(emulator: EmulatorServer, email: str = "ada@example.com") -> str:
    return str(emulator.add_org_user(email, "Ada")["id"])


def test_create_get_rename_list_and_delete_a_group(emulator: EmulatorServer, client: OpenAIAdminClient) -> None:
    created = client.create_group(name="Support Team")
    assert created["id"].startswith("group_")
    assert (created["name"], created["is_scim_managed"], created["group_type"]) == ("Support Team", False, "group")
    assert isinstance(created["created_at"], int)
    assert emulator.state.groups.get(created["id"]) is not None

    assert client.get_group(created["id"]) == created

    renamed = client.update_group(created["id"], name="Escalations")
    assert renamed == {**{k: v for k, v in created.items() if k != "group_type"}, "name": "Escalations"}
    assert emulator.state.groups.get(created["id"]).name == "Escalations"  # type: ignore[union-attr]

    assert [g["id"] for g in client.list_groups()] == [created["id"]]

    assert client.delete_group(created["id"]) == {"object": "group.deleted", "id": created["id"], "deleted": True}
    assert created["id"] not in emulator.state.groups
    assert client.list_groups() == []
    with pytest.raises(NotFoundError):
        client.get_group(created["id"])
    with pytest.raises(NotFoundError):
        client.delete_group(created["id"])


def test_add_get_list_and_remove_group_users(emulator: EmulatorServer, client: OpenAIAdminClient) -> None:
    group = client.create_group(name="Support Team")
    ada = _user(emulator)
    bob = _user(emulator, "bob@example.com")

    assert client.add_group_user(group["id"], user_id=ada) == {
        "object": "group.user",
        "user_id": ada,
        "group_id": group["id"],
    }
    client.add_group_user(group["id"], user_id=bob)
    assert emulator.state.group_ids_of(ada) == {group["id"]}

    member = client.get_group_user(group["id"], ada)
    assert member == {
        "id": ada,
        "name": "Ada",
        "email": "ada@example.com",
        "picture": None,
        "is_service_account": False,
        "user_type": "user",
    }
    # the spec's default order for group users is newest first
    assert [u["id"] for u in client.list_group_users(group["id"])] == [bob, ada]
    assert client.list_group_users(group["id"])[1] == {"id": ada, "name": "Ada", "email": "ada@example.com"}

    with pytest.raises(BadRequestError, match="already a member"):
        client.add_group_user(group["id"], user_id=ada)

    assert client.remove_group_user(group["id"], ada) == {"object": "group.user.deleted", "deleted": True}
    assert emulator.state.group_ids_of(ada) == set()
    with pytest.raises(NotFoundError):
        client.get_group_user(group["id"], ada)
    with pytest.raises(NotFoundError):
        client.remove_group_user(group["id"], ada)


def test_only_organization_members_can_join_a_group(emulator: EmulatorServer, client: OpenAIAdminClient) -> None:
    group = client.create_group(name="g")
    with pytest.raises(BadRequestError, match="not a member of the organization"):
        client.add_group_user(group["id"], user_id="user-nobody")
    assert emulator.state.groups.get(group["id"]).users.ids() == []  # type: ignore[union-attr]


def test_a_scim_managed_group_refuses_rename_delete_and_membership_changes(
    emulator: EmulatorServer, client: OpenAIAdminClient
) -> None:
    ada = _user(emulator)
    bob = _user(emulator, "bob@example.com")
    scim = emulator.state.add_scim_group("Engineering (Okta)", [ada])
    assert scim["is_scim_managed"] is True
    assert client.get_group(scim["id"])["is_scim_managed"] is True
    emulator.log.clear()

    with pytest.raises(ConflictError):
        client.update_group(scim["id"], name="renamed")
    with pytest.raises(ConflictError):
        client.delete_group(scim["id"])
    with pytest.raises(ConflictError):
        client.add_group_user(scim["id"], user_id=bob)
    with pytest.raises(ConflictError):
        client.remove_group_user(scim["id"], ada)

    group = emulator.state.groups.get(scim["id"])
    assert group is not None
    assert (group.name, group.users.ids()) == ("Engineering (Okta)", [ada])
    assert [e.status for e in emulator.log.entries()] == [409, 409, 409, 409]  # refused once each, never retried
    assert all(not e.applied for e in emulator.log.entries())
    # reads still work
    assert [u["id"] for u in client.list_group_users(scim["id"])] == [ada]


def test_the_control_api_seeds_a_scim_managed_group(emulator: EmulatorServer, client: OpenAIAdminClient) -> None:
    import requests

    ada = _user(emulator)
    answer = requests.post(f"{emulator.url}/_emulator/scim_groups", json={"name": "IdP", "user_ids": [ada]}, timeout=5)
    assert answer.status_code == 200
    assert answer.json()["is_scim_managed"] is True
    assert emulator.state.group_ids_of(ada) == {answer.json()["id"]}


def test_deleting_a_user_from_the_organization_removes_them_from_every_group(
    emulator: EmulatorServer, client: OpenAIAdminClient
) -> None:
    ada = _user(emulator)
    ours = client.create_group(name="ours")
    client.add_group_user(ours["id"], user_id=ada)
    scim = emulator.state.add_scim_group("theirs", [ada])
    client.delete_user(ada)
    assert emulator.state.group_ids_of(ada) == set()
    assert client.list_group_users(ours["id"]) == []
    assert client.list_group_users(scim["id"]) == []


def test_list_groups_follows_next_over_1001_groups_in_2_requests(
    emulator: EmulatorServer, client: OpenAIAdminClient
) -> None:
    """Groups page 1000 at a time (the spec's maximum), so 1001 make two pages."""
    for n in range(1001):
        emulator.state.create_group(f"group {n:04d}")
    emulator.log.clear()
    groups = client.list_groups()
    assert [g["name"] for g in groups] == [f"group {n:04d}" for n in range(1001)]
    requests = emulator.log.entries()
    assert [e.query.get("limit") for e in requests] == [["1000"], ["1000"]]
    assert requests[0].query.get("after") is None
    assert requests[1].query["after"] == [groups[999]["id"]]


def test_list_group_users_follows_next_over_1001_members(emulator: EmulatorServer, client: OpenAIAdminClient) -> None:
    group = client.create_group(name="everyone")
    for n in range(1001):
        user_id = emulator.state._new_user(f"u{n}@example.com", None, "reader").id
        emulator.state.groups.get(group["id"]).users.add(user_id, _member(user_id))  # type: ignore[union-attr]
    emulator.log.clear()
    members = client.list_group_users(group["id"])
    assert len({m["id"] for m in members}) == 1001
    assert len(emulator.log.entries()) == 2


def _member(user_id: str) -> object:
    from airflow_provider_openai_projects.emulator.families.groups import GroupMember

    return GroupMember(user_id, 0)


@pytest.mark.parametrize("name", ["", "   ", "x" * 256])
def test_a_bad_group_name_is_refused_before_sending(
    name: str, emulator: EmulatorServer, client: OpenAIAdminClient
) -> None:
    with pytest.raises(InvalidInputError) as error:
        client.create_group(name=name)
    assert error.value.field == "name"
    assert emulator.log.entries() == []
