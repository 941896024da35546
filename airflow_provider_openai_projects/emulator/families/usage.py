"""Usage and costs: ``GET /v1/organization/usage/<kind>`` (ten kinds) and ``/organization/costs``.

What is counted: every successful ``GET /v1/models`` with a project or service-account
key (:meth:`UsageOps.use_key`) is one model call of :data:`CALL_INPUT_TOKENS` input and
:data:`CALL_OUTPUT_TOKENS` output tokens on the catalog's first model, in the
*completions* usage of the key's project, key and (user-owned keys) user, at the emulated
clock's time. Its cost is deterministic: :data:`INPUT_COST_USD` and
:data:`OUTPUT_COST_USD`, two line items (``"<model>, input"``/``"<model>, output"``).
The nine other usage kinds count nothing: their buckets are empty (still spec-shaped).

The endpoints: ``start_time`` required (unix seconds, inclusive; 400 naming it otherwise),
``end_time`` optional (exclusive; default now), ``bucket_width`` ``1m``/``1h``/``1d``
(costs: ``1d``). Buckets start at ``start_time`` and follow each other by the width (the
last one ends at ``end_time``), so a call counts in a query exactly when ``start_time <=
at < end_time``; every bucket in the range is listed (empty ones with ``results: []``),
``limit`` buckets per page, and a page builds only its own buckets whatever the range
(a query from 1970 costs what its ``limit`` allows) (usage: 1d 1..31 default 7,
1h 1..168 default 24, 1m 1..1440 default 60; costs 1..180 default 7), ``page`` +
``next_page`` pagination, filters (``project_ids``, ``user_ids``, ``api_key_ids``,
``models``, ...; bracketed or not) and ``group_by`` per the spec (fields not grouped by
are ``null``; without ``group_by`` one result per non-empty bucket).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from fastapi import APIRouter, Request
from starlette.responses import JSONResponse

from airflow_provider_openai_projects.emulator.errors import ApiError
from airflow_provider_openai_projects.emulator.state.core import check_choice, locked
from airflow_provider_openai_projects.emulator.state.credentials import CredentialOps

CALL_INPUT_TOKENS = 100
CALL_OUTPUT_TOKENS = 20
#: USD per call: 100 input tokens at $2.50/1M, 20 output tokens at $10/1M.
INPUT_COST_USD = 0.00025
OUTPUT_COST_USD = 0.0002
_FALLBACK_MODEL = "gpt-4o"

WIDTH_SECONDS = {"1m": 60, "1h": 3600, "1d": 86400}
#: ``bucket_width`` -> (default, max) buckets per page, for usage.
USAGE_LIMITS = {"1d": (7, 31), "1h": (24, 168), "1m": (60, 1440)}
COSTS_LIMITS = {"1d": (7, 180)}
_PAGE_PREFIX = "page_"


@dataclass(frozen=True)
class ModelCall:
    """One counted model call (what ``GET /v1/models`` with a key stands for)."""

    at: int
    project_id: str
    api_key_id: str
    user_id: str | None
    model: str

    def field(self, name: str) -> Any:
        """The value of a ``group_by``/filter field for this call."""
        return {"batch": False, "service_tier": "default"}.get(name, getattr(self, name, None))


@dataclass(frozen=True)
class UsageKind:
    """One usage endpoint: its result object, filters (query name -> call field), the
    ``group_by`` fields it takes and whether the emulator counts anything for it."""

    path: str
    result_object: str
    filters: dict[str, str]
    group_by: tuple[str, ...]
    counted: bool = False
    limits: dict[str, tuple[int, int]] | None = None


_PEOPLE = {"project_ids": "project_id", "user_ids": "user_id", "api_key_ids": "api_key_id"}
_MODELS = {**_PEOPLE, "models": "model"}
_BY = ("project_id", "user_id", "api_key_id", "model")

KINDS: tuple[UsageKind, ...] = (
    UsageKind(
        "completions",
        "organization.usage.completions.result",
        {**_MODELS, "batch": "batch"},
        (*_BY, "batch", "service_tier"),
        counted=True,
    ),
    UsageKind("embeddings", "organization.usage.embeddings.result", _MODELS, _BY),
    UsageKind("moderations", "organization.usage.moderations.result", _MODELS, _BY),
    UsageKind(
        "images",
        "organization.usage.images.result",
        {**_MODELS, "sources": "source", "sizes": "size"},
        (*_BY, "size", "source"),
    ),
    UsageKind(
        "audio_speeches",
        "organization.usage.audio_speeches.result",
        _MODELS,
        _BY,
    ),
    UsageKind(
        "audio_transcriptions",
        "organization.usage.audio_transcriptions.result",
        _MODELS,
        _BY,
    ),
    UsageKind(
        "vector_stores", "organization.usage.vector_stores.result", {"project_ids": "project_id"}, ("project_id",)
    ),
    UsageKind(
        "code_interpreter_sessions",
        "organization.usage.code_interpreter_sessions.result",
        {"project_ids": "project_id"},
        ("project_id",),
    ),
    UsageKind(
        "file_search_calls",
        "organization.usage.file_searches.result",
        {**_PEOPLE, "vector_store_ids": "vector_store_id"},
        ("project_id", "user_id", "api_key_id", "vector_store_id"),
    ),
    UsageKind(
        "web_search_calls",
        "organization.usage.web_searches.result",
        {**_MODELS, "context_levels": "context_level"},
        (*_BY, "context_level"),
    ),
)

COSTS = UsageKind(
    "costs",
    "organization.costs.result",
    {"project_ids": "project_id", "api_key_ids": "api_key_id"},
    ("project_id", "line_item", "api_key_id"),
    counted=True,
    limits=COSTS_LIMITS,
)


@dataclass(frozen=True)
class BucketQuery:
    """A usage or costs query, checked (see :meth:`UsageOps.usage_page`)."""

    start_time: int
    end_time: int | None = None
    bucket_width: str = "1d"
    filters: dict[str, list[str]] | None = None
    group_by: Sequence[str] = ()
    limit: int | None = None
    page: str | None = None


def _line_items(call: ModelCall) -> list[tuple[str, float, int]]:
    """(line item, USD, tokens) of one call."""
    return [
        (f"{call.model}, input", INPUT_COST_USD, CALL_INPUT_TOKENS),
        (f"{call.model}, output", OUTPUT_COST_USD, CALL_OUTPUT_TOKENS),
    ]


def _completions_results(kind: UsageKind, calls: list[ModelCall], group_by: Sequence[str]) -> list[dict[str, Any]]:
    groups: dict[tuple[Any, ...], list[ModelCall]] = {}
    for call in calls:
        groups.setdefault(tuple(call.field(name) for name in group_by), []).append(call)
    results = []
    for key, members in groups.items():
        grouped = dict(zip(group_by, key, strict=True))
        results.append(
            {
                "object": kind.result_object,
                "input_tokens": CALL_INPUT_TOKENS * len(members),
                "output_tokens": CALL_OUTPUT_TOKENS * len(members),
                "input_cached_tokens": 0,
                "num_model_requests": len(members),
                **{name: grouped.get(name) for name in kind.group_by},
            }
        )
    return results


def _costs_results(calls: list[ModelCall], group_by: Sequence[str]) -> list[dict[str, Any]]:
    groups: dict[tuple[Any, ...], list[float]] = {}
    quantities: dict[tuple[Any, ...], int] = {}
    for call in calls:
        for line_item, usd, tokens in _line_items(call):
            values = {"project_id": call.project_id, "api_key_id": call.api_key_id, "line_item": line_item}
            key = tuple(values[name] for name in group_by)
            groups.setdefault(key, []).append(usd)
            quantities[key] = quantities.get(key, 0) + tokens
    results = []
    for key, amounts in groups.items():
        grouped = dict(zip(group_by, key, strict=True))
        by_line_item = "line_item" in grouped
        results.append(
            {
                "object": COSTS.result_object,
                "amount": {"value": round(sum(amounts), 10), "currency": "usd"},
                "line_item": grouped.get("line_item"),
                "project_id": grouped.get("project_id"),
                "api_key_id": grouped.get("api_key_id"),
                "quantity": quantities[key] if by_line_item else None,
                "quantity_unit": "tokens" if by_line_item else None,
            }
        )
    return results


class UsageOps(CredentialOps):
    """Model calls counted from ``GET /v1/models``, served as usage and costs buckets."""

    model_calls: list[ModelCall]

    @locked
    def reset(self) -> None:
        super().reset()
        self.model_calls = []

    @locked
    def use_key(self, value: str) -> dict[str, Any]:
        """As :meth:`CredentialOps.use_key`; a successful call is also counted as usage."""
        listed = super().use_key(value)
        project_id, key_id = self._keys[value]
        key = self._api_key(self._project(project_id), key_id)
        model = self.models[0].id if self.models else _FALLBACK_MODEL
        user_id = key.owner_id if key.owner_type == "user" else None
        self.model_calls.append(ModelCall(self.now(), project_id, key_id, user_id, model))
        return listed

    @locked
    def usage_page(self, kind: UsageKind, query: BucketQuery) -> dict[str, Any]:
        """One page of ``kind``'s buckets (the spec's ``UsageResponse``); 400 naming the
        parameter for a bad width, limit, group_by or page."""
        limits = kind.limits or USAGE_LIMITS
        check_choice(query.bucket_width, tuple(limits), "bucket_width")
        default_limit, max_limit = limits[query.bucket_width]
        limit = default_limit if query.limit is None else query.limit
        if not 1 <= limit <= max_limit:
            raise ApiError(
                400,
                f"Invalid 'limit': must be between 1 and {max_limit} for bucket_width={query.bucket_width}.",
                param="limit",
            )
        for name in query.group_by:
            check_choice(name, kind.group_by, "group_by")
        width = WIDTH_SECONDS[query.bucket_width]
        start = query.start_time
        # With end_time, the range ends there (exclusive) and so does the last bucket;
        # without, it runs to now, the last bucket (holding now) keeping its full width.
        last = self.now() + 1 if query.end_time is None else query.end_time
        first = start if query.page is None else self._page_start(query.page, start, width)
        # Only this page's buckets are built, whatever the range: those starting in [first, page_end).
        page_end = min(last, first + limit * width)
        more = page_end < last
        starts = range(first, page_end, width)
        upper = starts[-1] + width if starts else first
        if query.end_time is not None:
            upper = min(upper, last)
        counts: dict[int, list[ModelCall]] = {}
        if kind.counted and starts:
            filters = query.filters or {}
            for call in self.model_calls:
                if first <= call.at < upper and self._passes(kind, call, filters):
                    counts.setdefault((call.at - first) // width, []).append(call)
        data = []
        for index, bucket_start in enumerate(starts):
            calls = counts.get(index, [])
            bucket_end = bucket_start + width if query.end_time is None else min(bucket_start + width, last)
            data.append(
                {
                    "object": "bucket",
                    "start_time": bucket_start,
                    "end_time": bucket_end,
                    "results": self._results(kind, calls, query.group_by) if calls else [],
                }
            )
        next_page = f"{_PAGE_PREFIX}{page_end}" if more else None
        return {"object": "page", "data": data, "has_more": more, "next_page": next_page}

    @staticmethod
    def _page_start(page: str, first: int, width: int) -> int:
        raw = page.removeprefix(_PAGE_PREFIX)
        if not page.startswith(_PAGE_PREFIX) or not raw.isdigit() or int(raw) <= first or (int(raw) - first) % width:
            raise ApiError(400, f"Invalid 'page': '{page}' is not a page of this query.", param="page")
        return int(raw)

    @staticmethod
    def _passes(kind: UsageKind, call: ModelCall, filters: dict[str, list[str]]) -> bool:
        for param, wanted in filters.items():
            if str(call.field(kind.filters[param])).lower() not in {value.lower() for value in wanted}:
                return False
        return True

    @staticmethod
    def _results(kind: UsageKind, calls: list[ModelCall], group_by: Sequence[str]) -> list[dict[str, Any]]:
        if kind is COSTS:
            return _costs_results(calls, group_by)
        return _completions_results(kind, calls, group_by)


# -- routes -------------------------------------------------------------------------------


def _int(raw: str, param: str) -> int:
    try:
        return int(raw)
    except ValueError:
        raise ApiError(400, f"Invalid '{param}': expected an integer, got '{raw}'.", param=param) from None


def _values(request: Request, name: str) -> list[str]:
    """Query values of ``name``, repeated (``name=a&name=b``) or bracketed (``name[]=a``)."""
    return [*request.query_params.getlist(name), *request.query_params.getlist(name + "[]")]


def bucket_query(request: Request, kind: UsageKind) -> BucketQuery:
    """The checked query of a usage or costs request (400 naming a bad parameter)."""
    params = request.query_params
    raw_start = params.get("start_time")
    if raw_start is None:
        raise ApiError(400, "Missing required parameter: 'start_time'.", param="start_time")
    raw_end, raw_limit = params.get("end_time"), params.get("limit")
    filters = {name: _values(request, name) for name in kind.filters if _values(request, name)}
    return BucketQuery(
        start_time=_int(raw_start, "start_time"),
        end_time=None if raw_end is None else _int(raw_end, "end_time"),
        bucket_width=params.get("bucket_width", "1d"),
        filters=filters,
        group_by=_values(request, "group_by"),
        limit=None if raw_limit is None else _int(raw_limit, "limit"),
        page=params.get("page"),
    )


def _endpoint(state: UsageOps, kind: UsageKind) -> Callable[[Request], Any]:
    async def serve(request: Request) -> JSONResponse:
        return JSONResponse(state.usage_page(kind, bucket_query(request, kind)))

    serve.__name__ = f"usage_{kind.path}"
    return serve


def usage_routes(state: UsageOps) -> APIRouter:
    """``GET /v1/organization/costs`` and the ten ``GET /v1/organization/usage/<kind>``."""
    router = APIRouter(prefix="/v1")
    router.add_api_route("/organization/costs", _endpoint(state, COSTS), methods=["GET"])
    for kind in KINDS:
        router.add_api_route(f"/organization/usage/{kind.path}", _endpoint(state, kind), methods=["GET"])
    return router
