"""The ``/_emulator`` control API, over HTTP, with the server's control token."""

from __future__ import annotations

from typing import Any

import requests

from airflow_provider_openai_projects.emulator.faults import FaultRule
from airflow_provider_openai_projects.emulator.server import EmulatorServer

from .conftest import Api, assert_error


def _control(emulator: EmulatorServer, method: str, path: str, json: Any = None) -> requests.Response:
    return requests.request(
        method, f"{emulator.url}/_emulator{path}", json=json, headers=emulator.control_headers(), timeout=10
    )


def test_reset_restores_the_seed_and_clears_faults_and_log(api: Api, emulator: EmulatorServer) -> None:
    api.ok("POST", "/organization/projects", json={"name": "temporary"})
    emulator.faults.add(FaultRule(path="/nothing", status=500))
    emulator.faults.throttle(rpm=100)
    assert _control(emulator, "POST", "/reset").json() == {"reset": True}
    assert emulator.log.entries() == []
    assert emulator.faults.describe() == {
        "rules": [],
        "throttle": None,
        "stats": {"injected": 0, "throttled": 0, "pending_rules": 0},
    }
    assert [p["name"] for p in api.list_all("/organization/projects")] == ["Default project"]


def test_state_dump_shows_everything_but_key_values(
    api: Api, emulator: EmulatorServer, project: dict[str, Any]
) -> None:
    created = api.ok("POST", f"/organization/projects/{project['id']}/service_accounts", json={"name": "bot"})
    response = _control(emulator, "GET", "/state")
    dump = response.json()
    assert created["api_key"]["value"] not in response.text
    assert emulator.admin_key not in response.text
    assert dump["default_project_id"] == emulator.state.default_project_id
    assert [u["email"] for u in dump["users"]] == ["owner@example.com"]
    mine = next(p for p in dump["projects"] if p["id"] == project["id"])
    assert [a["name"] for a in mine["service_accounts"]] == ["bot"]
    assert [k["id"] for k in mine["api_keys"]] == [created["api_key"]["id"]]
    assert len(mine["rate_limits"]) == len(dump["models"])


def test_add_a_user_and_accept_an_invite(api: Api, emulator: EmulatorServer) -> None:
    user = _control(emulator, "POST", "/users", {"email": "direct@example.com", "name": "Direct", "role": "owner"})
    assert (user.status_code, user.json()["role"], user.json()["name"]) == (200, "owner", "Direct")
    assert_error(_control(emulator, "POST", "/users", {"email": "direct@example.com"}), 400, param="email")
    assert_error(_control(emulator, "POST", "/users", {"email": "x@example.com", "role": "god"}), 400, param="role")
    invite = api.ok("POST", "/organization/invites", json={"email": "invited@example.com", "role": "reader"})
    accepted = _control(emulator, "POST", f"/invites/{invite['id']}/accept")
    assert accepted.json()["email"] == "invited@example.com"
    assert_error(_control(emulator, "POST", "/invites/invite-nope/accept"), 404)
    emails = [u["email"] for u in api.list_all("/organization/users")]
    assert emails == ["owner@example.com", "direct@example.com", "invited@example.com"]


def test_mint_a_user_owned_key(
    api: Api, emulator: EmulatorServer, project: dict[str, Any], member: dict[str, Any]
) -> None:
    api.ok("POST", f"/organization/projects/{project['id']}/users", json={"user_id": member["id"], "role": "member"})
    minted = _control(emulator, "POST", f"/projects/{project['id']}/api_keys", {"user_id": member["id"]}).json()
    assert minted["value"].startswith("sk-proj-")
    assert minted["owner"]["user"]["id"] == member["id"]
    assert emulator.use_key(minted["value"]) == 200
    assert_error(_control(emulator, "POST", f"/projects/{project['id']}/api_keys", {}), 400, param="user_id")


def test_request_log_over_http(api: Api, emulator: EmulatorServer) -> None:
    api.get("/organization/projects")
    entries = _control(emulator, "GET", "/requests").json()["data"]
    assert [(e["method"], e["route"], e["status"]) for e in entries] == [("GET", "GET /organization/projects", 200)]
    assert _control(emulator, "DELETE", "/requests").json() == {"cleared": True}
    assert _control(emulator, "GET", "/requests").json() == {"data": []}


def test_faults_over_http(api: Api, emulator: EmulatorServer) -> None:
    rule = {"method": "GET", "path": "/organization/projects", "status": 429, "retry_after": 3, "times": 2}
    armed = _control(emulator, "POST", "/faults", rule).json()
    assert armed["status"] == 429
    described = _control(emulator, "GET", "/faults").json()
    assert described["rules"][0]["remaining"] == 2
    response = api.get("/organization/projects")
    assert (response.status_code, response.headers["Retry-After"]) == (429, "3")
    assert _control(emulator, "DELETE", "/faults").json() == {"cleared": True}
    assert api.get("/organization/projects").status_code == 200
    assert_error(_control(emulator, "POST", "/faults", {"path": "/x"}), 400)
    assert_error(_control(emulator, "POST", "/faults", {"status": 500, "when": "later"}), 400, param="when")
    assert_error(_control(emulator, "POST", "/faults", {"status": 500, "colour": "red"}), 400, param="colour")


def test_drop_faults_over_http(api: Api, emulator: EmulatorServer) -> None:
    _control(emulator, "POST", "/faults", {"method": "POST", "path": "/organization/projects", "drop": True})
    try:
        api.post("/organization/projects", json={"name": "x"})
    except requests.exceptions.ConnectionError:
        pass
    else:
        raise AssertionError("the connection was not dropped")


def test_throttle_over_http(api: Api, emulator: EmulatorServer) -> None:
    described = _control(emulator, "POST", "/throttle", {"rpm": 1, "scope": "global", "retry_after": False}).json()
    assert described["throttle"] == {
        "rpm": 1,
        "burst": 1,
        "scope": "global",
        "retry_after": False,
        "retry_after_ms": False,
    }
    assert api.get("/organization/projects").status_code == 200
    assert api.get("/organization/users").status_code == 429
    assert _control(emulator, "POST", "/throttle", {"rpm": None}).json()["throttle"] is None
    assert api.get("/organization/users").status_code == 200
    assert_error(_control(emulator, "POST", "/throttle", {"rpm": -1}), 400)
