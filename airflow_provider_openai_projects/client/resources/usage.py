"""Costs and the ten usage endpoints: time buckets, paged with ``page`` (DESIGN.md fact 18).

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

from collections.abc import Sequence
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


class UsageMixin(EndpointCaller):
    def _buckets(
        self,
        method_name: str,
        *,
        start_time: int,
        end_time: int | None,
        bucket_width: str,
        group_by: Sequence[str] | None,
        allowed_group_by: Sequence[str],
        filters: dict[str, tuple[Sequence[str] | None, Sequence[str] | None]],
        max_buckets: dict[str, int] = USAGE_MAX_BUCKETS,
        extra: dict[str, Any] | None = None,
    ) -> list[UsageBucket]:
        query = bucket_query(
            start_time=start_time,
            end_time=end_time,
            bucket_width=bucket_width,
            max_buckets=max_buckets,
            group_by=group_by,
            allowed_group_by=allowed_group_by,
            filters=filters,
        )
        query.update({name: value for name, value in (extra or {}).items() if value is not None})
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
        return self._buckets(
            "list_costs",
            start_time=start_time,
            end_time=end_time,
            bucket_width=bucket_width,
            group_by=group_by,
            allowed_group_by=("project_id", "line_item", "api_key_id"),
            filters={"project_ids": (project_ids, None), "api_key_ids": (api_key_ids, None)},
            max_buckets=COSTS_MAX_BUCKETS,
        )

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
        if batch is not None and not isinstance(batch, bool):
            raise InvalidInputError("batch", "must be a boolean")
        return self._buckets(
            "list_usage_completions",
            start_time=start_time,
            end_time=end_time,
            bucket_width=bucket_width,
            group_by=group_by,
            allowed_group_by=(*_BY, "batch", "service_tier"),
            filters=_people(project_ids, user_ids, api_key_ids, models),
            extra={"batch": batch},
        )

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
        return self._buckets(
            "list_usage_embeddings",
            start_time=start_time,
            end_time=end_time,
            bucket_width=bucket_width,
            group_by=group_by,
            allowed_group_by=_BY,
            filters=_people(project_ids, user_ids, api_key_ids, models),
        )

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
        return self._buckets(
            "list_usage_moderations",
            start_time=start_time,
            end_time=end_time,
            bucket_width=bucket_width,
            group_by=group_by,
            allowed_group_by=_BY,
            filters=_people(project_ids, user_ids, api_key_ids, models),
        )

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
        return self._buckets(
            "list_usage_images",
            start_time=start_time,
            end_time=end_time,
            bucket_width=bucket_width,
            group_by=group_by,
            allowed_group_by=(*_BY, "size", "source"),
            filters={
                "sources": (sources, IMAGE_SOURCES),
                "sizes": (sizes, IMAGE_SIZES),
                **_people(project_ids, user_ids, api_key_ids, models),
            },
        )

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
        return self._buckets(
            "list_usage_audio_speeches",
            start_time=start_time,
            end_time=end_time,
            bucket_width=bucket_width,
            group_by=group_by,
            allowed_group_by=_BY,
            filters=_people(project_ids, user_ids, api_key_ids, models),
        )

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
        return self._buckets(
            "list_usage_audio_transcriptions",
            start_time=start_time,
            end_time=end_time,
            bucket_width=bucket_width,
            group_by=group_by,
            allowed_group_by=_BY,
            filters=_people(project_ids, user_ids, api_key_ids, models),
        )

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
        return self._buckets(
            "list_usage_vector_stores",
            start_time=start_time,
            end_time=end_time,
            bucket_width=bucket_width,
            group_by=group_by,
            allowed_group_by=("project_id",),
            filters={"project_ids": (project_ids, None)},
        )

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
        return self._buckets(
            "list_usage_code_interpreter_sessions",
            start_time=start_time,
            end_time=end_time,
            bucket_width=bucket_width,
            group_by=group_by,
            allowed_group_by=("project_id",),
            filters={"project_ids": (project_ids, None)},
        )

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
        return self._buckets(
            "list_usage_file_search_calls",
            start_time=start_time,
            end_time=end_time,
            bucket_width=bucket_width,
            group_by=group_by,
            allowed_group_by=("project_id", "user_id", "api_key_id", "vector_store_id"),
            filters={
                "project_ids": (project_ids, None),
                "user_ids": (user_ids, None),
                "api_key_ids": (api_key_ids, None),
                "vector_store_ids": (vector_store_ids, None),
            },
        )

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
        return self._buckets(
            "list_usage_web_search_calls",
            start_time=start_time,
            end_time=end_time,
            bucket_width=bucket_width,
            group_by=group_by,
            allowed_group_by=(*_BY, "context_level"),
            filters={
                **_people(project_ids, user_ids, api_key_ids, models),
                "context_levels": (context_levels, CONTEXT_LEVELS),
            },
        )


def _people(
    project_ids: Sequence[str] | None,
    user_ids: Sequence[str] | None,
    api_key_ids: Sequence[str] | None,
    models: Sequence[str] | None,
) -> dict[str, tuple[Sequence[str] | None, Sequence[str] | None]]:
    return {
        "project_ids": (project_ids, None),
        "user_ids": (user_ids, None),
        "api_key_ids": (api_key_ids, None),
        "models": (models, None),
    }
