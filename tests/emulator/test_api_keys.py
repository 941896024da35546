"""Project API keys: user-owned keys, redaction, owner access, deletion, last_used_at."""

from __future__ import annotations

import re
from typing import Any

import pytest

from airflow_provider_openai_projects.emulator.errors import ApiError
from airflow_provider_openai_projects.emulator.server import EmulatorServer

from .conftest import Api, assert_error


@pytest.fixture
def joined(api: Api, project: dict[str, Any], member: dict[str, Any]) -> dict[str, Any]:
    """``member`` added to ``project`` as a member."""
    api.ok("POST", f"/organization/projects/{project['id']}/users", json={"user_id": member["id"], "role": "member"})
    return member


def _keys(project: dict[str, Any]) -> str:
    return f"/organization/projects/{project['id']}/api_keys"


def test_a_user_owned_key_is_listed_with_its_user_and_never_its_value(
    api: Api, emulator: EmulatorServer, project: dict[str, Any], joined: dict[str, Any]
) -> None:
    created = emulator.create_user_api_key(project["id"], joined["id"], name="laptop")
    assert created["value"].startswith("sk-proj-")
    key = api.ok("GET", f"{_keys(project)}/{created['id']}")
    assert key["name"] == "laptop"
    assert re.fullmatch(r"sk-proj-\*\*\*\*.{4}", key["redacted_value"])
    assert key["owner"] == {
        "type": "user",
        "user": {
            "id": joined["id"],
            "email": joined["email"],
            "name": joined["name"],
            "created_at": joined["added_at"],
            "role": "member",
        },
    }
    assert key["owner_project_access"] == "active"
    assert key["last_used_at"] is None
    listing = api.get(_keys(project))
    assert created["value"] not in listing.text
    assert [k["id"] for k in listing.json()["data"]] == [created["id"]]


def test_using_a_key_sets_last_used_at(
    api: Api, emulator: EmulatorServer, project: dict[str, Any], joined: dict[str, Any]
) -> None:
    created = emulator.create_user_api_key(project["id"], joined["id"])
    assert emulator.use_key(created["value"]) == 200
    last_used = api.ok("GET", f"{_keys(project)}/{created['id']}")["last_used_at"]
    assert isinstance(last_used, int)
    assert last_used >= created["created_at"]


def test_deleting_a_user_owned_key_revokes_it(
    api: Api, emulator: EmulatorServer, project: dict[str, Any], joined: dict[str, Any]
) -> None:
    created = emulator.create_user_api_key(project["id"], joined["id"])
    path = f"{_keys(project)}/{created['id']}"
    assert api.ok("DELETE", path) == {
        "object": "organization.project.api_key.deleted",
        "id": created["id"],
        "deleted": True,
    }
    assert emulator.use_key(created["value"]) == 401
    assert_error(api.get(path), 404)
    assert_error(api.delete(path), 404)


def test_a_key_whose_owner_left_the_project_is_inactive(
    api: Api, emulator: EmulatorServer, project: dict[str, Any], joined: dict[str, Any]
) -> None:
    created = emulator.create_user_api_key(project["id"], joined["id"])
    api.ok("DELETE", f"/organization/projects/{project['id']}/users/{joined['id']}")
    assert api.ok("GET", _keys(project))["data"] == []
    for access in ("inactive", "any"):
        listed = api.ok("GET", _keys(project), params={"owner_project_access": access})["data"]
        assert [(k["id"], k["owner_project_access"]) for k in listed] == [(created["id"], "inactive")]
    assert api.ok("GET", _keys(project), params={"owner_project_access": "active"})["data"] == []
    assert emulator.use_key(created["value"]) == 401
    api.ok("POST", f"/organization/projects/{project['id']}/users", json={"user_id": joined["id"], "role": "owner"})
    assert api.ok("GET", f"{_keys(project)}/{created['id']}")["owner"]["user"]["role"] == "owner"
    assert emulator.use_key(created["value"]) == 200


@pytest.mark.spec_violations_expected
def test_owner_project_access_must_be_a_known_value(api: Api, project: dict[str, Any]) -> None:
    assert_error(api.get(_keys(project), params={"owner_project_access": "some"}), 400, param="owner_project_access")


def test_only_project_members_can_mint_user_keys(
    emulator: EmulatorServer, project: dict[str, Any], member: dict[str, Any]
) -> None:
    with pytest.raises(ApiError, match="not a member of project") as caught:
        emulator.create_user_api_key(project["id"], member["id"])
    assert (caught.value.status, caught.value.param) == (400, "user_id")


def test_unknown_key_is_404(api: Api, project: dict[str, Any]) -> None:
    assert_error(api.get(f"{_keys(project)}/key_nope"), 404)
    assert_error(api.delete(f"{_keys(project)}/key_nope"), 404)
