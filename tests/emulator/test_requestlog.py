"""The request log: its fields, its helpers, and that it never holds a secret."""

from __future__ import annotations

import json
import threading
import time
from typing import Any

import pytest
import requests

from airflow_provider_openai_projects.emulator.faults import FaultRule
from airflow_provider_openai_projects.emulator.requestlog import RequestLog
from airflow_provider_openai_projects.emulator.server import EmulatorServer

from .conftest import Api


def test_each_api_request_is_logged_with_its_route_and_outcome(
    api: Api, emulator: EmulatorServer, project: dict[str, Any]
) -> None:
    emulator.log.clear()
    api.ok("GET", f"/organization/projects/{project['id']}/service_accounts", params={"limit": 5})
    api.ok("POST", f"/organization/projects/{project['id']}/service_accounts", json={"name": "bot"})
    api.get("/organization/users", params=[("emails[]", "a@example.com"), ("emails[]", "b@example.com")])
    api.post("/organization/projects", json={"name": ""})
    first, second, third, fourth = emulator.log.entries()
    assert first.seq < second.seq < third.seq < fourth.seq
    assert first.time <= second.time
    assert first.method == "GET"
    assert first.path == f"/organization/projects/{project['id']}/service_accounts"
    assert first.query == {"limit": ["5"]}
    assert first.route == "GET /organization/projects/{project_id}/service_accounts"
    assert (first.status, first.applied, first.fault, first.key_kind, first.body) == (200, False, None, "admin", None)
    assert second.route == "POST /organization/projects/{project_id}/service_accounts"
    assert (second.status, second.applied, second.body) == (200, True, {"name": "bot"})
    assert third.query == {"emails[]": ["a@example.com", "b@example.com"]}
    assert (fourth.status, fourth.applied) == (400, False)
    assert first.request_id.startswith("req_")


@pytest.mark.spec_violations_expected
def test_key_kinds_are_recorded_never_the_keys(
    api: Api, emulator: EmulatorServer, make_api: Any, project: dict[str, Any], member: dict[str, Any]
) -> None:
    created = api.ok("POST", f"/organization/projects/{project['id']}/service_accounts", json={"name": "bot"})
    extra = api.ok("POST", f"/organization/projects/{project['id']}/service_accounts/{created['id']}/api_keys")
    api.ok("POST", f"/organization/projects/{project['id']}/users", json={"user_id": member["id"], "role": "member"})
    user_key = emulator.create_user_api_key(project["id"], member["id"])["value"]
    secrets = [emulator.admin_key, created["api_key"]["value"], extra["value"], user_key, "sk-admin-guess-0000000000"]
    emulator.log.clear()
    make_api(created["api_key"]["value"]).get("/models")
    make_api(user_key).get("/models")
    make_api(created["api_key"]["value"]).get("/organization/projects")
    make_api(secrets[-1]).get("/organization/projects")
    make_api(None).get("/organization/projects")
    api.get("/organization/projects")
    kinds = [e.key_kind for e in emulator.log.entries()]
    assert kinds == ["service_account", "project", "service_account", "invalid", "missing", "admin"]
    dumped = json.dumps([e.to_dict() for e in emulator.log.entries()])
    served = requests.get(f"{emulator.url}/_emulator/requests", headers=emulator.control_headers(), timeout=10).text
    for text in (dumped, served):
        assert "Bearer" not in text
        for secret in secrets:
            assert secret not in text
            assert secret[-12:] not in text


def test_control_requests_are_not_logged(emulator: EmulatorServer) -> None:
    headers = emulator.control_headers()
    assert requests.get(f"{emulator.url}/_emulator/state", headers=headers, timeout=10).ok
    assert requests.post(
        f"{emulator.url}/_emulator/users", json={"email": "c@example.com"}, headers=headers, timeout=10
    ).ok
    assert emulator.log.entries() == []


def test_writes_and_count(api: Api, emulator: EmulatorServer) -> None:
    api.get("/organization/projects")
    api.post("/organization/projects", json={"name": "a"})
    api.post("/organization/projects", json={"name": "b"})
    api.delete("/organization/users/user-nobody")
    assert [(e.method, e.status) for e in emulator.log.writes()] == [("POST", 200), ("POST", 200), ("DELETE", 404)]
    assert emulator.log.count() == 4
    assert emulator.log.count(method="post") == 2
    assert emulator.log.count(route="POST /organization/projects") == 2
    assert emulator.log.count(method="DELETE", route="DELETE /organization/users/{user_id}") == 1
    assert emulator.log.count(route="GET /organization/users") == 0


@pytest.mark.spec_violations_expected
def test_unknown_paths_are_logged_without_a_route(api: Api, emulator: EmulatorServer) -> None:
    api.get("/organization/nowhere?x=1")
    entry = emulator.log.entries()[0]
    assert (entry.route, entry.status, entry.query) == (None, 404, {"x": ["1"]})


def _begin(log: RequestLog) -> int:
    return log.begin(
        time=0.0, request_id="req_x", method="GET", path="/p", query={}, route=None, key_kind="admin", body=None
    )


def test_recording_is_thread_safe() -> None:
    log = RequestLog()

    def record_many() -> None:
        for _ in range(500):
            log.finish(_begin(log), 200, False, None)

    threads = [threading.Thread(target=record_many) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    entries = log.entries()
    assert [e.seq for e in entries] == list(range(1, 4001))
    assert all(e.complete and e.status == 200 for e in entries)


def test_a_request_is_visible_in_flight_and_completed_in_place() -> None:
    log = RequestLog()
    first, second = _begin(log), _begin(log)
    log.finish(second, 201, True, None)
    pending, done = log.entries()
    assert (pending.seq, pending.complete, pending.status, pending.applied) == (first, False, None, False)
    assert (done.seq, done.complete, done.status, done.applied) == (second, True, 201, True)
    log.finish(first, None, False, "drop when=before")
    assert log.entries()[0].fault == "drop when=before"


def test_a_request_in_flight_across_a_clear_does_not_reappear() -> None:
    log = RequestLog()
    seq = _begin(log)
    log.clear()
    log.finish(seq, 200, False, None)
    assert log.entries() == []
    assert _begin(log) > seq


def test_a_slow_request_is_logged_while_in_flight(api: Api, emulator: EmulatorServer) -> None:
    emulator.faults.add(FaultRule(method="GET", path="/organization/projects", latency=1.0))
    with pytest.raises(requests.exceptions.ReadTimeout):
        api.session.get(emulator.base_url + "/organization/projects", timeout=0.2)
    (entry,) = emulator.log.entries()
    assert (entry.route, entry.complete, entry.status) == ("GET /organization/projects", False, None)
    deadline = time.monotonic() + 3
    while not emulator.log.entries()[0].complete and time.monotonic() < deadline:
        time.sleep(0.05)
    assert emulator.log.entries()[0].status == 200
