"""Which records belong to which export file: half-open data intervals in whole seconds.

A DAG run exports the records of its data interval ``[start, end)``. The API's timestamps
are whole Unix seconds, so a record at second ``t`` belongs to the interval with
``ceil(start) <= t < ceil(end)``: consecutive intervals share no second and miss none,
and a record exactly at a boundary belongs to the later interval only.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from airflow_provider_openai_projects.client.errors import InvalidInputError
from airflow_provider_openai_projects.exports.records import MAX_TIMESTAMP

#: The end of the error for a run without an interval: short, so the log line is whole.
NO_INTERVAL = "set data_interval_start/end in the run's conf, or backfill"


def how_to_give_an_interval(dag_id: str, width: timedelta = timedelta(hours=1)) -> list[str]:
    """The lines that tell how to export a chosen interval of ``dag_id`` (logged before the
    error): the conf of a manual run, or a backfill of past intervals, each one short line."""
    start = datetime(2026, 11, 27, 10, tzinfo=UTC)
    end = start + width
    return [
        "This run has no data interval to export (a manual run without a logical date has none).",
        "Give the interval in the run's conf (UI: Trigger; CLI: airflow dags trigger -c), for example:",
        f'  {{"data_interval_start": "{start:%Y-%m-%dT%H:%M:%SZ}", "data_interval_end": "{end:%Y-%m-%dT%H:%M:%SZ}"}}',
        "or let Airflow run every interval of a past period (the DAG unpaused):",
        f"  airflow backfill create --dag-id {dag_id} --from-date {start:%Y-%m-%dT%H:%M:%S} "
        f"--to-date {end:%Y-%m-%dT%H:%M:%S}",
        "(A DAG of your own gets an interval per scheduled run from a data-interval timetable:",
        "  CronDataIntervalTimetable or a timedelta schedule, not Airflow 3's default cron one.)",
    ]


@dataclass(frozen=True)
class ExportInterval:
    """A half-open interval ``[start, end)`` of Unix seconds."""

    start: int
    end: int

    @classmethod
    def from_datetimes(cls, start: datetime | None, end: datetime | None) -> ExportInterval:
        """The interval ``[start, end)`` (a DAG run's ``data_interval_start``/``end``, or
        the interval a run was given).

        Raises :class:`InvalidInputError` (field ``data_interval``, one short line) when
        there is none: a bound missing (a manual run without a logical date has no data
        interval), or an end that does not come after the start (Airflow 3's default cron
        timetable gives ``start == end``). :func:`how_to_give_an_interval` says what to do.
        """
        if start is None or end is None or end <= start:
            raise InvalidInputError("data_interval", f"none to export; {NO_INTERVAL}")
        return cls(math.ceil(start.timestamp()), math.ceil(end.timestamp()))

    @classmethod
    def from_given(cls, start: str | datetime, end: str | datetime) -> ExportInterval:
        """The interval a run was given (ISO 8601 strings or datetimes; a bound without a time
        zone is UTC). Raises :class:`InvalidInputError` naming the bound that is not a date."""
        first, last = _parse(start, "data_interval_start"), _parse(end, "data_interval_end")
        if last <= first:
            raise InvalidInputError("data_interval_end", f"{_iso(last)} is not after data_interval_start {_iso(first)}")
        return cls.from_datetimes(first, last)

    def contains(self, timestamp: int) -> bool:
        return self.start <= timestamp < self.end

    def iso_bounds(self) -> tuple[str, str]:
        """``(start, end)`` as ISO 8601 UTC strings (``2026-11-27T10:00:00+00:00``): what
        logs, XCom and asset events show."""
        return _iso_seconds(self.start), _iso_seconds(self.end)

    @property
    def file_stem(self) -> str:
        """``20261127T100000Z_20261127T110000Z``: sortable, one name per interval."""
        return f"{_stamp(self.start)}_{_stamp(self.end)}"

    def check_within_retention(self, retention: timedelta | None, now: float) -> None:
        """Refuse an interval that starts before what the API still keeps."""
        if retention is None:
            return
        oldest = now - retention.total_seconds()
        if self.start < oldest:
            raise InvalidInputError(
                "data_interval",
                f"the interval starts at {_stamp(self.start)}, before the API's retention of "
                f"{retention.days} days (oldest kept: {_stamp(math.ceil(oldest))}); it cannot be exported",
            )


def _stamp(seconds: int) -> str:
    return datetime.fromtimestamp(seconds, UTC).strftime("%Y%m%dT%H%M%SZ")


def _iso_seconds(seconds: int) -> str:
    return datetime.fromtimestamp(seconds, UTC).isoformat()


def _parse(value: str | datetime, field: str) -> datetime:
    """A given bound as an aware datetime (UTC when it names no zone), from 1970 to the year
    9999 in UTC; anything else an :class:`InvalidInputError` naming ``field``."""
    if isinstance(value, datetime):
        moment = value
    else:
        try:
            moment = datetime.fromisoformat(str(value).strip())
        except ValueError:
            raise InvalidInputError(field, f"not an ISO 8601 date and time: {str(value)[:40]!r}") from None
    moment = moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
    if not 0 <= moment.timestamp() <= MAX_TIMESTAMP:  # the API's times are non-negative; a file name's year <= 9999
        raise InvalidInputError(field, f"{moment.isoformat()} is outside 1970-01-01 .. 9999-12-31 (UTC)")
    return moment


def _iso(moment: datetime | None) -> str:
    return moment.isoformat() if moment is not None else "none"


#: Bucket widths of the usage and costs endpoints, widest first, in seconds.
BUCKET_WIDTHS: dict[str, int] = {"1d": 86400, "1h": 3600, "1m": 60}


def bucket_width_for(
    interval: ExportInterval, requested: str | None, allowed: tuple[str, ...] = tuple(BUCKET_WIDTHS)
) -> str:
    """The bucket width to query ``interval`` with: ``requested``, or the widest allowed.

    The width must tile the interval: its start and end on UTC boundaries of the width (so
    the interval is a whole number of buckets). Then one query of ``[start, end)`` gives
    the same buckets whether the API starts them at ``start_time`` (as the spec says) or
    at the width's boundaries, and consecutive intervals neither share nor miss a bucket.
    A width that does not tile the interval (``1d`` buckets for an hourly interval: each
    run would export the whole day again) is refused with :class:`InvalidInputError`
    naming ``bucket_width``; so is an interval no allowed width tiles.
    """
    fits = [w for w in allowed if interval.start % BUCKET_WIDTHS[w] == 0 and interval.end % BUCKET_WIDTHS[w] == 0]
    if requested is None:
        if fits:
            return fits[0]
        raise InvalidInputError(
            "bucket_width",
            f"no bucket width ({', '.join(allowed)}) tiles the data interval {_iso_seconds(interval.start)} .. "
            f"{_iso_seconds(interval.end)}: its bounds must fall on UTC {_boundaries(allowed)}",
        )
    if requested not in allowed:
        raise InvalidInputError("bucket_width", f"must be one of {', '.join(allowed)}, got {requested!r}")
    if requested not in fits:
        advice = f"use bucket_width={fits[0]!r}" if fits else f"align the interval to UTC {_boundaries(allowed)}"
        raise InvalidInputError(
            "bucket_width",
            f"{requested!r} buckets do not tile the data interval {_iso_seconds(interval.start)} .. "
            f"{_iso_seconds(interval.end)} (its bounds must fall on UTC boundaries of the width), so consecutive "
            f"runs would export the same usage twice; {advice}, or schedule the DAG on {requested} boundaries",
        )
    return requested


def _boundaries(allowed: tuple[str, ...]) -> str:
    names = {"1d": "days", "1h": "hours", "1m": "minutes"}
    return " or ".join(names[w] for w in allowed)
