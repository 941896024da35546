"""Invites: create (no idempotency), status lifecycle, projects on acceptance, delete."""

from __future__ import annotations

import re
from typing import Any

import pytest

from airflow_provider_openai_projects.emulator.errors import ApiError
from airflow_provider_openai_projects.emulator.organization_state import INVITE_TTL_SECONDS
from airflow_provider_openai_projects.emulator.server import EmulatorServer

from .conftest import Api, assert_error

INVITES = "/organization/invites"


def test_create_returns_a_pending_invite_expiring_in_seven_days(api: Api, project: dict[str, Any]) -> None:
    grants = [{"id": project["id"], "role": "owner"}]
    invite = api.ok("POST", INVITES, json={"email": "new@example.com", "role": "reader", "projects": grants})
    assert re.fullmatch(r"invite-[A-Za-z0-9]{24}", invite["id"])
    assert invite["object"] == "organization.invite"
    assert (invite["email"], invite["role"], invite["status"]) == ("new@example.com", "reader", "pending")
    assert invite["expires_at"] == invite["created_at"] + INVITE_TTL_SECONDS
    assert invite["accepted_at"] is None
    assert invite["projects"] == grants
    assert api.ok("GET", f"{INVITES}/{invite['id']}") == invite
    assert [i["id"] for i in api.ok("GET", INVITES)["data"]] == [invite["id"]]


def test_without_projects_the_invite_grants_the_default_project(api: Api, emulator: EmulatorServer) -> None:
    invite = api.ok("POST", INVITES, json={"email": "legacy@example.com", "role": "reader"})
    assert invite["projects"] == [{"id": emulator.state.default_project_id, "role": "member"}]
    empty = api.ok("POST", INVITES, json={"email": "none@example.com", "role": "owner", "projects": []})
    assert empty["projects"] == []


@pytest.mark.parametrize(
    ("body", "param"),
    [
        ({"email": "not-an-email", "role": "reader"}, "email"),
        ({"email": "a@b", "role": "reader"}, "email"),
        pytest.param(
            {"email": "new@example.com", "role": "member"}, "role", marks=pytest.mark.spec_violations_expected
        ),
        pytest.param({"email": "new@example.com"}, "role", marks=pytest.mark.spec_violations_expected),
        pytest.param({"role": "reader"}, "email", marks=pytest.mark.spec_violations_expected),
        (
            {"email": "new@example.com", "role": "reader", "projects": [{"id": "proj_nope", "role": "member"}]},
            "projects[0].id",
        ),
        pytest.param(
            {"email": "new@example.com", "role": "reader", "projects": [{"id": "x", "role": "reader"}]},
            "projects[0].role",
            marks=pytest.mark.spec_violations_expected,
        ),
        pytest.param(
            {"email": "new@example.com", "role": "reader", "projects": [{"id": "x"}]},
            "projects[0].role",
            marks=pytest.mark.spec_violations_expected,
        ),
    ],
)
def test_create_rejects_invalid_invites(api: Api, body: dict[str, Any], param: str) -> None:
    assert_error(api.post(INVITES, json=body), 400, param=param)
    assert api.ok("GET", INVITES)["data"] == []


def test_an_archived_project_cannot_be_granted(api: Api, project: dict[str, Any]) -> None:
    api.ok("POST", f"/organization/projects/{project['id']}/archive")
    body = {"email": "new@example.com", "role": "reader", "projects": [{"id": project["id"], "role": "member"}]}
    assert_error(api.post(INVITES, json=body), 400, param="projects[0].id")


def test_inviting_an_existing_member_is_400(api: Api, member: dict[str, Any]) -> None:
    assert_error(api.post(INVITES, json={"email": "Member@Example.com", "role": "reader"}), 400, param="email")


def test_a_second_invite_for_a_pending_email_is_400(api: Api) -> None:
    first = api.ok("POST", INVITES, json={"email": "dup@example.com", "role": "reader"})
    error = assert_error(api.post(INVITES, json={"email": "DUP@example.com", "role": "owner"}), 400, param="email")
    assert first["id"] in error["message"]
    assert len(api.ok("GET", INVITES)["data"]) == 1


def test_accepting_makes_an_org_user_with_the_invited_projects(
    api: Api, emulator: EmulatorServer, project: dict[str, Any]
) -> None:
    grants = [{"id": project["id"], "role": "owner"}, {"id": emulator.state.default_project_id, "role": "member"}]
    invite = api.ok("POST", INVITES, json={"email": "joiner@example.com", "role": "owner", "projects": grants})
    user = emulator.accept_invite(invite["id"])
    assert (user["email"], user["role"]) == ("joiner@example.com", "owner")
    assert api.ok("GET", f"/organization/users/{user['id']}") == user
    for grant in grants:
        membership = api.ok("GET", f"/organization/projects/{grant['id']}/users/{user['id']}")
        assert membership["role"] == grant["role"]
    accepted = api.ok("GET", f"{INVITES}/{invite['id']}")
    assert accepted["status"] == "accepted"
    assert isinstance(accepted["accepted_at"], int)
    with pytest.raises(ApiError, match="accepted"):
        emulator.accept_invite(invite["id"])


def test_delete_a_pending_invite(api: Api) -> None:
    invite = api.ok("POST", INVITES, json={"email": "gone@example.com", "role": "reader"})
    path = f"{INVITES}/{invite['id']}"
    assert api.ok("DELETE", path) == {"object": "organization.invite.deleted", "id": invite["id"], "deleted": True}
    assert_error(api.get(path), 404)
    assert_error(api.delete(path), 404)
    assert api.ok("POST", INVITES, json={"email": "gone@example.com", "role": "reader"})["status"] == "pending"


def test_an_accepted_invite_cannot_be_deleted(api: Api, emulator: EmulatorServer) -> None:
    invite = api.ok("POST", INVITES, json={"email": "stay@example.com", "role": "reader"})
    emulator.accept_invite(invite["id"])
    assert_error(api.delete(f"{INVITES}/{invite['id']}"), 400)
    assert api.ok("GET", f"{INVITES}/{invite['id']}")["status"] == "accepted"


def test_invites_expire_after_seven_days(api: Api, emulator: EmulatorServer) -> None:
    invite = api.ok("POST", INVITES, json={"email": "late@example.com", "role": "reader"})
    emulator.state.advance_clock(INVITE_TTL_SECONDS)
    assert api.ok("GET", f"{INVITES}/{invite['id']}")["status"] == "expired"
    with pytest.raises(ApiError, match="expired"):
        emulator.accept_invite(invite["id"])
    again = api.ok("POST", INVITES, json={"email": "late@example.com", "role": "reader"})
    assert again["status"] == "pending"
    assert api.ok("DELETE", f"{INVITES}/{invite['id']}")["deleted"] is True


def test_accepting_skips_projects_archived_since_the_invite(
    api: Api, emulator: EmulatorServer, project: dict[str, Any]
) -> None:
    body = {"email": "slow@example.com", "role": "reader", "projects": [{"id": project["id"], "role": "member"}]}
    invite = api.ok("POST", INVITES, json=body)
    api.ok("POST", f"/organization/projects/{project['id']}/archive")
    user = emulator.accept_invite(invite["id"])
    assert emulator.state.snapshot()["projects"][1]["users"] == []
    assert user["role"] == "reader"
