"""Export audit logs, usage and costs into storage, one file per DAG-run data interval.

Each operator writes the records of its task's data interval ``[start, end)`` as
newline-delimited JSON (the API's own fields, one record a line) to
``<path>/<start>_<end>.jsonl``. Exactly once across runs: a retry or a re-run of the same
interval rewrites the same file atomically (write a temporary sibling, then rename),
never appends; an event at the interval's boundary belongs to exactly one interval (see
:mod:`airflow_provider_openai_projects.exports.intervals`). Pages are streamed to the file,
so memory does not grow with the number of records. Nothing relies on the API's order of
records, which is not documented.

``path`` is the base folder: a URL string (``file:///data/openai/audit``,
``s3://bucket/prefix``, anything Airflow's ``ObjectStoragePath`` supports through the
installed providers) or an ``ObjectStoragePath``. Each operator emits an event for its
Asset (``outlets``; by default ``Asset("openai_<kind>_export")``) whose ``extra`` names the
file written, so downstream DAGs (a warehouse load) can be scheduled on it.

A run without a data interval (a manual run without a logical date) can be given one:
``data_interval_start`` and ``data_interval_end`` (templated; the example DAGs take them from
the run's Params: :func:`interval_params` and :data:`INTERVAL_FROM_PARAMS`). Without either,
such a run fails at once with one short error line, after log lines showing the conf to
trigger with and the ``airflow backfill create`` command.

Returned to XCom: ``{"path", "records", "data_interval_start", "data_interval_end"}``.
Never a secret: audit events and usage carry key ids and redacted values only.

Hostile input (issue 18): the rendered ``path`` must stay under itself (no ``..`` segment;
:func:`~..exports.storage.export_target`); concurrent runs of one interval never delete each
other's temporary files (:mod:`~..exports.storage`); every record is checked before it is
written (finite numbers, real times: :mod:`~..exports.records`), and a record that fails,
or an audit page larger than the connection's ``max_response_bytes``, fails the task at once
(no retry would change it) naming the endpoint, the record and how to resume.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Iterator, Mapping, Sequence
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, Literal

from airflow.sdk import Asset, ObjectStoragePath, Param
from airflow.sdk.exceptions import AirflowFailException

from airflow_provider_openai_projects.client.errors import ResponseTooLargeError
from airflow_provider_openai_projects.exports.intervals import ExportInterval, how_to_give_an_interval
from airflow_provider_openai_projects.exports.records import (
    ExportRecordError,
    OversizeEventError,
    checked,
    timestamp,
)
from airflow_provider_openai_projects.exports.storage import ExportPathError, export_target, write_jsonl_once
from airflow_provider_openai_projects.operators.base import OpenAIAdminBaseOperator

RECENT_IDS = 1000
"""How many of the last exported audit-event ids the export remembers (ten pages) to drop
an event the API repeats across a page boundary."""

if TYPE_CHECKING:
    from airflow.sdk import Context

UsageKind = Literal[
    "audio_speeches",
    "audio_transcriptions",
    "code_interpreter_sessions",
    "completions",
    "embeddings",
    "file_search_calls",
    "images",
    "moderations",
    "vector_stores",
    "web_search_calls",
]
USAGE_KINDS: tuple[str, ...] = UsageKind.__args__  # type: ignore[attr-defined]
"""The usage endpoints' kinds, written here so that a DAG's parse does not load the client
(whose ``list_usage_<kind>`` methods a test holds them to)."""

#: An export's interval taken from the run's Params: ``AuditLogsToStorageOperator(...,
#: **INTERVAL_FROM_PARAMS)`` in a DAG whose ``params`` are :func:`interval_params`. A manual run
#: names its interval (the Trigger form, or its conf); a scheduled run leaves both empty and
#: exports its own data interval.
INTERVAL_FROM_PARAMS: dict[str, str] = {
    "data_interval_start": "{{ params.data_interval_start or '' }}",
    "data_interval_end": "{{ params.data_interval_end or '' }}",
}


def interval_params() -> dict[str, Param]:
    """The DAG ``params`` a manual run names its interval with, what
    :data:`INTERVAL_FROM_PARAMS` reads: both optional, ISO 8601 (a bound without a zone is UTC)."""
    return {
        bound: Param(
            None, type=["null", "string"], format="date-time", description=f"{what} (ISO 8601, UTC if no zone)"
        )
        for bound, what in (
            ("data_interval_start", "Manual runs: the start of the interval to export"),
            ("data_interval_end", "Manual runs: the end of the interval to export (excluded)"),
        )
    }


class _IntervalExportOperator(OpenAIAdminBaseOperator):
    """Base of the export operators: interval, retention, atomic file, asset event.

    :param path: base folder (URL string or ``ObjectStoragePath``); templated.
    :param retention: how far back the API keeps these records; an interval that starts
        earlier fails with a clear error instead of exporting a silently incomplete file.
        ``None`` disables the check.
    :param data_interval_start: with ``data_interval_end``, the interval to export instead of
        the run's (ISO 8601 or a datetime; no time zone means UTC); templated. Empty or
        ``None``: the run's data interval.
    :param data_interval_end: see ``data_interval_start``.
    """

    template_fields: Sequence[str] = (
        *OpenAIAdminBaseOperator.template_fields,
        "path",
        "data_interval_start",
        "data_interval_end",
    )
    export_kind: str = ""
    default_retention: timedelta | None = None
    #: The time fields every record must carry (checked in :meth:`checked_records`); ``None``
    #: when :meth:`records` checks its records itself.
    record_time_fields: tuple[str, ...] | None = ("start_time", "end_time")
    #: The list endpoint the records come from (named in record errors).
    record_endpoint: str = ""

    def __init__(
        self,
        *,
        path: str | ObjectStoragePath,
        retention: timedelta | Literal["default"] | None = "default",
        data_interval_start: str | datetime | None = None,
        data_interval_end: str | datetime | None = None,
        **kwargs: Any,
    ) -> None:
        kwargs.setdefault("outlets", [Asset(f"openai_{self.export_kind}_export")])
        super().__init__(**kwargs)
        self.path = path
        self.retention = self.default_retention if retention == "default" else retention
        self.data_interval_start = data_interval_start
        self.data_interval_end = data_interval_end

    def check_interval(self, interval: ExportInterval) -> None:
        """Refuse, before any request, an interval this export cannot cover exactly."""

    def records(self, interval: ExportInterval) -> Iterator[Mapping[str, Any]]:
        """The records of ``interval``, streamed page by page."""
        raise NotImplementedError

    def checked_records(self, interval: ExportInterval) -> Iterator[Mapping[str, Any]]:
        """:meth:`records`, each checked (finite numbers, real times) as it streams past."""
        if self.record_time_fields is None:
            return self.records(interval)
        return checked(self.record_endpoint, self.records(interval), self.record_time_fields)

    def interval(self, context: Context) -> ExportInterval:
        """The interval given to the task, else the run's data interval; none: a short error
        after the log lines that tell how to give one."""
        from airflow_provider_openai_projects.client.errors import InvalidInputError

        start, end = _given(self.data_interval_start), _given(self.data_interval_end)
        if start is not None and end is not None:
            return ExportInterval.from_given(start, end)
        if start is not None or end is not None:
            missing = "data_interval_end" if start is not None else "data_interval_start"
            raise InvalidInputError(missing, "give both bounds of the interval to export, or neither")
        try:
            return ExportInterval.from_datetimes(context.get("data_interval_start"), context.get("data_interval_end"))
        except InvalidInputError:
            for line in how_to_give_an_interval(self.dag_id, self._interval_width(context)):
                self.log.error("%s", line)
            raise

    def _interval_width(self, context: Context) -> timedelta:
        """One interval of the DAG's timetable (an hour when it cannot tell), for the example."""
        import pendulum

        dag = context.get("dag")
        try:
            info = dag.timetable.infer_manual_data_interval(  # type: ignore[union-attr]
                run_after=pendulum.datetime(2026, 11, 27, 10, 30, tz="UTC")
            )
            width = info.end - info.start
            return width if width > timedelta(0) else timedelta(hours=1)
        except Exception:  # only the example's width depends on it
            return timedelta(hours=1)

    def run(self, context: Context) -> dict[str, Any]:
        interval = self.interval(context)
        interval.check_within_retention(self.retention, time.time())
        self.check_interval(interval)
        base = self.path if isinstance(self.path, ObjectStoragePath) else ObjectStoragePath(str(self.path))
        try:
            target = export_target(base, f"{interval.file_stem}.jsonl")
            count = write_jsonl_once(target, self.checked_records(interval))
        except ExportPathError as error:
            raise AirflowFailException(f"invalid path: {error}") from None
        except (ExportRecordError, OversizeEventError) as error:
            raise AirflowFailException(str(error)) from error
        self.log.info(
            "Exported %d %s record(s) of [%s, %s) to %s", count, self.export_kind, *interval.iso_bounds(), target
        )
        self._emit_asset_events(context, str(target), count, interval)
        start, end = interval.iso_bounds()
        return {"path": str(target), "records": count, "data_interval_start": start, "data_interval_end": end}

    def _emit_asset_events(self, context: Context, path: str, count: int, interval: ExportInterval) -> None:
        outlet_events = context.get("outlet_events")
        if outlet_events is None:
            return
        start, end = interval.iso_bounds()
        for outlet in self.outlets:
            if isinstance(outlet, Asset):
                outlet_events[outlet].extra = {
                    "path": path,
                    "records": count,
                    "data_interval_start": start,
                    "data_interval_end": end,
                }


def _given(bound: str | datetime | None) -> str | datetime | None:
    """A bound given to the task: ``None`` for empty or the text ``None`` (a template of an unset Param)."""
    if bound is None or (isinstance(bound, str) and bound.strip() in ("", "None")):
        return None
    return bound


class AuditLogsToStorageOperator(_IntervalExportOperator):
    """Export the audit events whose ``effective_at`` lies in the task's data interval.

    Filters (all optional, as the API names them): ``event_types``, ``project_ids``,
    ``actor_ids``, ``actor_emails``, ``resource_ids``. One list call per 100 events.
    ``project_ids`` keeps the events scoped to those projects: what people did there, not
    what admin keys changed there (the API associates "any admin actions taken via Admin
    API keys" with the Default project); filter on ``resource_ids`` to follow a target.
    Events are de-duplicated by id within the file (a page boundary moving under new
    events cannot write one twice); an event without an id is never merged with another.

    :param tenant_only: export the tenant-scoped events instead (group membership, role
        bindings such as ``tenant.group.member.added`` or ``role.bound_to_resource``): the
        API lists them only when asked, and then nothing else. Its asset is
        ``openai_audit_logs_tenant_export``; give it its own ``path``.
    """

    template_fields: Sequence[str] = (
        *_IntervalExportOperator.template_fields,
        "event_types",
        "project_ids",
        "actor_ids",
        "actor_emails",
        "resource_ids",
    )
    export_kind = "audit_logs"
    record_endpoint = "GET /organization/audit_logs"
    record_time_fields = None  # records() checks each event (effective_at) before filtering on it

    def __init__(
        self,
        *,
        event_types: list[str] | None = None,
        project_ids: list[str] | None = None,
        actor_ids: list[str] | None = None,
        actor_emails: list[str] | None = None,
        resource_ids: list[str] | None = None,
        tenant_only: bool = False,
        **kwargs: Any,
    ) -> None:
        if tenant_only:  # its own asset: openai_audit_logs_tenant_export
            self.export_kind = "audit_logs_tenant"
        super().__init__(**kwargs)
        self.tenant_only = tenant_only
        self.event_types = event_types
        self.project_ids = project_ids
        self.actor_ids = actor_ids
        self.actor_emails = actor_emails
        self.resource_ids = resource_ids

    def records(self, interval: ExportInterval) -> Iterator[Mapping[str, Any]]:
        """The interval's events, streamed a page at a time, each once.

        A cursor-paged listing of a past interval holds each event once; an event the API
        repeats across a page boundary is dropped by a window of the last
        :data:`RECENT_IDS` ids, so memory stays flat whatever the number of events.
        """
        seen: OrderedDict[str, None] = OrderedDict()
        events = self.hook.iter_audit_logs(
            effective_at={"gte": interval.start, "lt": interval.end},
            event_types=self.event_types,
            project_ids=self.project_ids,
            actor_ids=self.actor_ids,
            actor_emails=self.actor_emails,
            resource_ids=self.resource_ids,
            tenant_only=self.tenant_only or None,
        )
        for event in self._whole_events(interval, checked(self.record_endpoint, events, ("effective_at",))):
            event_id = event.get("id")
            if not interval.contains(timestamp(event.get("effective_at")) or -1):
                continue
            if isinstance(event_id, str) and event_id:  # de-duplicated only by a present id
                if event_id in seen:
                    continue
                seen[event_id] = None
                if len(seen) > RECENT_IDS:
                    seen.popitem(last=False)
            yield event

    def _whole_events(
        self, interval: ExportInterval, events: Iterator[Mapping[str, Any]]
    ) -> Iterator[Mapping[str, Any]]:
        """``events``; a page the client cannot take whole (``max_response_bytes``) fails the
        task at once naming the last event exported and how to resume, instead of failing
        every try the same way."""
        last: str | None = None
        count = 0
        try:
            for event in events:
                count += 1
                last = event.get("id") if isinstance(event.get("id"), str) else last
                yield event
        except ResponseTooLargeError as error:
            start, end = interval.iso_bounds()
            after = f"after event {last!r} (the {count}th of the interval)" if last else "at the interval's start"
            raise OversizeEventError(
                f"{self.record_endpoint}: a page of audit events {after} in [{start}, {end}) is larger than the "
                "connection's max_response_bytes: one of its events (up to 100) cannot be taken whole. Raise the "
                "connection extra 'max_response_bytes' above that page's size and clear this task to resume; the "
                "interval's file was not written",
                method="GET",
                path="/organization/audit_logs",
            ) from error


class UsageToStorageOperator(_IntervalExportOperator):
    """Export the usage buckets of one kind (``completions``, ``embeddings``, ...) for the
    task's data interval; one line per time bucket, the API's bucket object as it is.

    :param kind: one of the ten usage endpoints (:data:`USAGE_KINDS`).
    :param bucket_width: ``1m``, ``1h`` or ``1d``, or ``None`` (default): the widest that
        tiles the data interval. A width must tile it (bounds on UTC boundaries of the
        width), else the task fails before any request naming ``bucket_width``: ``1d``
        buckets for an hourly interval would export each day's usage 24 times
        (:func:`~airflow_provider_openai_projects.exports.intervals.bucket_width_for`).
    :param group_by: fields to group each bucket's results by (``project_id``, ``model``...).
    """

    template_fields: Sequence[str] = (*_IntervalExportOperator.template_fields, "kind", "bucket_width", "group_by")

    def __init__(
        self,
        *,
        kind: str = "completions",
        bucket_width: Literal["1m", "1h", "1d"] | None = None,
        group_by: list[str] | None = None,
        **kwargs: Any,
    ) -> None:
        self.export_kind = f"usage_{kind}"
        self.record_endpoint = f"GET /organization/usage/{kind}"
        super().__init__(**kwargs)
        self.kind = kind
        self.bucket_width = bucket_width
        self.group_by = group_by

    def run(self, context: Context) -> dict[str, Any]:
        from airflow_provider_openai_projects.client.errors import InvalidInputError

        if self.kind not in USAGE_KINDS:
            raise InvalidInputError("kind", f"must be one of {', '.join(USAGE_KINDS)}, got {self.kind!r}")
        return super().run(context)

    def check_interval(self, interval: ExportInterval) -> None:
        from airflow_provider_openai_projects.exports.intervals import bucket_width_for

        bucket_width_for(interval, self.bucket_width)

    def records(self, interval: ExportInterval) -> Iterator[Mapping[str, Any]]:
        from airflow_provider_openai_projects.exports.intervals import bucket_width_for

        list_usage = getattr(self.hook, f"list_usage_{self.kind}")
        return iter(
            list_usage(
                start_time=interval.start,
                end_time=interval.end,
                bucket_width=bucket_width_for(interval, self.bucket_width),
                group_by=self.group_by,
            )
        )


class CostsToStorageOperator(_IntervalExportOperator):
    """Export the daily cost buckets of the task's data interval (``group_by``
    ``project_id`` and/or ``line_item``); one line per day, the API's bucket as it is.

    Costs come in ``1d`` buckets only, so the data interval must be whole UTC days (a
    daily schedule in UTC); any other interval fails before any request, naming
    ``bucket_width`` (an hourly run would export the whole day's costs each hour)."""

    template_fields: Sequence[str] = (*_IntervalExportOperator.template_fields, "group_by")
    export_kind = "costs"
    record_endpoint = "GET /organization/costs"

    def __init__(self, *, group_by: list[str] | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.group_by = group_by

    def check_interval(self, interval: ExportInterval) -> None:
        from airflow_provider_openai_projects.exports.intervals import bucket_width_for

        bucket_width_for(interval, "1d", allowed=("1d",))

    def records(self, interval: ExportInterval) -> Iterator[Mapping[str, Any]]:
        return iter(self.hook.list_costs(start_time=interval.start, end_time=interval.end, group_by=self.group_by))
