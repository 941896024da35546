"""Throttling: token buckets per endpoint or global, 429 without applying, Retry-After."""

from __future__ import annotations

from typing import Any

import pytest

from airflow_provider_openai_projects.emulator.faults import FaultInjector
from airflow_provider_openai_projects.emulator.server import EmulatorServer

from .conftest import Api, assert_error

PROJECTS = "/organization/projects"


def test_over_the_limit_is_429_and_the_change_is_not_applied(api: Api, emulator: EmulatorServer) -> None:
    emulator.faults.throttle(rpm=2)
    assert api.post(PROJECTS, json={"name": "one"}).status_code == 200
    assert api.post(PROJECTS, json={"name": "two"}).status_code == 200
    response = api.post(PROJECTS, json={"name": "three"})
    error = assert_error(response, 429, code="rate_limit_exceeded")
    assert "POST /organization/projects" in error["message"]
    assert int(response.headers["Retry-After"]) >= 1
    emulator.faults.throttle(None)
    assert [p["name"] for p in api.list_all(PROJECTS)] == ["Default project", "one", "two"]
    throttled = emulator.log.writes()[-1]
    assert (throttled.status, throttled.applied, throttled.fault) == (429, False, "throttled")
    assert emulator.faults.stats()["throttled"] == 1


def test_endpoint_scope_has_one_bucket_per_method_and_route_template(
    api: Api, emulator: EmulatorServer, project: dict[str, Any]
) -> None:
    other = api.ok("POST", PROJECTS, json={"name": "other"})
    emulator.faults.throttle(rpm=1, scope="endpoint")
    assert api.get(f"{PROJECTS}/{project['id']}/service_accounts").status_code == 200
    # Same route template, another project id: same bucket.
    assert_error(api.get(f"{PROJECTS}/{other['id']}/service_accounts"), 429)
    # Another route or another method: their own buckets.
    assert api.get(f"{PROJECTS}/{project['id']}/users").status_code == 200
    assert api.post(f"{PROJECTS}/{project['id']}/service_accounts", json={"name": "x"}).status_code == 200
    assert api.get(PROJECTS).status_code == 200


def test_global_scope_shares_one_bucket(api: Api, emulator: EmulatorServer) -> None:
    emulator.faults.throttle(rpm=2, scope="global")
    assert api.get(PROJECTS).status_code == 200
    assert api.get("/organization/users").status_code == 200
    assert_error(api.get("/organization/invites"), 429)


def test_retry_after_can_be_left_out(api: Api, emulator: EmulatorServer) -> None:
    emulator.faults.throttle(rpm=1, retry_after=False)
    api.get(PROJECTS)
    response = api.get(PROJECTS)
    assert_error(response, 429)
    assert "Retry-After" not in response.headers


def test_retry_after_ms_gives_the_wait_in_milliseconds(api: Api, emulator: EmulatorServer) -> None:
    emulator.faults.throttle(rpm=60, burst=1, retry_after=False, retry_after_ms=True)
    assert api.get(PROJECTS).status_code == 200
    response = api.get(PROJECTS)
    assert_error(response, 429)
    assert "Retry-After" not in response.headers
    assert 1 <= int(response.headers["Retry-After-Ms"]) <= 1000


def test_burst_sets_the_bucket_size(api: Api, emulator: EmulatorServer) -> None:
    emulator.faults.throttle(rpm=1, burst=3)
    assert [api.get(PROJECTS).status_code for _ in range(4)] == [200, 200, 200, 429]


def test_requests_refused_by_auth_do_not_use_the_bucket(api: Api, make_api: Any, emulator: EmulatorServer) -> None:
    emulator.faults.throttle(rpm=1)
    assert make_api("sk-admin-wrong-key-0000000000").get(PROJECTS).status_code == 401
    assert api.get(PROJECTS).status_code == 200


def test_the_bucket_refills_at_rpm() -> None:
    now = [100.0]
    faults = FaultInjector(clock=lambda: now[0])
    faults.throttle(rpm=6, burst=1)
    assert faults.admit("GET /x") is None
    refused = faults.admit("GET /x")
    assert refused is not None
    assert refused.headers == {"retry-after": "10"}
    now[0] += 5
    refused = faults.admit("GET /x")
    assert refused is not None
    assert refused.headers == {"retry-after": "5"}
    now[0] += 5
    assert faults.admit("GET /x") is None
    assert faults.stats()["throttled"] == 2


@pytest.mark.parametrize("kwargs", [{"rpm": 0}, {"rpm": 1, "burst": 0}, {"rpm": 1, "scope": "user"}])
def test_invalid_throttles_are_refused(kwargs: dict[str, Any]) -> None:
    with pytest.raises(ValueError, match="must be"):
        FaultInjector().throttle(**kwargs)
