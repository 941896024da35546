"""Costs and the ten usage endpoints: time buckets, paged with ``page`` (docs/design.md fact 18).

The methods differ only in the filters and ``group_by`` fields they take: those are the
rows of :data:`BUCKET_QUERIES` (one per ``usage`` row of :data:`..endpoints.ENDPOINTS`),
and every method is the same :meth:`UsageMixin._buckets` over its row; the methods keep
their own typed signatures (the README's hook table and type checkers read them).

Every method is a read (safe to repeat) and returns every bucket of ``[start_time,
end_time)`` over every page; each bucket's ``results`` hold the endpoint's result objects
(grouped by ``group_by``; fields not grouped by are ``null``). Pages are as large as the
API allows for the bucket width (usage: ``1d`` 31, ``1h`` 168, ``1m`` 1440 buckets;
costs: 180), so a range costs as few throttled calls as possible. Arguments the API
would refuse (missing or negative ``start_time``, an ``end_time`` not after it, a width
or ``group_by`` field or enum value the endpoint does not take) raise
:class:`InvalidInputError` naming the argument, before anything is sent.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, cast

from airflow_provider_openai_projects.client.errors import InvalidInputError
from airflow_provider_openai_projects.client.resources._base import EndpointCaller
from airflow_provider_openai_projects.client.resources.audit_logs import check_strings, check_timestamp
from airflow_provider_openai_projects.client.resources.observe_types import BucketWidth, UsageBucket

USAGE_MAX_BUCKETS: dict[str, int] = {"1d": 31, "1h": 168, "1m": 1440}
"""The most buckets one usage page holds, per ``bucket_width`` (the spec's bounds)."""
COSTS_MAX_BUCKETS: dict[str, int] = {"1d": 180}
"""Costs take only ``1d`` buckets, up to 180 a page."""

_BY = ("project_id", "user_id", "api_key_id", "model")
IMAGE_SOURCES = ("image.generation", "image.edit", "image.variation")
IMAGE_SIZES = ("256x256", "512x512", "1024x1024", "1792x1792", "1024x1792")
CONTEXT_LEVELS = ("low", "medium", "high")


def _checked_list(values: Sequence[str] | None, field: str, allowed: Sequence[str] | None) -> list[str] | None:
    checked = check_strings(values, field)
    for value in checked or []:
        if allowed is not None and value not in allowed:
            raise InvalidInputError(field, f"{value!r} is not one of {', '.join(allowed)}")
    return checked


def bucket_query(
    *,
    start_time: int,
    end_time: int | None,
    bucket_width: str,
    max_buckets: dict[str, int],
    group_by: Sequence[str] | None,
    allowed_group_by: Sequence[str],
    filters: dict[str, tuple[Sequence[str] | None, Sequence[str] | None]],
) -> dict[str, Any]:
    """The checked query of a costs or usage request (``limit``: the most the width allows).

    ``filters``: query name -> (values, allowed values or ``None`` for any ids).
    """
    query: dict[str, Any] = {"start_time": check_timestamp(start_time, "start_time")}
    if end_time is not None:
        if check_timestamp(end_time, "end_time") <= start_time:
            raise InvalidInputError("end_time", "must be after start_time")
        query["end_time"] = end_time
    if bucket_width not in max_buckets:
        raise InvalidInputError("bucket_width", f"{bucket_width!r} is not one of {', '.join(max_buckets)}")
    query["bucket_width"] = bucket_width
    query["limit"] = max_buckets[bucket_width]
    for name, (values, allowed) in filters.items():
        checked = _checked_list(values, name, allowed)
        if checked:
            query[name] = checked
    grouped = _checked_list(group_by, "group_by", allowed_group_by)
    if grouped:
        query["group_by"] = grouped
    return query


@dataclass(frozen=True)
class BucketQuery:
    """What one costs or usage endpoint takes besides ``start_time``, ``end_time``,
    ``bucket_width`` and ``group_by``.

    :param group_by: the fields its ``group_by`` takes.
    :param filters: its list filters, in query order: name -> the values the API takes, or
        ``None`` for any ids.
    :param flags: its boolean query fields (checked as booleans first, sent when given).
    :param max_buckets: the largest page per ``bucket_width`` (the widths it takes).
    """

    group_by: tuple[str, ...]
    filters: Mapping[str, tuple[str, ...] | None]
    flags: tuple[str, ...] = ()
    max_buckets: Mapping[str, int] | None = None


_PEOPLE: dict[str, tuple[str, ...] | None] = {
    "project_ids": None,
    "user_ids": None,
    "api_key_ids": None,
    "models": None,
}
_PROJECTS_ONLY = BucketQuery(("project_id",), {"project_ids": None})

BUCKET_QUERIES: dict[str, BucketQuery] = {
    "list_costs": BucketQuery(
        ("project_id", "line_item", "api_key_id"),
        {"project_ids": None, "api_key_ids": None},
        max_buckets=COSTS_MAX_BUCKETS,
    ),
    "list_usage_completions": BucketQuery((*_BY, "batch", "service_tier"), _PEOPLE, flags=("batch",)),
    "list_usage_embeddings": BucketQuery(_BY, _PEOPLE),
    "list_usage_moderations": BucketQuery(_BY, _PEOPLE),
    "list_usage_images": BucketQuery(
        (*_BY, "size", "source"), {"sources": IMAGE_SOURCES, "sizes": IMAGE_SIZES, **_PEOPLE}
    ),
    "list_usage_audio_speeches": BucketQuery(_BY, _PEOPLE),
    "list_usage_audio_transcriptions": BucketQuery(_BY, _PEOPLE),
    "list_usage_vector_stores": _PROJECTS_ONLY,
    "list_usage_code_interpreter_sessions": _PROJECTS_ONLY,
    "list_usage_file_search_calls": BucketQuery(
        ("project_id", "user_id", "api_key_id", "vector_store_id"),
        {"project_ids": None, "user_ids": None, "api_key_ids": None, "vector_store_ids": None},
    ),
    "list_usage_web_search_calls": BucketQuery((*_BY, "context_level"), {**_PEOPLE, "context_levels": CONTEXT_LEVELS}),
}
"""The costs and usage endpoints' arguments, keyed by their methods' names (the ``usage``
rows of :data:`..endpoints.ENDPOINTS`; a test holds the two and the signatures together)."""


class UsageMixin(EndpointCaller):
    def _buckets(self, method_name: str, arguments: Mapping[str, Any]) -> list[UsageBucket]:
        """Every bucket of the costs or usage endpoint ``method_name``, from its method's
        ``arguments`` checked against its :data:`BUCKET_QUERIES` row."""
        spec = BUCKET_QUERIES[method_name]
        for flag in spec.flags:
            if arguments[flag] is not None and not isinstance(arguments[flag], bool):
                raise InvalidInputError(flag, "must be a boolean")
        query = bucket_query(
            start_time=arguments["start_time"],
            end_time=arguments["end_time"],
            bucket_width=arguments["bucket_width"],
            max_buckets=dict(spec.max_buckets or USAGE_MAX_BUCKETS),
            group_by=arguments["group_by"],
            allowed_group_by=spec.group_by,
            filters={name: (arguments[name], allowed) for name, allowed in spec.filters.items()},
        )
        query.update({flag: arguments[flag] for flag in spec.flags if arguments[flag] is not None})
        return cast(list[UsageBucket], self._list(method_name, params=query))

    def list_costs(
        self,
        *,
        start_time: int,
        end_time: int | None = None,
        bucket_width: str = "1d",
        project_ids: Sequence[str] | None = None,
        api_key_ids: Sequence[str] | None = None,
        group_by: Sequence[str] | None = None,
    ) -> list[UsageBucket]:
        """Daily costs (``organization.costs.result``: ``amount {value, currency}``), grouped
        by ``project_id``, ``line_item`` and/or ``api_key_id``."""
        return self._buckets("list_costs", locals())

    def list_usage_completions(
        self,
        *,
        start_time: int,
        end_time: int | None = None,
        bucket_width: BucketWidth = "1d",
        project_ids: Sequence[str] | None = None,
        user_ids: Sequence[str] | None = None,
        api_key_ids: Sequence[str] | None = None,
        models: Sequence[str] | None = None,
        batch: bool | None = None,
        group_by: Sequence[str] | None = None,
    ) -> list[UsageBucket]:
        """Completions usage (tokens and requests); ``batch`` keeps batch (``True``) or
        non-batch (``False``) jobs only."""
        return self._buckets("list_usage_completions", locals())

    def list_usage_embeddings(
        self,
        *,
        start_time: int,
        end_time: int | None = None,
        bucket_width: BucketWidth = "1d",
        project_ids: Sequence[str] | None = None,
        user_ids: Sequence[str] | None = None,
        api_key_ids: Sequence[str] | None = None,
        models: Sequence[str] | None = None,
        group_by: Sequence[str] | None = None,
    ) -> list[UsageBucket]:
        """Embeddings usage (input tokens and requests)."""
        return self._buckets("list_usage_embeddings", locals())

    def list_usage_moderations(
        self,
        *,
        start_time: int,
        end_time: int | None = None,
        bucket_width: BucketWidth = "1d",
        project_ids: Sequence[str] | None = None,
        user_ids: Sequence[str] | None = None,
        api_key_ids: Sequence[str] | None = None,
        models: Sequence[str] | None = None,
        group_by: Sequence[str] | None = None,
    ) -> list[UsageBucket]:
        """Moderations usage (input tokens and requests)."""
        return self._buckets("list_usage_moderations", locals())

    def list_usage_images(
        self,
        *,
        start_time: int,
        end_time: int | None = None,
        bucket_width: BucketWidth = "1d",
        sources: Sequence[str] | None = None,
        sizes: Sequence[str] | None = None,
        project_ids: Sequence[str] | None = None,
        user_ids: Sequence[str] | None = None,
        api_key_ids: Sequence[str] | None = None,
        models: Sequence[str] | None = None,
        group_by: Sequence[str] | None = None,
    ) -> list[UsageBucket]:
        """Images usage (images and requests); ``sources`` and ``sizes`` take the spec's values."""
        return self._buckets("list_usage_images", locals())

    def list_usage_audio_speeches(
        self,
        *,
        start_time: int,
        end_time: int | None = None,
        bucket_width: BucketWidth = "1d",
        project_ids: Sequence[str] | None = None,
        user_ids: Sequence[str] | None = None,
        api_key_ids: Sequence[str] | None = None,
        models: Sequence[str] | None = None,
        group_by: Sequence[str] | None = None,
    ) -> list[UsageBucket]:
        """Audio speeches usage (characters and requests)."""
        return self._buckets("list_usage_audio_speeches", locals())

    def list_usage_audio_transcriptions(
        self,
        *,
        start_time: int,
        end_time: int | None = None,
        bucket_width: BucketWidth = "1d",
        project_ids: Sequence[str] | None = None,
        user_ids: Sequence[str] | None = None,
        api_key_ids: Sequence[str] | None = None,
        models: Sequence[str] | None = None,
        group_by: Sequence[str] | None = None,
    ) -> list[UsageBucket]:
        """Audio transcriptions usage (seconds and requests)."""
        return self._buckets("list_usage_audio_transcriptions", locals())

    def list_usage_vector_stores(
        self,
        *,
        start_time: int,
        end_time: int | None = None,
        bucket_width: BucketWidth = "1d",
        project_ids: Sequence[str] | None = None,
        group_by: Sequence[str] | None = None,
    ) -> list[UsageBucket]:
        """Vector stores usage (bytes), groupable by ``project_id`` only."""
        return self._buckets("list_usage_vector_stores", locals())

    def list_usage_code_interpreter_sessions(
        self,
        *,
        start_time: int,
        end_time: int | None = None,
        bucket_width: BucketWidth = "1d",
        project_ids: Sequence[str] | None = None,
        group_by: Sequence[str] | None = None,
    ) -> list[UsageBucket]:
        """Code interpreter sessions, groupable by ``project_id`` only."""
        return self._buckets("list_usage_code_interpreter_sessions", locals())

    def list_usage_file_search_calls(
        self,
        *,
        start_time: int,
        end_time: int | None = None,
        bucket_width: BucketWidth = "1d",
        project_ids: Sequence[str] | None = None,
        user_ids: Sequence[str] | None = None,
        api_key_ids: Sequence[str] | None = None,
        vector_store_ids: Sequence[str] | None = None,
        group_by: Sequence[str] | None = None,
    ) -> list[UsageBucket]:
        """File search calls (requests)."""
        return self._buckets("list_usage_file_search_calls", locals())

    def list_usage_web_search_calls(
        self,
        *,
        start_time: int,
        end_time: int | None = None,
        bucket_width: BucketWidth = "1d",
        project_ids: Sequence[str] | None = None,
        user_ids: Sequence[str] | None = None,
        api_key_ids: Sequence[str] | None = None,
        models: Sequence[str] | None = None,
        context_levels: Sequence[str] | None = None,
        group_by: Sequence[str] | None = None,
    ) -> list[UsageBucket]:
        """Web search calls (model requests and searches); ``context_levels``: low/medium/high."""
        return self._buckets("list_usage_web_search_calls", locals())
