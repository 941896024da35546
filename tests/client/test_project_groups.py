"""Project groups over loopback HTTP: every operation's returned fields and the
emulator's state afterwards; group members reach the project; ``next`` pagination over
250 project groups (100 a page)."""

from __future__ import annotations

import pytest

from airflow_provider_openai_projects.client import OpenAIAdminClient
from airflow_provider_openai_projects.client.errors import BadRequestError, InvalidInputError, NotFoundError
from airflow_provider_openai_projects.emulator.server import EmulatorServer


def _project_role(client: OpenAIAdminClient, name: str = "Project Member") -> str:
    return next(r["id"] for r in client.list_roles() if r["name"] == name)


def test_add_get_list_and_remove_a_project_group(emulator: EmulatorServer, client: OpenAIAdminClient) -> None:
    project = client.create_project(name="p")
    group = client.create_group(name="Support Team")
    role = _project_role(client)

    added = client.add_project_group(project["id"], group_id=group["id"], role=role)
    assert added == {
        "object": "project.group",
        "project_id": project["id"],
        "group_id": group["id"],
        "group_name": "Support Team",
        "group_type": "group",
        "created_at": added["created_at"],
    }
    assert emulator.state.project_group_role(project["id"], group["id"]) == role

    assert client.get_project_group(project["id"], group["id"]) == added
    assert client.get_project_group(project["id"], group["id"], group_type="group") == added
    assert client.list_project_groups(project["id"]) == [added]

    with pytest.raises(BadRequestError, match="already has access"):
        client.add_project_group(project["id"], group_id=group["id"], role=role)

    assert client.remove_project_group(project["id"], group["id"]) == {
        "object": "project.group.deleted",
        "deleted": True,
    }
    assert emulator.state.project_group_role(project["id"], group["id"]) is None
    assert client.list_project_groups(project["id"]) == []
    with pytest.raises(NotFoundError):
        client.get_project_group(project["id"], group["id"])
    with pytest.raises(NotFoundError):
        client.remove_project_group(project["id"], group["id"])


def test_every_group_member_reaches_the_project(emulator: EmulatorServer, client: OpenAIAdminClient) -> None:
    ada = emulator.add_org_user("ada@example.com")["id"]
    direct = client.create_project(name="direct")
    via_group = [client.create_project(name=f"via group {n}")["id"] for n in range(3)]
    client.add_project_user(direct["id"], user_id=ada, role="member")
    group = client.create_group(name="g")
    for project_id in via_group:
        client.add_project_group(project_id, group_id=group["id"], role=_project_role(client))
    assert emulator.state.projects_reachable_by(ada) == {direct["id"]}

    client.add_group_user(group["id"], user_id=ada)
    assert emulator.state.projects_reachable_by(ada) == {direct["id"], *via_group}
    # not a direct member of those projects: only the group gives access
    assert all(ada not in [u["id"] for u in client.list_project_users(p)] for p in via_group)

    client.remove_group_user(group["id"], ada)
    assert emulator.state.projects_reachable_by(ada) == {direct["id"]}


def test_deleting_a_group_revokes_its_project_access(emulator: EmulatorServer, client: OpenAIAdminClient) -> None:
    ada = emulator.add_org_user("ada@example.com")["id"]
    project = client.create_project(name="p")
    group = client.create_group(name="g")
    client.add_group_user(group["id"], user_id=ada)
    client.add_project_group(project["id"], group_id=group["id"], role=_project_role(client))
    client.delete_group(group["id"])
    assert client.list_project_groups(project["id"]) == []
    assert emulator.state.projects_reachable_by(ada) == set()


def test_a_project_group_needs_a_project_role(emulator: EmulatorServer, client: OpenAIAdminClient) -> None:
    project = client.create_project(name="p")
    group = client.create_group(name="g")
    with pytest.raises(BadRequestError, match="not the id of a project role"):
        client.add_project_group(project["id"], group_id=group["id"], role=_project_role(client, "Owner"))
    assert client.list_project_groups(project["id"]) == []


def test_list_project_groups_follows_next_over_250_groups_in_3_requests(
    emulator: EmulatorServer, client: OpenAIAdminClient
) -> None:
    project = client.create_project(name="p")
    role = _project_role(client)
    for n in range(250):
        group = emulator.state.create_group(f"g{n:03d}")
        emulator.state.add_project_group(project["id"], group["id"], role)
    emulator.log.clear()
    groups = client.list_project_groups(project["id"])
    assert [g["group_name"] for g in groups] == [f"g{n:03d}" for n in range(250)]
    requests = emulator.log.entries()
    assert [e.query.get("limit") for e in requests] == [["100"]] * 3
    assert requests[0].query.get("after") is None
    assert requests[1].query["after"] == [groups[99]["group_id"]]
    assert requests[2].query["after"] == [groups[199]["group_id"]]


def test_bad_project_group_input_is_refused_before_sending(emulator: EmulatorServer, client: OpenAIAdminClient) -> None:
    with pytest.raises(InvalidInputError) as no_role:
        client.add_project_group("proj_x", group_id="group_x", role="")
    with pytest.raises(InvalidInputError) as bad_type:
        client.get_project_group("proj_x", "group_x", group_type="team")  # type: ignore[arg-type]
    assert (no_role.value.field, bad_type.value.field) == ("role", "group_type")
    assert emulator.log.entries() == []
