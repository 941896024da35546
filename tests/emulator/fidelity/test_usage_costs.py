"""Usage and costs, statement by statement: the range, the buckets, their pages, filters."""

from __future__ import annotations

from typing import Any

import pytest

from airflow_provider_openai_projects.emulator.families.usage import INPUT_COST_USD, OUTPUT_COST_USD
from airflow_provider_openai_projects.emulator.server import EmulatorServer
from tests.emulator.conftest import Api, assert_error
from tests.emulator.fidelity.helpers import endpoints, statement
from tests.emulator.fidelity.registry import holds

DAY, HOUR = 86400, 3600
COUNTED = ("GET /organization/usage/completions", "GET /organization/costs")


def _path(endpoint: str) -> str:
    return endpoint.split(" ", 1)[1]


def _midnight(emulator: EmulatorServer, days_ago: int) -> int:
    now = emulator.state.now()
    return now - now % DAY - days_ago * DAY


def _metered(api: Api, emulator: EmulatorServer) -> dict[str, str]:
    """A project with a service-account key; returns its ids and the key value."""
    project = api.ok("POST", "/organization/projects", json={"name": "metered"})
    account = api.ok("POST", f"/organization/projects/{project['id']}/service_accounts", json={"name": "bot"})
    return {"project": project["id"], "key": account["api_key"]["value"], "key_id": account["api_key"]["id"]}


def _call_at(emulator: EmulatorServer, moment: int, key: str) -> None:
    emulator.state.set_clock(moment)
    assert emulator.use_key(key) == 200


def _total(buckets: list[dict[str, Any]], endpoint: str) -> float:
    field = "amount" if endpoint.endswith("costs") else "num_model_requests"
    values = [r[field]["value"] if field == "amount" else r[field] for b in buckets for r in b["results"]]
    return round(sum(values), 10)


@holds("usage.start-inclusive", "usage.end-exclusive")
@pytest.mark.parametrize("endpoint", endpoints("usage.start-inclusive"))
def test_the_range_is_start_inclusive_end_exclusive_with_buckets_from_start_time(
    api: Api, emulator: EmulatorServer, endpoint: str
) -> None:
    """ "Start time ... inclusive"; "End time ... exclusive": a call at ``start_time`` counts,
    one at ``end_time`` does not; buckets start at ``start_time``, the last ends at ``end_time``."""
    start = _midnight(emulator, 3) + 5 * HOUR + 7  # on no boundary
    end = start + DAY + 11
    if endpoint in COUNTED:
        metered = _metered(api, emulator)
        for moment in (start - 1, start, end - 1, end):
            _call_at(emulator, moment, metered["key"])

    page = api.ok("GET", _path(endpoint), params={"start_time": start, "end_time": end})

    assert [(b["start_time"], b["end_time"]) for b in page["data"]] == [(start, start + DAY), (start + DAY, end)]
    if endpoint in COUNTED:  # the calls at start and end - 1 only
        per_call = 1 if endpoint.endswith("completions") else INPUT_COST_USD + OUTPUT_COST_USD
        assert _total(page["data"], endpoint) == pytest.approx(2 * per_call)


@holds("usage.bucket-widths")
@pytest.mark.parametrize("endpoint", endpoints("usage.bucket-widths"))
def test_usage_takes_1m_1h_1d_buckets_1d_by_default(api: Api, emulator: EmulatorServer, endpoint: str) -> None:
    """ "`1m`, `1h` and `1d` are supported, default to `1d`"."""
    start = _midnight(emulator, 2)
    default = api.ok("GET", _path(endpoint), params={"start_time": start, "end_time": start + DAY})
    assert [b["end_time"] - b["start_time"] for b in default["data"]] == [DAY]
    for width, seconds in (("1m", 60), ("1h", HOUR), ("1d", DAY)):
        page = api.ok("GET", _path(endpoint), params={"start_time": start, "bucket_width": width, "limit": 2})
        assert [b["end_time"] - b["start_time"] for b in page["data"]] == [seconds, seconds]


@holds("costs.bucket-width")
@pytest.mark.spec_violations_expected
def test_costs_take_only_1d_buckets(api: Api, emulator: EmulatorServer) -> None:
    """ "only `1d` is supported, default to `1d`"."""
    start = _midnight(emulator, 2)
    page = api.ok("GET", "/organization/costs", params={"start_time": start, "end_time": start + DAY})
    assert [b["end_time"] - b["start_time"] for b in page["data"]] == [DAY]
    assert_error(api.get("/organization/costs", params={"start_time": start, "bucket_width": "1h"}), 400)


@holds("usage.bucket-limit")
@pytest.mark.parametrize("endpoint", endpoints("usage.bucket-limit"))
def test_usage_pages_hold_the_limit_the_width_allows(api: Api, emulator: EmulatorServer, endpoint: str) -> None:
    """ "`bucket_width=1d`: default: 7, max: 31" (1h: 24/168, 1m: 60/1440)."""
    start = _midnight(emulator, 40)
    for width, default, most in (("1d", 7, 31), ("1h", 24, 168), ("1m", 60, 1440)):
        query = {"start_time": start, "bucket_width": width}
        assert len(api.ok("GET", _path(endpoint), params=query)["data"]) == default
        assert len(api.ok("GET", _path(endpoint), params={**query, "limit": most})["data"]) == most
        assert_error(api.get(_path(endpoint), params={**query, "limit": most + 1}), 400, param="limit")
        assert_error(api.get(_path(endpoint), params={**query, "limit": 0}), 400, param="limit")


@holds("costs.bucket-limit")
def test_cost_pages_hold_1_to_180_buckets_7_by_default(api: Api, emulator: EmulatorServer) -> None:
    """ "range between 1 and 180, and the default is 7"."""
    start = _midnight(emulator, 200)
    assert len(api.ok("GET", "/organization/costs", params={"start_time": start})["data"]) == 7
    assert len(api.ok("GET", "/organization/costs", params={"start_time": start, "limit": 180})["data"]) == 180
    for limit in (0, 181):
        assert_error(api.get("/organization/costs", params={"start_time": start, "limit": limit}), 400, param="limit")


@holds("usage.next-page")
@pytest.mark.parametrize("endpoint", endpoints("usage.next-page"))
def test_next_page_continues_where_the_page_ended(api: Api, emulator: EmulatorServer, endpoint: str) -> None:
    """ "Corresponding to the `next_page` field from the previous response"."""
    start = _midnight(emulator, 10)
    query = {"start_time": start, "end_time": start + 5 * DAY, "limit": 2}
    starts, page = [], api.ok("GET", _path(endpoint), params=query)
    while True:
        starts += [b["start_time"] for b in page["data"]]
        if not page["has_more"]:
            break
        page = api.ok("GET", _path(endpoint), params={**query, "page": page["next_page"]})
    assert starts == [start + i * DAY for i in range(5)]
    assert page["next_page"] is None


def _filtered(api: Api, emulator: EmulatorServer, endpoint: str, param: str, wanted: str) -> list[float]:
    start = _midnight(emulator, 0)
    query = {"start_time": start, param: [wanted]}
    return [_total(api.ok("GET", _path(endpoint), params=query)["data"], endpoint)]


@holds("usage.project-filter", "usage.user-filter", "usage.key-filter", "usage.model-filter")
@pytest.mark.parametrize(
    ("endpoint", "param"),
    [
        pytest.param(loc.split("#")[0], loc.split(":")[-1], id=loc)
        for key in ("usage.project-filter", "usage.user-filter", "usage.key-filter", "usage.model-filter")
        for loc in statement(key).locations
    ],
)
def test_usage_filters_keep_only_what_they_name(api: Api, emulator: EmulatorServer, endpoint: str, param: str) -> None:
    """ "Return only usage for these projects" (users, API keys, models), where usage is counted."""
    metered = _metered(api, emulator)
    member = emulator.add_org_user("user@example.com")
    emulator.state.add_project_user(metered["project"], "member", user_id=member["id"])
    user_key = emulator.create_user_api_key(metered["project"], member["id"])
    for key in (metered["key"], user_key["value"], user_key["value"]):
        assert emulator.use_key(key) == 200
    model = emulator.state.models[0].id
    match = {
        "project_ids": metered["project"],
        "user_ids": member["id"],
        "api_key_ids": metered["key_id"],
        "models": model,
    }[param]
    matching = _filtered(api, emulator, endpoint, param, match)
    other = _filtered(api, emulator, endpoint, param, "nothing-of-the-kind")
    expected = {"project_ids": 3, "user_ids": 2, "api_key_ids": 1, "models": 3}[param]
    assert (matching, other) == ([expected], [0])


@holds("usage.batch-filter")
def test_batch_true_gives_batch_jobs_only(api: Api, emulator: EmulatorServer) -> None:
    """ "If `true`, return batch jobs only. If `false`, return non-batch jobs only"."""
    assert emulator.use_key(_metered(api, emulator)["key"]) == 200
    start = _midnight(emulator, 0)
    counts = {
        flag: _total(
            api.ok("GET", "/organization/usage/completions", params={"start_time": start, "batch": flag})["data"], "u"
        )
        for flag in ("true", "false")
    }
    both = _total(api.ok("GET", "/organization/usage/completions", params={"start_time": start})["data"], "u")
    assert (counts["true"], counts["false"], both) == (0, 1, 1)  # every emulated call is a non-batch one


@holds("costs.project-filter", "costs.key-filter")
@pytest.mark.parametrize("param", ["project_ids", "api_key_ids"])
def test_cost_filters_keep_only_what_they_name(api: Api, emulator: EmulatorServer, param: str) -> None:
    """ "Return only costs for these projects" (API keys)."""
    metered, other = _metered(api, emulator), _metered(api, emulator)
    for key in (metered["key"], other["key"], other["key"]):
        assert emulator.use_key(key) == 200
    wanted = metered["project"] if param == "project_ids" else metered["key_id"]
    start = _midnight(emulator, 0)
    one = _total(api.ok("GET", "/organization/costs", params={"start_time": start, param: [wanted]})["data"], "costs")
    every = _total(api.ok("GET", "/organization/costs", params={"start_time": start})["data"], "costs")
    assert one == pytest.approx(every / 3)
