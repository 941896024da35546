"""The ``/_emulator`` control API, over HTTP, with the server's control token."""

from __future__ import annotations

import json
from typing import Any

import pytest
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


# -- a person's changes in the dashboard -------------------------------------------------


def _session(user: dict[str, Any]) -> dict[str, Any]:
    person = {"id": user["id"], "email": user["email"]}
    return {"type": "session", "session": {"user": person, "ip_address": "192.0.2.10"}}


def _last_event(api: Api, **filters: Any) -> dict[str, Any]:
    events = api.ok("GET", "/organization/audit_logs", params={"limit": 1, **filters})["data"]
    assert events, filters
    return dict(events[0])


def test_a_user_key_minted_in_the_dashboard_records_api_key_created_by_the_member(
    api: Api, emulator: EmulatorServer, project: dict[str, Any]
) -> None:
    member = emulator.add_org_user("minter@example.com")
    emulator.state.add_project_user(project["id"], "member", user_id=member["id"])

    key = _control(emulator, "POST", f"/projects/{project['id']}/api_keys", {"user_id": member["id"], "name": "laptop"})

    event = _last_event(api, **{"event_types[]": "api_key.created"})
    assert event["actor"] == _session(member)
    assert event["project"] == {"id": project["id"], "name": project["name"]}
    assert event["api_key.created"] == {"id": key.json()["id"], "data": {"scopes": []}}
    assert key.json()["value"] not in str(event)


def test_an_accepted_invite_records_invite_accepted_by_the_invitee(api: Api, emulator: EmulatorServer) -> None:
    invite = api.ok("POST", "/organization/invites", json={"email": "joiner@example.com", "role": "reader"})

    user = _control(emulator, "POST", f"/invites/{invite['id']}/accept").json()

    event = _last_event(api, **{"event_types[]": "invite.accepted"})
    assert (event["actor"], event["invite.accepted"]) == (_session(user), {"id": invite["id"]})
    assert "project" not in event


def _owner(emulator: EmulatorServer) -> dict[str, Any]:
    return dict(emulator.state._owners()[0].render())


def _read(api: Api, project_id: str, path: str) -> dict[str, Any]:
    """What the API shows of the object at ``path`` under the project (a rate limit from its list)."""
    base = f"/organization/projects/{project_id}"
    if path.startswith("/rate_limits/"):
        listed = api.ok("GET", f"{base}/rate_limits", params={"limit": 100})["data"]
        return dict(next(limit for limit in listed if limit["id"] == path.rsplit("/", 1)[1]))
    return dict(api.ok("GET", base + path))


@pytest.mark.parametrize(
    ("path", "body", "event_type", "target", "changes"),
    [
        (
            "/rate_limits/rl-gpt-4o",
            {"max_requests_per_1_minute": 7},
            "rate_limit.updated",
            "rl-gpt-4o",
            {"max_requests_per_1_minute": 7},
        ),
        ("", {"name": "renamed by hand"}, "project.updated", None, {"title": "renamed by hand"}),
        ("/model_permissions", {"mode": "allow_list", "model_ids": ["gpt-4o"]}, "project.updated", None, {}),
    ],
    ids=["rate-limit", "project-name", "model-permissions"],
)
def test_a_dashboard_change_applies_and_records_the_event_with_the_person_and_the_project(
    api: Api,
    emulator: EmulatorServer,
    project: dict[str, Any],
    path: str,
    body: dict[str, Any],
    event_type: str,
    target: str | None,
    changes: dict[str, Any],
) -> None:
    from airflow_provider_openai_projects.testing import dashboard_change

    owner = _owner(emulator)
    url = f"/v1/organization/projects/{project['id']}{path}"
    requests_before = len(emulator.log.entries())

    answer = dashboard_change(emulator, owner["id"], "POST", url, body)

    assert len(emulator.log.entries()) == requests_before  # the change is not an API call
    shown = _read(api, project["id"], path)
    assert {k: answer[k] for k in body} == {k: shown[k] for k in body} == body  # applied: answered and shown
    event = _last_event(api, **{"event_types[]": event_type})
    assert event["actor"] == _session(owner)
    renamed = shown["name"] if event_type == "project.updated" and "name" in body else project["name"]
    assert event["project"] == {"id": project["id"], "name": renamed}
    assert event[event_type] == {"id": target or project["id"], "changes_requested": changes}


def test_a_dashboard_member_role_change_names_the_project_and_the_member(
    api: Api, emulator: EmulatorServer, project: dict[str, Any]
) -> None:
    from airflow_provider_openai_projects.testing import dashboard_change

    member = emulator.add_org_user("promoted@example.com")
    emulator.state.add_project_user(project["id"], "member", user_id=member["id"])
    url = f"/v1/organization/projects/{project['id']}/users/{member['id']}"

    dashboard_change(emulator, _owner(emulator)["id"], "POST", url, {"role": "owner"})

    event = _last_event(api, **{"resource_ids[]": member["id"]})
    assert (event["type"], event["project"]["id"]) == ("user.updated", project["id"])
    assert event["user.updated"] == {"id": member["id"], "changes_requested": {"role": "owner"}}
    assert emulator.state.get_project_user(project["id"], member["id"])["role"] == "owner"


def test_a_refused_dashboard_change_answers_as_the_api_and_records_nothing(
    emulator: EmulatorServer, project: dict[str, Any]
) -> None:
    owner = _owner(emulator)
    reader = emulator.add_org_user("reader@example.com")
    url = f"/v1/organization/projects/{project['id']}"
    change = {"user_id": owner["id"], "method": "POST", "path": url, "body": {"nme": "typo"}}
    before = len(emulator.state.audit_events)

    assert_error(_control(emulator, "POST", "/dashboard", change), 400, param="nme")
    assert_error(_control(emulator, "POST", "/dashboard", {**change, "path": "/v1/organization/nothing"}), 400)
    assert_error(_control(emulator, "POST", "/dashboard", {**change, "user_id": reader["id"], "body": {}}), 403)
    assert_error(_control(emulator, "POST", "/dashboard", {**change, "user_id": "user-nope", "body": {}}), 404)

    assert len(emulator.state.audit_events) == before
    assert emulator.state.get_project(project["id"])["name"] == project["name"]


def _control_routes() -> list[tuple[str, str]]:
    """(method, path) of every route the app serves under ``/_emulator``, path ids filled in."""
    from fastapi.routing import APIRoute

    from airflow_provider_openai_projects.emulator.app import create_app
    from airflow_provider_openai_projects.emulator.faults import FaultInjector
    from airflow_provider_openai_projects.emulator.organization_state import EmulatorState
    from airflow_provider_openai_projects.emulator.requestlog import RequestLog

    app = create_app(EmulatorState(), FaultInjector(), RequestLog())
    return sorted(
        (method, route.path.replace("{", "").replace("}", ""))
        for route in app.router.routes
        if isinstance(route, APIRoute) and route.path.startswith("/_emulator/")
        for method in route.methods
    )


CONTROL_ROUTES = _control_routes()


def test_the_guarded_routes_include_the_person_actions() -> None:
    assert {("POST", "/_emulator/dashboard"), ("POST", "/_emulator/projects/project_id/api_keys")} <= set(
        CONTROL_ROUTES
    )


@pytest.mark.parametrize(("method", "path"), CONTROL_ROUTES, ids=[f"{m} {p}" for m, p in CONTROL_ROUTES])
def test_every_control_route_needs_the_token_an_allowed_host_and_json(
    emulator: EmulatorServer, project: dict[str, Any], method: str, path: str
) -> None:
    """The gateway's checks hold for every route under ``/_emulator``, those added later included."""
    owner = emulator.state._owners()[0].id
    body = {"user_id": owner, "method": "POST", "path": f"/v1/organization/projects/{project['id']}", "body": {}}
    url = emulator.url + path.replace("project_id", project["id"])
    before = emulator.state.snapshot()
    emulator.log.clear()
    attempts = [
        ({"Content-Type": "application/json"}, 401, "invalid_control_token"),
        ({**emulator.control_headers(), "Host": f"evil.example:{emulator.port}"}, 403, "host_not_allowed"),
    ]
    if method == "POST":
        attempts.append(({**emulator.control_headers(), "Content-Type": "text/plain"}, 415, "unsupported_media_type"))
    for headers, status, code in attempts:
        data = json.dumps(body) if method == "POST" else None
        response = requests.request(method, url, data=data, headers=headers, timeout=10)
        assert (response.status_code, response.json()["error"]["code"]) == (status, code), headers
    assert emulator.state.snapshot() == before
    assert emulator.log.entries() == []
