"""A process that wakes up well after its reserved slot (a loaded host did not run it) does
not send on a slot that has passed: it takes a new one, so its request cannot land right on
the next holder's and be answered 429. The in-process pacer and the shared pacer's
reservations (``reserve``, which the async client uses); the shared pacer's ``wait``
admits at send time instead (``test_send_time_admission``)."""

from __future__ import annotations

from pathlib import Path

import pytest

from airflow_provider_openai_projects.client.budget import SharedPacer, open_store
from airflow_provider_openai_projects.client.pacing import MISSED_SLOT_FRACTION, Pacer

ENDPOINT = "POST /organization/projects/{project_id}/rate_limits/{rate_limit_id}"


class LateClock:
    """A clock whose sleeps overrun by ``overrun[n]`` seconds on the n-th sleep (a descheduled process)."""

    def __init__(self, overrun: list[float]) -> None:
        self.now = 1_000_000.0
        self.overrun = overrun
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        extra = self.overrun[len(self.sleeps) - 1] if len(self.sleeps) <= len(self.overrun) else 0.0
        self.now += seconds + extra


def pacers(tmp_path: Path, clock: LateClock) -> list[Pacer]:
    store = open_store(f"sqlite:///{tmp_path}/budget.db")
    return [
        Pacer(60, clock=clock, sleep=clock.sleep),
        ReservingPacer(store, "conn", 60, clock=clock, sleep=clock.sleep),
    ]


class ReservingPacer(SharedPacer):
    """The shared pacer's reservations driven through the reserve-and-sleep ``wait`` of the
    in-process pacer (how ``reserve`` behaves when a sleep on it overruns)."""

    wait = Pacer.wait


@pytest.mark.parametrize("kind", [0, 1], ids=["in-process", "shared"])
def test_a_slot_missed_by_more_than_the_tolerance_is_replaced_by_the_next_free_one(tmp_path: Path, kind: int) -> None:
    clock = LateClock(overrun=[0.8])  # one second apart; the first wake-up is 0.8 s late
    pacer = pacers(tmp_path, clock)[kind]
    pacer.wait(ENDPOINT)  # slot at t0
    pacer.wait(ENDPOINT)  # slot at t0 + 1 s, woken at t0 + 1.8 s: missed, the next slot (t0 + 2 s) is taken
    assert clock.sleeps == pytest.approx([1.0, 0.2], abs=0.002)
    sent_at = clock.now
    pacer.wait(ENDPOINT)  # the next request goes one interval after the replacement slot
    assert clock.now - sent_at == pytest.approx(1.0, abs=0.002)


@pytest.mark.parametrize("kind", [0, 1], ids=["in-process", "shared"])
def test_a_small_lateness_keeps_the_slot(tmp_path: Path, kind: int) -> None:
    late = MISSED_SLOT_FRACTION * 0.5
    clock = LateClock(overrun=[late])
    pacer = pacers(tmp_path, clock)[kind]
    pacer.wait(ENDPOINT)
    pacer.wait(ENDPOINT)
    assert clock.sleeps == pytest.approx([1.0], abs=0.002)
