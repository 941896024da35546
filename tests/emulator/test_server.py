"""EmulatorServer: lifecycle, reset, loopback only, app wrapping, concurrency."""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
import requests
from starlette.types import ASGIApp, Receive, Scope, Send

from airflow_provider_openai_projects.emulator import EmulatorServer, EmulatorState, FaultRule
from airflow_provider_openai_projects.emulator.organization_state import DEFAULT_ADMIN_KEY

from .conftest import Api


def test_reset_restores_seed_state_faults_and_log(api: Api, emulator: EmulatorServer) -> None:
    api.ok("POST", "/organization/projects", json={"name": "temp"})
    emulator.add_org_user("temp@example.com")
    emulator.faults.add(FaultRule(path="/x", status=500))
    emulator.faults.throttle(rpm=5)
    default_before = emulator.state.default_project_id
    emulator.reset()
    assert emulator.log.entries() == []
    assert emulator.faults.stats() == {"injected": 0, "throttled": 0, "pending_rules": 0}
    assert emulator.faults.describe()["throttle"] is None
    snapshot = emulator.state.snapshot()
    assert [p["name"] for p in snapshot["projects"]] == ["Default project"]
    assert [u["email"] for u in snapshot["users"]] == ["owner@example.com"]
    assert emulator.state.default_project_id != default_before


def test_urls_and_default_admin_key(emulator: EmulatorServer) -> None:
    assert emulator.url.startswith("http://127.0.0.1:")
    assert emulator.base_url == emulator.url + "/v1"
    assert emulator.admin_key == DEFAULT_ADMIN_KEY
    assert DEFAULT_ADMIN_KEY.startswith("sk-admin-emulator-")


def test_a_custom_admin_key_and_a_second_server_side_by_side(emulator: EmulatorServer) -> None:
    with EmulatorServer(admin_key="sk-admin-custom-key-1234567890") as other:
        assert other.port != emulator.port
        url = f"{other.base_url}/organization/projects"
        assert requests.get(url, headers={"Authorization": "Bearer sk-admin-custom-key-1234567890"}, timeout=10).ok
        refused = requests.get(url, headers={"Authorization": f"Bearer {DEFAULT_ADMIN_KEY}"}, timeout=10)
        assert refused.status_code == 401


def test_stop_frees_the_port_and_is_idempotent() -> None:
    server = EmulatorServer().start()
    url = server.base_url + "/organization/projects"
    server.stop()
    server.stop()
    with pytest.raises(requests.exceptions.ConnectionError):
        requests.get(url, timeout=2)


@pytest.mark.parametrize("host", ["0.0.0.0", "10.1.2.3", "example.com"])  # noqa: S104
def test_non_loopback_hosts_are_refused(host: str) -> None:
    with pytest.raises(ValueError, match="non-loopback"):
        EmulatorServer(host=host)


def test_app_wrapper_sees_every_request_and_drops_still_work() -> None:
    seen: list[str] = []

    def wrapper(app: ASGIApp) -> ASGIApp:
        async def wrapped(scope: Scope, receive: Receive, send: Send) -> None:
            if scope["type"] == "http":
                seen.append(scope["path"])
            await app(scope, receive, send)

        return wrapped

    with EmulatorServer(app_wrapper=wrapper) as server:
        headers = {"Authorization": f"Bearer {server.admin_key}"}
        assert requests.get(server.base_url + "/organization/projects", headers=headers, timeout=10).ok
        server.faults.add(FaultRule(path="/organization/users", drop=True))
        with pytest.raises(requests.exceptions.ConnectionError):
            requests.get(server.base_url + "/organization/users", headers=headers, timeout=10)
    assert seen == ["/v1/organization/projects", "/v1/organization/users"]


def test_concurrent_clients_leave_a_consistent_state(emulator: EmulatorServer, api: Api) -> None:
    headers = {"Authorization": f"Bearer {emulator.admin_key}"}

    def create(i: int) -> str:
        url = f"{emulator.base_url}/organization/projects"
        return str(requests.post(url, json={"name": f"c{i}"}, headers=headers, timeout=10).json()["id"])

    with ThreadPoolExecutor(max_workers=16) as pool:
        ids = list(pool.map(create, range(120)))
    assert len(set(ids)) == 120
    listed = [p["id"] for p in api.list_all("/organization/projects", limit=100)]
    assert sorted(listed[1:]) == sorted(ids)
    assert emulator.log.count(route="POST /organization/projects") == 120


def test_state_methods_are_safe_from_many_threads() -> None:
    state = EmulatorState()
    project_id = state.create_project("p")["id"]
    errors: list[BaseException] = []

    def work(i: int) -> Callable[[], None]:
        def run() -> None:
            try:
                for j in range(50):
                    account = state.create_service_account(project_id, f"t{i}-{j}")
                    state.delete_service_account(project_id, account["id"])
            except BaseException as exc:  # pragma: no cover - reported below
                errors.append(exc)

        return run

    threads = [threading.Thread(target=work(i)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert state.list_service_accounts(project_id)["data"] == []
    assert state.list_api_keys(project_id, owner_project_access="any")["data"] == []


def test_use_key_reports_the_status(emulator: EmulatorServer, api: Api, project: dict[str, Any]) -> None:
    created = api.ok("POST", f"/organization/projects/{project['id']}/service_accounts", json={"name": "bot"})
    assert emulator.use_key(created["api_key"]["value"]) == 200
    assert emulator.use_key("sk-svcacct-unknown-000000000000") == 401
    assert emulator.use_key(emulator.admin_key) == 403
