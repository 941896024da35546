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


@dataclass(frozen=True)
class ExportInterval:
    """A half-open interval ``[start, end)`` of Unix seconds."""

    start: int
    end: int

    @classmethod
    def from_datetimes(cls, start: datetime | None, end: datetime | None) -> ExportInterval:
        """The interval of a DAG run's ``data_interval_start``/``data_interval_end``.

        Raises :class:`InvalidInputError` when the run has no interval (Airflow 3's default
        cron timetable gives ``start == end``): exports need a data-interval timetable.
        """
        if start is None or end is None or end <= start:
            raise InvalidInputError(
                "data_interval",
                "this export needs a DAG run with a data interval (start before end), got "
                f"{_iso(start)} .. {_iso(end)}; schedule the DAG with a data-interval timetable, e.g. "
                "schedule=CronDataIntervalTimetable('@hourly', timezone='UTC') or a timedelta",
            )
        return cls(math.ceil(start.timestamp()), math.ceil(end.timestamp()))

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
