"""No request can hold the emulator for the others: a page costs what its ``limit`` allows.

The spec bounds a page of buckets (``limit``: 7 by default and 31 at most for ``1d``,
24/168 for ``1h``, 60/1440 for ``1m``); the emulator builds only that page, whatever the
range asked, so the worst range answers at once and other requests meanwhile too.
"""

from __future__ import annotations

import threading
import time

import requests

from airflow_provider_openai_projects.emulator.server import EmulatorServer
from tests.emulator.conftest import Api

#: From 1970 to the year 5000, in minutes: 1.6 billion buckets if the range were built.
WORST = {"start_time": 0, "end_time": 95_617_584_000, "bucket_width": "1m", "limit": 1440}


def test_the_widest_usage_range_answers_one_page_at_once(api: Api, emulator: EmulatorServer) -> None:
    started = time.perf_counter()
    page = api.ok("GET", "/organization/usage/completions", params=WORST)
    elapsed = time.perf_counter() - started

    assert (len(page["data"]), page["has_more"], page["next_page"]) == (1440, True, "page_86400")
    assert elapsed < 2.0, f"one page of the widest range took {elapsed:.2f}s"


def test_other_requests_are_answered_while_the_worst_ranges_are_asked(api: Api, emulator: EmulatorServer) -> None:
    stop = threading.Event()
    worst_answers: list[int] = []

    def hammer(path: str) -> None:
        with requests.Session() as session:
            session.headers["Authorization"] = f"Bearer {emulator.admin_key}"
            while not stop.is_set():
                params = WORST if "usage" in path else {**WORST, "bucket_width": "1d", "limit": 180}
                worst_answers.append(session.get(emulator.base_url + path, params=params, timeout=30).status_code)

    hammers = [
        threading.Thread(target=hammer, args=(path,), daemon=True)
        for path in ("/organization/usage/completions", "/organization/costs")
    ]
    for thread in hammers:
        thread.start()
    try:
        latencies = []
        for n in range(10):
            started = time.perf_counter()
            api.ok("POST", "/organization/projects", json={"name": f"meanwhile {n}"})
            latencies.append(time.perf_counter() - started)
    finally:
        stop.set()
        for thread in hammers:
            thread.join(timeout=30)

    assert worst_answers
    assert set(worst_answers) == {200}
    assert max(latencies) < 2.0, f"a request waited {max(latencies):.2f}s behind the worst ranges"
