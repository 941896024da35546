"""Roles, user roles and group roles over loopback HTTP: every operation's returned fields
and the emulator's state afterwards; predefined roles cannot be changed or deleted; a
user's roles include those held through a group; ``next`` pagination."""

from __future__ import annotations

import pytest

from airflow_provider_openai_projects.client import OpenAIAdminClient
from airflow_provider_openai_projects.client.errors import BadRequestError, InvalidInputError, NotFoundError
from airflow_provider_openai_projects.emulator.server import EmulatorServer

PERMISSIONS = ["api.groups.read", "api.groups.write"]


def _predefined(client: OpenAIAdminClient, name: str) -> str:
    return next(r["id"] for r in client.list_roles() if r["name"] == name)


def test_the_organization_has_predefined_roles(client: OpenAIAdminClient) -> None:
    roles = {r["name"]: r for r in client.list_roles()}
    assert set(roles) == {"Owner", "Reader", "Project Owner", "Project Member", "Project Viewer"}
    assert all(r["predefined_role"] and r["object"] == "role" for r in roles.values())
    assert roles["Owner"]["resource_type"] == "api.organization"
    assert roles["Project Member"]["resource_type"] == "api.project"


def test_create_get_update_and_delete_a_custom_role(emulator: EmulatorServer, client: OpenAIAdminClient) -> None:
    created = client.create_role(
        role_name="API Group Manager", permissions=PERMISSIONS, description="Allows managing organization groups"
    )
    assert created["id"].startswith("role_")
    assert created == {
        "object": "role",
        "id": created["id"],
        "name": "API Group Manager",
        "description": "Allows managing organization groups",
        "permissions": PERMISSIONS,
        "resource_type": "api.organization",
        "predefined_role": False,
    }
    assert emulator.state.roles.get(created["id"]) is not None
    assert client.get_role(created["id"]) == created

    updated = client.update_role(created["id"], permissions=["api.groups.read"])
    assert updated == {**created, "permissions": ["api.groups.read"]}
    renamed = client.update_role(created["id"], role_name="Group Reader", description="reads groups")
    assert (renamed["name"], renamed["description"], renamed["permissions"]) == (
        "Group Reader",
        "reads groups",
        ["api.groups.read"],
    )
    stored = emulator.state.roles.get(created["id"])
    assert stored is not None
    assert (stored.name, stored.permissions) == ("Group Reader", ["api.groups.read"])

    assert client.delete_role(created["id"]) == {"object": "role.deleted", "id": created["id"], "deleted": True}
    assert created["id"] not in emulator.state.roles
    with pytest.raises(NotFoundError):
        client.get_role(created["id"])


def test_a_predefined_role_cannot_be_changed_or_deleted(emulator: EmulatorServer, client: OpenAIAdminClient) -> None:
    owner = _predefined(client, "Owner")
    before = client.get_role(owner)
    with pytest.raises(BadRequestError, match="predefined"):
        client.update_role(owner, role_name="Boss")
    with pytest.raises(BadRequestError, match="predefined"):
        client.delete_role(owner)
    assert client.get_role(owner) == before
    assert owner in emulator.state.roles


def test_assign_get_list_and_unassign_a_user_role(emulator: EmulatorServer, client: OpenAIAdminClient) -> None:
    ada = emulator.add_org_user("ada@example.com", "Ada")
    reader = _predefined(client, "Reader")

    assigned = client.assign_user_role(ada["id"], role_id=reader)
    assert assigned["object"] == "user.role"
    assert assigned["user"] == ada
    assert assigned["role"] == client.get_role(reader)
    assert emulator.state.direct_role_ids("user", ada["id"]) == [reader]

    held = client.get_user_role(ada["id"], reader)
    assert (held["id"], held["name"], held["predefined_role"]) == (reader, "Reader", True)
    assert held["assignment_sources"] == [{"principal_id": ada["id"], "principal_type": "user"}]
    assert [r["id"] for r in client.list_user_roles(ada["id"])] == [reader]

    with pytest.raises(BadRequestError, match="already assigned"):
        client.assign_user_role(ada["id"], role_id=reader)

    assert client.unassign_user_role(ada["id"], reader) == {"object": "user.role.deleted", "deleted": True}
    assert emulator.state.direct_role_ids("user", ada["id"]) == []
    assert client.list_user_roles(ada["id"]) == []
    with pytest.raises(NotFoundError):
        client.get_user_role(ada["id"], reader)
    with pytest.raises(NotFoundError):
        client.unassign_user_role(ada["id"], reader)


def test_assign_get_list_and_unassign_a_group_role(emulator: EmulatorServer, client: OpenAIAdminClient) -> None:
    group = client.create_group(name="Support Team")
    role = client.create_role(role_name="Support", permissions=PERMISSIONS)

    assigned = client.assign_group_role(group["id"], role_id=role["id"])
    assert assigned == {
        "object": "group.role",
        "group": {
            "object": "group",
            "id": group["id"],
            "name": "Support Team",
            "created_at": group["created_at"],
            "scim_managed": False,
        },
        "role": role,
    }
    assert emulator.state.direct_role_ids("group", group["id"]) == [role["id"]]

    held = client.get_group_role(group["id"], role["id"])
    assert (held["id"], held["permissions"]) == (role["id"], PERMISSIONS)
    assert held["assignment_sources"] == [{"principal_id": group["id"], "principal_type": "group"}]
    assert [r["id"] for r in client.list_group_roles(group["id"])] == [role["id"]]

    assert client.unassign_group_role(group["id"], role["id"]) == {"object": "group.role.deleted", "deleted": True}
    assert emulator.state.direct_role_ids("group", group["id"]) == []
    with pytest.raises(NotFoundError):
        client.get_group_role(group["id"], role["id"])


def test_a_user_holds_the_roles_of_their_groups_but_can_only_lose_direct_ones(
    emulator: EmulatorServer, client: OpenAIAdminClient
) -> None:
    ada = emulator.add_org_user("ada@example.com")["id"]
    group = client.create_group(name="g")
    client.add_group_user(group["id"], user_id=ada)
    role = client.create_role(role_name="Support", permissions=PERMISSIONS)
    client.assign_group_role(group["id"], role_id=role["id"])

    (held,) = client.list_user_roles(ada)
    assert held["id"] == role["id"]
    assert held["assignment_sources"] == [{"principal_id": group["id"], "principal_type": "group"}]
    with pytest.raises(NotFoundError):
        client.unassign_user_role(ada, role["id"])  # held through the group, not directly
    client.remove_group_user(group["id"], ada)
    assert client.list_user_roles(ada) == []


def test_a_project_role_cannot_be_assigned_in_the_organization(
    emulator: EmulatorServer, client: OpenAIAdminClient
) -> None:
    ada = emulator.add_org_user("ada@example.com")["id"]
    with pytest.raises(BadRequestError, match="not an organization role"):
        client.assign_user_role(ada, role_id=_predefined(client, "Project Member"))
    assert emulator.state.direct_role_ids("user", ada) == []


def test_deleting_users_groups_and_roles_drops_their_assignments(
    emulator: EmulatorServer, client: OpenAIAdminClient
) -> None:
    ada = emulator.add_org_user("ada@example.com")["id"]
    group = client.create_group(name="g")
    role = client.create_role(role_name="r", permissions=[])
    reader = _predefined(client, "Reader")
    client.assign_user_role(ada, role_id=reader)
    client.assign_user_role(ada, role_id=role["id"])
    client.assign_group_role(group["id"], role_id=role["id"])

    client.delete_role(role["id"])
    assert emulator.state.direct_role_ids("user", ada) == [reader]
    assert client.list_group_roles(group["id"]) == []

    client.delete_user(ada)
    assert emulator.state.direct_role_ids("user", ada) == []
    assert ada not in emulator.state.snapshot()["user_role_ids"]


def test_list_roles_follows_next_over_1001_roles(emulator: EmulatorServer, client: OpenAIAdminClient) -> None:
    for n in range(1001):
        emulator.state.create_role(f"role {n:04d}", ["p"])
    emulator.log.clear()
    roles = client.list_roles()
    assert len({r["id"] for r in roles}) == 1001 + 5  # and the 5 predefined
    assert [e.query.get("limit") for e in emulator.log.entries()] == [["1000"], ["1000"]]
    assert emulator.log.entries()[1].query["after"] == [roles[999]["id"]]


def test_bad_role_input_is_refused_before_sending(emulator: EmulatorServer, client: OpenAIAdminClient) -> None:
    with pytest.raises(InvalidInputError) as blank_name:
        client.create_role(role_name=" ", permissions=[])
    with pytest.raises(InvalidInputError) as bad_permission:
        client.create_role(role_name="r", permissions=["ok", ""])
    with pytest.raises(InvalidInputError) as not_a_list:
        client.create_role(role_name="r", permissions="api.groups.read")
    with pytest.raises(InvalidInputError) as nothing_to_update:
        client.update_role("role_x")
    assert [e.value.field for e in (blank_name, bad_permission, not_a_list, nothing_to_update)] == [
        "role_name",
        "permissions[1]",
        "permissions",
        "role_name/permissions/description",
    ]
    assert emulator.log.entries() == []
