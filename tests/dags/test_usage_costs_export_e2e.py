"""``openai_usage_costs_export`` end to end: one usage file and one cost file per day under
the Variable's base folder, equal to the emulator's counted model calls of that day, a
re-run rewrites them, one list call each; the month's cost chart next to the data."""

from __future__ import annotations

import importlib.util
import json
from collections import Counter
from pathlib import Path
from typing import Any

import pendulum
import pytest

from airflow_provider_openai_projects.client import OpenAIAdminClient
from airflow_provider_openai_projects.emulator.families.usage import (
    CALL_INPUT_TOKENS,
    CALL_OUTPUT_TOKENS,
    INPUT_COST_USD,
    OUTPUT_COST_USD,
)
from airflow_provider_openai_projects.emulator.server import EmulatorServer

from .conftest import run_dag, set_variable, task_states, xcom

USAGE, COSTS = "/organization/usage/completions", "/organization/costs"
PROJECTS = "/organization/projects"  # the chart's project names


@pytest.fixture
def dag(example_dags: dict[str, Any]) -> Any:
    return example_dags["openai_usage_costs_export"]


def at(emulator: EmulatorServer, moment: pendulum.DateTime) -> None:
    emulator.state.set_clock(int(moment.timestamp()))


@pytest.fixture
def days(org: EmulatorServer, tmp_path: Path) -> list[pendulum.DateTime]:
    """Days ``d0 < d1 < d2`` (midnights, the last one today): two projects' keys used in
    ``d0`` and ``d1`` (at their first and last second, too) and today."""
    set_variable("openai_export_base_path", f"file://{tmp_path}/exports")
    d2 = pendulum.now("UTC").start_of("day")
    d0, d1 = d2.subtract(days=2), d2.subtract(days=1)
    search = org.state.create_project("team-search")["id"]
    ads = org.state.create_project("team-ads")["id"]
    with OpenAIAdminClient(org.admin_key, base_url=org.base_url) as client:
        search_key = client.create_service_account(search, name="search-backend")["api_key"]["value"]
        ads_key = client.create_service_account(ads, name="ads-backend")["api_key"]["value"]
    for moment, key, calls in [
        (d0.add(hours=12), search_key, 2),
        (d1, search_key, 3),  # the day's first second
        (d1.add(hours=9), ads_key, 4),
        (d2.subtract(seconds=1), ads_key, 1),  # the day's last second
        (d2, search_key, 5),  # today: the next day's
    ]:
        at(org, moment)
        for _ in range(calls):
            assert org.use_key(key) == 200
    at(org, pendulum.now("UTC"))
    org.log.clear()
    return [d0, d1, d2]


def lines(result: dict[str, Any]) -> list[dict[str, Any]]:
    return [json.loads(line) for line in Path(result["path"].removeprefix("file://")).read_text().splitlines()]


def calls_of(emulator: EmulatorServer, start: pendulum.DateTime, end: pendulum.DateTime) -> Counter[tuple[str, str]]:
    """The emulator's counted model calls of ``[start, end)`` per (project, model)."""
    low, high = int(start.timestamp()), int(end.timestamp())
    return Counter((c.project_id, c.model) for c in emulator.state.model_calls if low <= c.at < high)


def test_a_day_of_usage_and_costs_lands_in_one_file_each_and_a_rerun_rewrites_them(
    org: EmulatorServer, dag: Any, days: list[pendulum.DateTime], tmp_path: Path
) -> None:
    d0, d1, d2 = days
    run = run_dag(dag, when=d2)  # a run after midnight exports the day that ended then
    assert run.state == "success", task_states(run)
    usage, costs = xcom(run, "export_usage"), xcom(run, "export_costs")
    stem = f"{d1:%Y%m%dT%H%M%SZ}_{d2:%Y%m%dT%H%M%SZ}.jsonl"
    base = tmp_path / "exports"
    assert (usage["path"], costs["path"]) == (f"file://{base}/usage_completions/{stem}", f"file://{base}/costs/{stem}")

    expected = calls_of(org, d1, d2)
    assert sum(expected.values()) == 3 + 4 + 1
    [usage_bucket] = lines(usage)
    assert (usage_bucket["start_time"], usage_bucket["end_time"]) == (int(d1.timestamp()), int(d2.timestamp()))
    assert {(r["project_id"], r["model"]): r["num_model_requests"] for r in usage_bucket["results"]} == expected
    for result in usage_bucket["results"]:
        n = result["num_model_requests"]
        assert (result["input_tokens"], result["output_tokens"]) == (CALL_INPUT_TOKENS * n, CALL_OUTPUT_TOKENS * n)
    [cost_bucket] = lines(costs)
    amounts = {(r["project_id"], r["line_item"]): r["amount"]["value"] for r in cost_bucket["results"]}
    assert amounts == pytest.approx(
        {
            **{(project, f"{model}, input"): n * INPUT_COST_USD for (project, model), n in expected.items()},
            **{(project, f"{model}, output"): n * OUTPUT_COST_USD for (project, model), n in expected.items()},
        }
    )
    assert [(e.method, e.path) for e in org.log.entries()] == [("GET", USAGE), ("GET", COSTS), ("GET", PROJECTS)]

    chart = xcom(run, "chart")
    if importlib.util.find_spec("matplotlib") is None:
        assert chart is None
    else:
        assert chart == f"file://{base}/costs/monthly.png"
        assert (base / "costs" / "monthly.png").read_bytes().startswith(b"\x89PNG")

    # A re-run of the same day (cleared in the UI) rewrites both files whole: no duplicate.
    org.log.clear()
    again = run_dag(dag, when=d2)
    assert again.state == "success", task_states(again)
    assert (xcom(again, "export_usage"), xcom(again, "export_costs")) == (usage, costs)
    assert (lines(usage), lines(costs)) == ([usage_bucket], [cost_bucket])
    assert sorted(p.name for p in (base / "usage_completions").iterdir()) == [stem]
    assert sorted(p.name for p in (base / "costs").iterdir() if p.suffix == ".jsonl") == [stem]
    assert [(e.method, e.path) for e in org.log.entries()] == [("GET", USAGE), ("GET", COSTS), ("GET", PROJECTS)]

    # The day before is its own file, with only its own calls.
    earlier = run_dag(dag, when=d1)
    assert earlier.state == "success", task_states(earlier)
    [bucket] = lines(xcom(earlier, "export_usage"))
    assert {(r["project_id"], r["model"]): r["num_model_requests"] for r in bucket["results"]} == calls_of(org, d0, d1)
    assert sorted(p.name for p in (base / "usage_completions").iterdir()) == sorted(
        [stem, f"{d0:%Y%m%dT%H%M%SZ}_{d1:%Y%m%dT%H%M%SZ}.jsonl"]
    )
