"""The official ``openai`` SDK drives groups, group users, group roles, roles, user roles
and project groups against the emulator (every operation the SDK has), parses what comes
back, and pages with ``after``/``next``; each test also asserts the emulator's state."""

from __future__ import annotations

from typing import Any

import openai
import pytest

from airflow_provider_openai_projects.emulator.server import EmulatorServer


@pytest.fixture
def org(emulator: EmulatorServer) -> Any:
    sdk = openai.OpenAI(admin_api_key=emulator.admin_key, api_key="unused", base_url=emulator.base_url, max_retries=0)
    return sdk.admin.organization


def _role_id(emulator: EmulatorServer, name: str) -> str:
    return next(r["id"] for r in emulator.state.list_roles()["data"] if r["name"] == name)


@pytest.mark.sdk_drives("create-group", "delete-group", "list-groups", "retrieve-group", "update-group")
def test_the_sdk_creates_retrieves_renames_lists_and_deletes_groups(org: Any, emulator: EmulatorServer) -> None:
    created = org.groups.create(name="Support Team")
    assert (created.name, created.is_scim_managed) == ("Support Team", False)
    assert org.groups.retrieve(created.id).id == created.id
    assert org.groups.update(created.id, name="Escalations").name == "Escalations"
    assert emulator.state.get_group(created.id)["name"] == "Escalations"
    for n in range(4):
        org.groups.create(name=f"g{n}")
    listed = [g.id for g in org.groups.list(limit=2)]  # auto-paging over 3 pages with `next`
    assert len(listed) == len(set(listed)) == 5
    deleted = org.groups.delete(created.id)
    assert (deleted.id, deleted.deleted) == (created.id, True)
    assert created.id not in emulator.state.groups


@pytest.mark.sdk_drives(
    "add-group-user", "create-group", "list-group-users", "remove-group-user", "retrieve-group-user"
)
def test_the_sdk_adds_retrieves_lists_and_removes_group_users(org: Any, emulator: EmulatorServer) -> None:
    group = org.groups.create(name="g")
    users = [emulator.add_org_user(f"u{n}@example.com", f"U{n}")["id"] for n in range(3)]
    for user_id in users:
        added = org.groups.users.create(group.id, user_id=user_id)
        assert (added.user_id, added.group_id) == (user_id, group.id)
    member = org.groups.users.retrieve(users[0], group_id=group.id)
    assert (member.id, member.email) == (users[0], "u0@example.com")
    assert sorted(u.id for u in org.groups.users.list(group.id, limit=1)) == sorted(users)
    assert org.groups.users.delete(users[0], group_id=group.id).deleted is True
    assert emulator.state.group_ids_of(users[0]) == set()


@pytest.mark.sdk_drives("create-role", "delete-role", "list-roles", "retrieve-role", "update-role")
def test_the_sdk_creates_retrieves_updates_lists_and_deletes_roles(org: Any, emulator: EmulatorServer) -> None:
    created = org.roles.create(role_name="API Group Manager", permissions=["api.groups.read"], description="d")
    assert (created.name, created.permissions, created.predefined_role) == (
        "API Group Manager",
        ["api.groups.read"],
        False,
    )
    assert org.roles.retrieve(created.id).description == "d"
    updated = org.roles.update(created.id, permissions=["api.groups.read", "api.groups.write"])
    assert updated.permissions == ["api.groups.read", "api.groups.write"]
    names = [r.name for r in org.roles.list(limit=2)]
    assert names == ["Owner", "Reader", "Project Owner", "Project Member", "Project Viewer", "API Group Manager"]
    assert org.roles.delete(created.id).deleted is True
    assert created.id not in emulator.state.roles


@pytest.mark.sdk_drives(
    "assign-group-role",
    "assign-user-role",
    "create-group",
    "list-group-role-assignments",
    "list-user-role-assignments",
    "retrieve-group-role",
    "retrieve-user-role",
    "unassign-group-role",
    "unassign-user-role",
)
def test_the_sdk_assigns_retrieves_lists_and_unassigns_user_and_group_roles(org: Any, emulator: EmulatorServer) -> None:
    ada = emulator.add_org_user("ada@example.com")["id"]
    group = org.groups.create(name="g")
    reader = _role_id(emulator, "Reader")

    assigned = org.users.roles.create(ada, role_id=reader)
    assert (assigned.user.id, assigned.role.id) == (ada, reader)
    assert org.users.roles.retrieve(reader, user_id=ada).name == "Reader"
    assert [r.id for r in org.users.roles.list(ada)] == [reader]
    assert org.users.roles.delete(reader, user_id=ada).deleted is True
    assert emulator.state.direct_role_ids("user", ada) == []

    given = org.groups.roles.create(group.id, role_id=reader)
    assert (given.group.id, given.role.id) == (group.id, reader)
    assert org.groups.roles.retrieve(reader, group_id=group.id).id == reader
    assert [r.id for r in org.groups.roles.list(group.id)] == [reader]
    assert org.groups.roles.delete(reader, group_id=group.id).deleted is True
    assert emulator.state.direct_role_ids("group", group.id) == []


@pytest.mark.sdk_drives(
    "add-project-group", "create-group", "list-project-groups", "remove-project-group", "retrieve-project-group"
)
def test_the_sdk_adds_retrieves_lists_and_removes_project_groups(org: Any, emulator: EmulatorServer) -> None:
    project_id = emulator.state.create_project("p", None, None)["id"]
    member = _role_id(emulator, "Project Member")
    groups = [org.groups.create(name=f"g{n}") for n in range(3)]
    for group in groups:
        added = org.projects.groups.create(project_id, group_id=group.id, role=member)
        assert (added.project_id, added.group_id, added.group_name) == (project_id, group.id, group.name)
    assert org.projects.groups.retrieve(groups[0].id, project_id=project_id).group_id == groups[0].id
    assert [g.group_id for g in org.projects.groups.list(project_id, limit=2)] == [g.id for g in groups]
    assert org.projects.groups.delete(groups[0].id, project_id=project_id).deleted is True
    assert emulator.state.project_group_role(project_id, groups[0].id) is None
    assert emulator.state.project_group_role(project_id, groups[1].id) == member
