"""Costs and the ten usage endpoints over real HTTP: usage counted from ``GET /v1/models``,
``group_by``, bucket widths, ``page`` pagination over 250 buckets, and what is refused."""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any

import pytest

from airflow_provider_openai_projects.client import BadRequestError, InvalidInputError, OpenAIAdminClient
from airflow_provider_openai_projects.client.endpoints import ENDPOINTS
from airflow_provider_openai_projects.client.resources.usage import BUCKET_QUERIES
from airflow_provider_openai_projects.emulator.families.usage import (
    CALL_INPUT_TOKENS,
    CALL_OUTPUT_TOKENS,
    INPUT_COST_USD,
    OUTPUT_COST_USD,
)
from airflow_provider_openai_projects.emulator.server import EmulatorServer

DAY = 86400


def _today(emulator: EmulatorServer) -> int:
    now = emulator.state.now()
    return now - now % DAY


def _project_with_two_keys(
    emulator: EmulatorServer, client: OpenAIAdminClient
) -> tuple[str, dict[str, Any], dict[str, Any]]:
    """A project with a service-account key and a user-owned key (values included)."""
    project = client.create_project(name="metered")
    account = client.create_service_account(project["id"], name="bot")
    ada = emulator.add_org_user("ada@example.com")
    client.add_project_user(project["id"], user_id=ada["id"], role="member")
    user_key = emulator.create_user_api_key(project["id"], ada["id"])
    return project["id"], dict(account["api_key"]), {**user_key, "user_id": ada["id"]}  # type: ignore[arg-type]


def test_model_calls_count_as_completions_usage_of_their_project_key_and_user(
    emulator: EmulatorServer, client: OpenAIAdminClient
) -> None:
    project_id, service_key, user_key = _project_with_two_keys(emulator, client)
    for _ in range(3):
        assert emulator.use_key(service_key["value"]) == 200
    assert emulator.use_key(user_key["value"]) == 200
    model = emulator.state.models[0].id

    grouped = client.list_usage_completions(
        start_time=_today(emulator), group_by=["project_id", "api_key_id", "user_id", "model"]
    )

    assert len(grouped) == 1  # today only: one 1d bucket
    bucket = grouped[0]
    assert (bucket["object"], bucket["start_time"], bucket["end_time"]) == (
        "bucket",
        _today(emulator),
        _today(emulator) + DAY,
    )
    results = sorted(bucket["results"], key=lambda r: r["num_model_requests"])
    assert [(r["api_key_id"], r["user_id"], r["num_model_requests"]) for r in results] == [
        (user_key["id"], user_key["user_id"], 1),
        (service_key["id"], None, 3),
    ]
    assert {(r["project_id"], r["model"], r["object"]) for r in results} == {
        (project_id, model, "organization.usage.completions.result")
    }
    assert results[1]["input_tokens"] == 3 * CALL_INPUT_TOKENS
    assert results[1]["output_tokens"] == 3 * CALL_OUTPUT_TOKENS
    # without group_by: one result for the bucket, every grouping field null
    [total] = client.list_usage_completions(start_time=_today(emulator))[0]["results"]
    assert (total["num_model_requests"], total["project_id"], total["api_key_id"]) == (4, None, None)
    # filters
    only_user = client.list_usage_completions(start_time=_today(emulator), user_ids=[user_key["user_id"]])
    assert only_user[0]["results"][0]["num_model_requests"] == 1
    assert client.list_usage_completions(start_time=_today(emulator), batch=True)[0]["results"] == []
    assert client.list_usage_completions(start_time=_today(emulator), models=["other"])[0]["results"] == []
    # the emulator's state: four calls recorded
    assert [(c.project_id, c.api_key_id) for c in emulator.state.model_calls] == [
        *[(project_id, service_key["id"])] * 3,
        (project_id, user_key["id"]),
    ]


def test_a_refused_key_counts_no_usage(emulator: EmulatorServer, client: OpenAIAdminClient) -> None:
    project = client.create_project(name="gone")
    account = client.create_service_account(project["id"], name="bot")
    client.delete_service_account(project["id"], account["id"])

    assert emulator.use_key(account["api_key"]["value"]) == 401  # type: ignore[index]

    assert emulator.state.model_calls == []
    assert client.list_usage_completions(start_time=_today(emulator))[0]["results"] == []


def test_costs_are_deterministic_per_project_and_line_item(emulator: EmulatorServer, client: OpenAIAdminClient) -> None:
    project_id, service_key, _ = _project_with_two_keys(emulator, client)
    for _ in range(2):
        emulator.use_key(service_key["value"])
    model = emulator.state.models[0].id

    [bucket] = client.list_costs(start_time=_today(emulator), group_by=["project_id", "line_item"])

    items = {r["line_item"]: r for r in bucket["results"]}
    assert set(items) == {f"{model}, input", f"{model}, output"}
    assert items[f"{model}, input"]["amount"] == {"value": pytest.approx(2 * INPUT_COST_USD), "currency": "usd"}
    assert items[f"{model}, output"]["amount"]["value"] == pytest.approx(2 * OUTPUT_COST_USD)
    assert (items[f"{model}, input"]["quantity"], items[f"{model}, input"]["quantity_unit"]) == (
        2 * CALL_INPUT_TOKENS,
        "tokens",
    )
    assert {r["project_id"] for r in bucket["results"]} == {project_id}
    [total] = client.list_costs(start_time=_today(emulator))[0]["results"]
    assert total["amount"]["value"] == pytest.approx(2 * (INPUT_COST_USD + OUTPUT_COST_USD))
    assert client.list_costs(start_time=_today(emulator), project_ids=["proj_other"])[0]["results"] == []


def test_250_daily_buckets_page_with_next_page_31_at_a_time(
    emulator: EmulatorServer, client: OpenAIAdminClient
) -> None:
    _, service_key, _ = _project_with_two_keys(emulator, client)
    start = _today(emulator) - 200 * DAY
    end = start + 250 * DAY
    emulator.state.advance_clock(-100 * DAY)
    emulator.use_key(service_key["value"])  # on day 100 of the range
    emulator.state.advance_clock(100 * DAY)
    emulator.log.clear()

    buckets = client.list_usage_completions(start_time=start, end_time=end)

    assert [b["start_time"] for b in buckets] == [start + i * DAY for i in range(250)]
    assert [i for i, b in enumerate(buckets) if b["results"]] == [100]
    pages = emulator.log.entries()
    assert len(pages) == 9  # ceil(250 / 31): the most the API serves per page
    assert {entry.query["limit"][0] for entry in pages} == {"31"}
    assert pages[0].query.get("page") is None
    assert [entry.query["page"][0] for entry in pages[1:]] == [f"page_{start + 31 * i * DAY}" for i in range(1, 9)]


def test_250_daily_cost_buckets_take_two_pages_of_up_to_180(
    emulator: EmulatorServer, client: OpenAIAdminClient
) -> None:
    start = _today(emulator) - 249 * DAY
    emulator.log.clear()

    buckets = client.list_costs(start_time=start, end_time=start + 250 * DAY)

    assert len(buckets) == 250
    assert [entry.query["limit"] for entry in emulator.log.entries()] == [["180"], ["180"]]


@pytest.mark.parametrize(("width", "seconds", "limit"), [("1m", 60, "1440"), ("1h", 3600, "168"), ("1d", DAY, "31")])
def test_buckets_start_at_start_time_end_at_end_time_and_the_largest_page_is_asked(
    emulator: EmulatorServer, client: OpenAIAdminClient, width: str, seconds: int, limit: str
) -> None:
    """Spec: ``start_time`` "inclusive", ``end_time`` "exclusive": buckets start at start_time."""
    start = _today(emulator) + 7  # not on a width boundary
    emulator.log.clear()

    buckets = client.list_usage_embeddings(start_time=start, end_time=start + 3 * seconds + 5, bucket_width=width)  # type: ignore[arg-type]

    assert [b["start_time"] for b in buckets] == [start + i * seconds for i in range(4)]
    assert [b["end_time"] - b["start_time"] for b in buckets] == [seconds, seconds, seconds, 5]
    assert emulator.log.entries()[0].query["bucket_width"] == [width]
    assert emulator.log.entries()[0].query["limit"] == [limit]


USAGE_METHODS: list[tuple[str, str, list[str]]] = [
    ("list_usage_audio_speeches", "organization.usage.audio_speeches.result", ["project_id", "model"]),
    ("list_usage_audio_transcriptions", "organization.usage.audio_transcriptions.result", ["api_key_id"]),
    ("list_usage_code_interpreter_sessions", "organization.usage.code_interpreter_sessions.result", ["project_id"]),
    ("list_usage_completions", "organization.usage.completions.result", ["batch", "service_tier"]),
    ("list_usage_embeddings", "organization.usage.embeddings.result", ["user_id"]),
    ("list_usage_file_search_calls", "organization.usage.file_searches.result", ["vector_store_id"]),
    ("list_usage_images", "organization.usage.images.result", ["size", "source"]),
    ("list_usage_moderations", "organization.usage.moderations.result", ["model"]),
    ("list_usage_vector_stores", "organization.usage.vector_stores.result", ["project_id"]),
    ("list_usage_web_search_calls", "organization.usage.web_searches.result", ["context_level"]),
]


@pytest.mark.parametrize(("method", "result_object", "group_by"), USAGE_METHODS)
def test_every_usage_endpoint_serves_spec_shaped_buckets_with_its_group_by(
    emulator: EmulatorServer, client: OpenAIAdminClient, method: str, result_object: str, group_by: list[str]
) -> None:
    start = _today(emulator)
    emulator.log.clear()

    buckets = getattr(client, method)(start_time=start, end_time=start + 2 * 3600, bucket_width="1h", group_by=group_by)

    assert [(b["object"], b["start_time"], b["end_time"]) for b in buckets] == [
        ("bucket", start, start + 3600),
        ("bucket", start + 3600, start + 7200),
    ]
    assert emulator.log.entries()[0].query["group_by"] == group_by
    if method != "list_usage_completions":
        assert all(b["results"] == [] for b in buckets)  # only completions are counted
    del result_object  # the result's shape is held by the suite-wide spec validation


def test_completions_with_group_by_batch_and_service_tier(emulator: EmulatorServer, client: OpenAIAdminClient) -> None:
    _, service_key, _ = _project_with_two_keys(emulator, client)
    emulator.use_key(service_key["value"])

    [bucket] = client.list_usage_completions(start_time=_today(emulator), group_by=["batch", "service_tier"])

    [result] = bucket["results"]
    assert (result["batch"], result["service_tier"], result["project_id"]) == (False, "default", None)


REFUSALS: list[tuple[Callable[[OpenAIAdminClient], object], str]] = [
    (lambda c: c.list_usage_completions(start_time=-1), "start_time"),
    (lambda c: c.list_usage_completions(start_time=True), "start_time"),  # type: ignore[arg-type]
    (lambda c: c.list_usage_completions(start_time=100, end_time=100), "end_time"),
    (lambda c: c.list_usage_completions(start_time=0, bucket_width="1w"), "bucket_width"),  # type: ignore[arg-type]
    (lambda c: c.list_costs(start_time=0, bucket_width="1h"), "bucket_width"),
    (lambda c: c.list_usage_vector_stores(start_time=0, group_by=["model"]), "group_by"),
    (lambda c: c.list_costs(start_time=0, group_by=["model"]), "group_by"),
    (lambda c: c.list_usage_images(start_time=0, sizes=["2x2"]), "sizes"),
    (lambda c: c.list_usage_web_search_calls(start_time=0, context_levels=["max"]), "context_levels"),
    (lambda c: c.list_usage_embeddings(start_time=0, project_ids="proj_1"), "project_ids"),
    (lambda c: c.list_usage_completions(start_time=0, batch="yes"), "batch"),  # type: ignore[arg-type]
]


@pytest.mark.parametrize(("call", "field"), REFUSALS)
def test_arguments_the_api_would_refuse_raise_before_any_request(
    emulator: EmulatorServer, client: OpenAIAdminClient, call: Callable[[OpenAIAdminClient], object], field: str
) -> None:
    with pytest.raises(InvalidInputError) as raised:
        call(client)
    assert raised.value.field == field
    assert emulator.log.entries() == []


@pytest.mark.spec_violations_expected
def test_the_emulator_answers_400_naming_a_missing_start_time(
    emulator: EmulatorServer, client: OpenAIAdminClient
) -> None:
    for method in ("list_costs", "list_usage_completions", "list_usage_vector_stores"):
        with pytest.raises(BadRequestError) as raised:
            client._call(method, params={"bucket_width": "1d"})
        assert raised.value.param == "start_time"
        assert "start_time" in str(raised.value)


def test_the_emulator_refuses_a_limit_over_the_widths_maximum_and_a_foreign_page(
    emulator: EmulatorServer, client: OpenAIAdminClient
) -> None:
    with pytest.raises(BadRequestError) as too_many:
        client._call("list_usage_completions", params={"start_time": 0, "bucket_width": "1d", "limit": 32})
    assert too_many.value.param == "limit"
    with pytest.raises(BadRequestError) as costs:
        client._call("list_costs", params={"start_time": 0, "limit": 181})
    assert costs.value.param == "limit"
    with pytest.raises(BadRequestError) as page:
        client._call("list_usage_completions", params={"start_time": 0, "page": "page_7"})
    assert page.value.param == "page"


def test_every_usage_row_of_the_endpoint_table_has_its_query_row_and_a_method_taking_exactly_it() -> None:
    """The usage methods are one :meth:`UsageMixin._buckets` over :data:`BUCKET_QUERIES`:
    the table, the endpoint rows and the public signatures stay together."""
    rows = {row.method_name for row in ENDPOINTS if row.family == "usage" and row.paging == "page"}
    assert set(BUCKET_QUERIES) == rows
    for name, spec in BUCKET_QUERIES.items():
        parameters = list(inspect.signature(getattr(OpenAIAdminClient, name)).parameters)[1:]
        expected = {"start_time", "end_time", "bucket_width", "group_by", *spec.filters, *spec.flags}
        assert set(parameters) == expected, name
