"""Fault injection: errors before/after the change, dropped connections, latency, 429 headers."""

from __future__ import annotations

import email.utils
import threading
import time
from typing import Any

import pytest
import requests

from airflow_provider_openai_projects.emulator.faults import FaultRule
from airflow_provider_openai_projects.emulator.server import EmulatorServer

from .conftest import Api, assert_error

PROJECTS = "/organization/projects"


def _names(api: Api) -> list[str]:
    return [p["name"] for p in api.list_all(PROJECTS)]


def test_a_500_before_does_not_apply_the_create(api: Api, emulator: EmulatorServer) -> None:
    emulator.faults.add(FaultRule(method="POST", path=PROJECTS, status=500))
    error = assert_error(api.post(PROJECTS, json={"name": "lost"}), 500)
    assert error["type"] == "server_error"
    assert "lost" not in _names(api)
    entry = emulator.log.entries()[0]
    assert (entry.status, entry.applied, entry.fault) == (500, False, "status=500 when=before")


def test_a_500_after_applies_the_create_and_loses_the_response(api: Api, emulator: EmulatorServer) -> None:
    emulator.faults.add(FaultRule(method="POST", path=PROJECTS, status=500, when="after"))
    assert_error(api.post(PROJECTS, json={"name": "applied"}), 500)
    assert _names(api).count("applied") == 1
    entry = emulator.log.entries()[0]
    assert (entry.status, entry.applied, entry.fault) == (500, True, "status=500 when=after")


def test_a_failed_request_under_an_after_fault_is_not_applied(api: Api, emulator: EmulatorServer) -> None:
    emulator.faults.add(FaultRule(method="POST", path=PROJECTS, status=503, when="after"))
    assert_error(api.post(PROJECTS, json={"name": ""}), 503)
    assert emulator.log.entries()[0].applied is False


def test_drop_before_raises_connection_error_and_applies_nothing(api: Api, emulator: EmulatorServer) -> None:
    emulator.faults.add(FaultRule(method="POST", path=PROJECTS, drop=True))
    with pytest.raises(requests.exceptions.ConnectionError):
        requests.post(
            emulator.base_url + PROJECTS,
            json={"name": "dropped"},
            headers={"Authorization": f"Bearer {emulator.admin_key}"},
            timeout=10,
        )
    assert "dropped" not in _names(api)
    entry = emulator.log.entries()[0]
    assert (entry.status, entry.applied, entry.fault) == (None, False, "drop when=before")


def test_drop_after_raises_connection_error_but_applies_the_create(api: Api, emulator: EmulatorServer) -> None:
    emulator.faults.add(FaultRule(method="POST", path=PROJECTS, drop=True, when="after"))
    with pytest.raises(requests.exceptions.ConnectionError):
        api.post(PROJECTS, json={"name": "dropped-after"})
    assert _names(api).count("dropped-after") == 1
    assert emulator.log.entries()[0].applied is True


def test_the_server_keeps_serving_after_drops(api: Api, emulator: EmulatorServer) -> None:
    emulator.faults.add(FaultRule(method="GET", path=PROJECTS, drop=True, times=3))
    for _ in range(3):
        with pytest.raises(requests.exceptions.ConnectionError):
            api.get(PROJECTS)
    assert api.get(PROJECTS).status_code == 200


def test_latency_delays_one_request_without_blocking_others(api: Api, emulator: EmulatorServer) -> None:
    emulator.faults.add(FaultRule(method="GET", path=PROJECTS, latency=0.8))
    slow: dict[str, float] = {}

    def call_slowly() -> None:
        started = time.monotonic()
        response = requests.get(
            emulator.base_url + PROJECTS, headers={"Authorization": f"Bearer {emulator.admin_key}"}, timeout=10
        )
        assert response.status_code == 200
        slow["elapsed"] = time.monotonic() - started

    thread = threading.Thread(target=call_slowly)
    thread.start()
    time.sleep(0.1)
    started = time.monotonic()
    assert api.get("/organization/users").status_code == 200
    fast = time.monotonic() - started
    thread.join()
    assert slow["elapsed"] >= 0.8
    assert fast < 0.5


def test_latency_after_applies_the_change_before_the_slow_response(api: Api, emulator: EmulatorServer) -> None:
    emulator.faults.add(FaultRule(method="POST", path=PROJECTS, latency=1.0, when="after"))
    with pytest.raises(requests.exceptions.ReadTimeout):
        api.session.post(emulator.base_url + PROJECTS, json={"name": "timed out"}, timeout=0.3)
    assert _names(api).count("timed out") == 1
    deadline = time.monotonic() + 3
    while not emulator.log.writes()[0].complete and time.monotonic() < deadline:
        time.sleep(0.05)
    assert emulator.log.writes()[0].applied is True


def test_a_request_delayed_across_a_reset_is_abandoned_not_applied(api: Api, emulator: EmulatorServer) -> None:
    emulator.faults.add(FaultRule(method="POST", path=PROJECTS, latency=0.5))
    with pytest.raises(requests.exceptions.ReadTimeout):
        api.session.post(emulator.base_url + PROJECTS, json={"name": "from a previous test"}, timeout=0.1)
    emulator.reset()
    time.sleep(0.7)
    assert _names(api) == ["Default project"]
    assert [e.method for e in emulator.log.entries()] == ["GET"]


def test_latency_combines_with_a_status(api: Api, emulator: EmulatorServer) -> None:
    emulator.faults.add(FaultRule(method="GET", path=PROJECTS, latency=0.3, status=502))
    started = time.monotonic()
    error = assert_error(api.get(PROJECTS), 502)
    assert time.monotonic() - started >= 0.3
    assert "Bad gateway" in error["message"]


def test_429_with_retry_after_seconds(api: Api, emulator: EmulatorServer) -> None:
    emulator.faults.add(FaultRule(method="GET", path=PROJECTS, status=429, retry_after=7))
    response = api.get(PROJECTS)
    error = assert_error(response, 429, code="rate_limit_exceeded")
    assert error["type"] == "requests"
    assert response.headers["Retry-After"] == "7"
    assert "Retry-After-Ms" not in response.headers


def test_429_with_retry_after_ms(api: Api, emulator: EmulatorServer) -> None:
    emulator.faults.add(FaultRule(method="GET", path=PROJECTS, status=429, retry_after_ms=1500))
    response = api.get(PROJECTS)
    assert response.headers["Retry-After-Ms"] == "1500"
    assert "Retry-After" not in response.headers


def test_429_with_retry_after_as_an_http_date(api: Api, emulator: EmulatorServer) -> None:
    emulator.faults.add(FaultRule(method="GET", path=PROJECTS, status=429, retry_after=30, retry_after_date=True))
    header = api.get(PROJECTS).headers["Retry-After"]
    when = email.utils.parsedate_to_datetime(header).timestamp()
    assert 25 <= when - time.time() <= 31


def test_429_without_any_retry_header(api: Api, emulator: EmulatorServer) -> None:
    emulator.faults.add(FaultRule(method="GET", path=PROJECTS, status=429))
    response = api.get(PROJECTS)
    assert_error(response, 429, code="rate_limit_exceeded")
    assert "Retry-After" not in response.headers
    assert "Retry-After-Ms" not in response.headers


def test_times_counts_matching_requests_and_none_means_until_cleared(api: Api, emulator: EmulatorServer) -> None:
    emulator.faults.add(FaultRule(method="GET", path=PROJECTS, status=503, times=2))
    assert [api.get(PROJECTS).status_code for _ in range(3)] == [503, 503, 200]
    emulator.faults.add(FaultRule(method="GET", path=PROJECTS, status=503, times=None))
    assert [api.get(PROJECTS).status_code for _ in range(4)] == [503] * 4
    emulator.faults.clear()
    assert api.get(PROJECTS).status_code == 200


def test_rules_match_by_method_and_path_glob(api: Api, emulator: EmulatorServer, project: dict[str, Any]) -> None:
    emulator.faults.add(FaultRule(method="POST", path="/organization/projects/*/service_accounts", status=500))
    assert api.get(f"{PROJECTS}/{project['id']}/service_accounts").status_code == 200
    assert api.post(PROJECTS, json={"name": "unaffected"}).status_code == 200
    assert api.post(f"{PROJECTS}/{project['id']}/service_accounts", json={"name": "x"}).status_code == 500
    emulator.faults.add(FaultRule(method="*", path="/organization/users*", status=502, times=2))
    assert api.get("/organization/users").status_code == 502
    assert api.delete("/organization/users/user-x").status_code == 502
    assert api.get("/organization/users").status_code == 200


def test_the_oldest_matching_rule_applies_first(api: Api, emulator: EmulatorServer) -> None:
    emulator.faults.add(FaultRule(path=PROJECTS, status=502))
    emulator.faults.add(FaultRule(path=PROJECTS, status=503))
    assert [api.get(PROJECTS).status_code for _ in range(3)] == [502, 503, 200]


def test_stats_count_injected_faults(api: Api, emulator: EmulatorServer) -> None:
    emulator.faults.add(FaultRule(path=PROJECTS, status=500, times=2))
    emulator.faults.add(FaultRule(path="/nothing", status=500))
    api.get(PROJECTS)
    assert emulator.faults.stats() == {"injected": 1, "throttled": 0, "pending_rules": 2}
    api.get(PROJECTS)
    assert emulator.faults.stats() == {"injected": 2, "throttled": 0, "pending_rules": 1}


@pytest.mark.parametrize(
    "kwargs",
    [
        {},
        {"status": 200},
        {"status": 500, "drop": True},
        {"status": 500, "times": 0},
        {"latency": -1},
        {"status": 500, "when": "during"},
        {"drop": True, "retry_after": 1},
        {"status": 429, "retry_after_date": True},
    ],
)
def test_invalid_rules_are_refused(kwargs: dict[str, Any]) -> None:
    with pytest.raises(ValueError, match="invalid FaultRule"):
        FaultRule(**kwargs)
