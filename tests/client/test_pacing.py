"""Client-side pacing keeps requests under a per-endpoint rate and honours a shared cooldown."""

from __future__ import annotations

import pytest

from airflow_provider_openai_projects.client.pacing import Pacer


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds


def test_requests_are_spaced_to_the_configured_rate() -> None:
    clock = FakeClock()
    pacer = Pacer(60, clock=clock, sleep=clock.sleep)  # one per second
    start = clock.now
    for _ in range(5):
        pacer.wait("GET /organization/projects")
    assert clock.now - start == pytest.approx(4.0)


def test_endpoints_have_separate_buckets_by_default() -> None:
    clock = FakeClock()
    pacer = Pacer(60, clock=clock, sleep=clock.sleep)
    assert pacer.wait("GET /a") == 0
    assert pacer.wait("GET /b") == 0
    assert pacer.wait("GET /a") == pytest.approx(1.0)


def test_global_scope_shares_one_bucket() -> None:
    clock = FakeClock()
    pacer = Pacer(60, scope="global", clock=clock, sleep=clock.sleep)
    assert pacer.wait("GET /a") == 0
    assert pacer.wait("GET /b") == pytest.approx(1.0)


def test_burst_allows_back_to_back_requests_then_paces() -> None:
    clock = FakeClock()
    pacer = Pacer(60, burst=3, clock=clock, sleep=clock.sleep)
    waits = [pacer.wait("GET /a") for _ in range(5)]
    assert waits[:3] == [0, 0, 0]
    assert waits[3] == pytest.approx(1.0)
    assert waits[4] == pytest.approx(1.0)


def test_cooldown_after_a_429_holds_every_request_to_the_endpoint() -> None:
    clock = FakeClock()
    pacer = Pacer(None, clock=clock, sleep=clock.sleep)
    pacer.cool_down("GET /a", 10)
    assert pacer.wait("GET /a") == pytest.approx(10.0)
    assert pacer.wait("GET /b") == 0


def test_no_rate_means_no_waiting() -> None:
    clock = FakeClock()
    pacer = Pacer(None, clock=clock, sleep=clock.sleep)
    assert all(pacer.wait("GET /a") == 0 for _ in range(100))
