"""Service accounts: create with a one-time key, extra keys, update, delete with keys."""

from __future__ import annotations

import re
from typing import Any

import pytest

from airflow_provider_openai_projects.emulator.server import EmulatorServer

from .conftest import Api, assert_error


def _accounts(project: dict[str, Any]) -> str:
    return f"/organization/projects/{project['id']}/service_accounts"


def _keys(project: dict[str, Any]) -> str:
    return f"/organization/projects/{project['id']}/api_keys"


def test_create_returns_a_member_account_with_its_key_value_once(
    api: Api, emulator: EmulatorServer, project: dict[str, Any]
) -> None:
    created = api.ok("POST", _accounts(project), json={"name": "etl-bot"})
    assert re.fullmatch(r"svc_acct_[A-Za-z0-9]{24}", created["id"])
    assert (created["object"], created["name"], created["role"]) == (
        "organization.project.service_account",
        "etl-bot",
        "member",
    )
    key = created["api_key"]
    assert key["object"] == "organization.project.service_account.api_key"
    assert key["name"] == "Secret Key"
    assert key["value"].startswith("sk-svcacct-")
    assert re.fullmatch(r"key_[A-Za-z0-9]{16}", key["id"])
    assert emulator.use_key(key["value"]) == 200
    account = api.ok("GET", f"{_accounts(project)}/{created['id']}")
    assert "api_key" not in account
    assert key["value"] not in str(api.ok("GET", _keys(project)))


def test_create_service_account_only_has_no_key_and_no_role(api: Api, project: dict[str, Any]) -> None:
    created = api.ok("POST", _accounts(project), json={"name": "bare", "create_service_account_only": True})
    assert created["api_key"] is None
    assert created["role"] == "none"
    assert api.ok("GET", _keys(project), params={"owner_project_access": "any"})["data"] == []


def test_service_account_names_are_not_unique(api: Api, project: dict[str, Any]) -> None:
    first = api.ok("POST", _accounts(project), json={"name": "same"})
    second = api.ok("POST", _accounts(project), json={"name": "same"})
    assert first["id"] != second["id"]
    assert [a["name"] for a in api.list_all(_accounts(project))] == ["same", "same"]


@pytest.mark.spec_violations_expected
def test_create_validates_the_body(api: Api, project: dict[str, Any]) -> None:
    assert_error(api.post(_accounts(project), json={}), 400, param="name")
    assert_error(api.post(_accounts(project), json={"name": ""}), 400, param="name")
    assert_error(api.post(_accounts(project), json={"name": "x", "create_service_account_only": "yes"}), 400)
    assert api.ok("GET", _accounts(project))["data"] == []


def test_service_account_keys_are_listed_with_a_service_account_owner(api: Api, project: dict[str, Any]) -> None:
    created = api.ok("POST", _accounts(project), json={"name": "etl-bot"})
    listed = api.ok("GET", _keys(project))["data"]
    assert len(listed) == 1
    key = listed[0]
    assert key["id"] == created["api_key"]["id"]
    assert key["owner"]["type"] == "service_account"
    assert key["owner"]["service_account"]["id"] == created["id"]
    assert key["owner_project_access"] == "active"
    assert re.fullmatch(r"sk-svcacct-\*\*\*\*.{4}", key["redacted_value"])
    assert key["redacted_value"].endswith(created["api_key"]["value"][-4:])
    assert key["last_used_at"] is None


def test_mint_another_key_for_a_service_account(api: Api, emulator: EmulatorServer, project: dict[str, Any]) -> None:
    account = api.ok("POST", _accounts(project), json={"name": "etl-bot"})
    path = f"{_accounts(project)}/{account['id']}/api_keys"
    extra = api.ok("POST", path, json={"name": "second", "scopes": ["api.model.read"]})
    assert (extra["object"], extra["name"]) == ("organization.project.service_account.api_key", "second")
    assert extra["value"].startswith("sk-svcacct-")
    assert emulator.use_key(extra["value"]) == 200
    assert emulator.use_key(account["api_key"]["value"]) == 200
    assert api.ok("POST", path)["name"] == "Secret Key"
    assert len(api.ok("GET", _keys(project))["data"]) == 3
    assert_error(api.post(f"{_accounts(project)}/svc_acct_nope/api_keys", json={}), 404)


def test_a_service_account_key_cannot_be_deleted_directly(
    api: Api, emulator: EmulatorServer, project: dict[str, Any]
) -> None:
    created = api.ok("POST", _accounts(project), json={"name": "etl-bot"})
    error = assert_error(api.delete(f"{_keys(project)}/{created['api_key']['id']}"), 400)
    assert "delete the service account" in error["message"]
    assert emulator.use_key(created["api_key"]["value"]) == 200


def test_deleting_the_service_account_deletes_its_keys(
    api: Api, emulator: EmulatorServer, project: dict[str, Any]
) -> None:
    created = api.ok("POST", _accounts(project), json={"name": "etl-bot"})
    other = api.ok("POST", _accounts(project), json={"name": "other-bot"})
    extra = api.ok("POST", f"{_accounts(project)}/{created['id']}/api_keys", json={})
    path = f"{_accounts(project)}/{created['id']}"
    assert api.ok("DELETE", path) == {
        "object": "organization.project.service_account.deleted",
        "id": created["id"],
        "deleted": True,
    }
    assert emulator.use_key(created["api_key"]["value"]) == 401
    assert emulator.use_key(extra["value"]) == 401
    assert emulator.use_key(other["api_key"]["value"]) == 200
    assert [k["id"] for k in api.ok("GET", _keys(project))["data"]] == [other["api_key"]["id"]]
    assert_error(api.get(path), 404)
    assert_error(api.delete(path), 404)


@pytest.mark.spec_violations_expected
def test_update_changes_name_and_role(api: Api, project: dict[str, Any]) -> None:
    created = api.ok("POST", _accounts(project), json={"name": "etl-bot"})
    path = f"{_accounts(project)}/{created['id']}"
    updated = api.ok("POST", path, json={"name": "renamed", "role": "owner"})
    assert (updated["name"], updated["role"]) == ("renamed", "owner")
    assert api.ok("GET", path) == updated
    assert api.ok("POST", path, json={"role": "member"})["name"] == "renamed"
    assert_error(api.post(path, json={"role": "none"}), 400, param="role")
    assert_error(api.post(path, json={"role": "admin"}), 400, param="role")
    assert_error(api.post(path, json={"name": ""}), 400, param="name")
    assert api.ok("GET", path)["role"] == "member"


def test_a_roleless_account_key_works_only_once_it_gets_a_role(
    api: Api, emulator: EmulatorServer, project: dict[str, Any]
) -> None:
    bare = api.ok("POST", _accounts(project), json={"name": "bare", "create_service_account_only": True})
    key = api.ok("POST", f"{_accounts(project)}/{bare['id']}/api_keys", json={})
    assert emulator.use_key(key["value"]) == 401
    assert api.ok("GET", f"{_keys(project)}/{key['id']}")["owner_project_access"] == "inactive"
    api.ok("POST", f"{_accounts(project)}/{bare['id']}", json={"role": "member"})
    assert emulator.use_key(key["value"]) == 200
