"""Data intervals: half-open, whole seconds, one file name each, retention and bad intervals."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from airflow_provider_openai_projects.client.errors import InvalidInputError
from airflow_provider_openai_projects.exports.intervals import ExportInterval, how_to_give_an_interval

T0 = datetime(2026, 11, 27, 10, 0, tzinfo=UTC)


def test_consecutive_intervals_share_no_second_and_miss_none() -> None:
    first = ExportInterval.from_datetimes(T0, T0 + timedelta(hours=1))
    second = ExportInterval.from_datetimes(T0 + timedelta(hours=1), T0 + timedelta(hours=2))
    boundary = int((T0 + timedelta(hours=1)).timestamp())
    assert not first.contains(boundary)
    assert second.contains(boundary)
    for second_of_day in range(first.start - 5, second.end + 5):
        assert [first.contains(second_of_day), second.contains(second_of_day)].count(True) == (
            1 if first.start <= second_of_day < second.end else 0
        )


def test_fractional_bounds_round_up_so_the_boundary_second_is_in_one_interval() -> None:
    start = T0 + timedelta(milliseconds=500)
    end = T0 + timedelta(hours=1, milliseconds=500)
    interval = ExportInterval.from_datetimes(start, end)
    assert (interval.start, interval.end) == (int(T0.timestamp()) + 1, int(T0.timestamp()) + 3601)


def test_the_file_name_is_the_interval_in_utc() -> None:
    interval = ExportInterval.from_datetimes(T0, T0 + timedelta(hours=1))
    assert interval.file_stem == "20261127T100000Z_20261127T110000Z"


def test_the_bounds_shown_in_logs_and_xcom_are_iso_utc_of_the_whole_seconds() -> None:
    interval = ExportInterval.from_datetimes(T0 + timedelta(milliseconds=500), T0 + timedelta(hours=1))
    assert interval.iso_bounds() == ("2026-11-27T10:00:01+00:00", "2026-11-27T11:00:00+00:00")


@pytest.mark.parametrize(("start", "end"), [(T0, T0), (None, T0), (T0, None), (T0 + timedelta(1), T0)])
def test_a_run_without_a_data_interval_gets_one_short_error_saying_how_to_give_one(
    start: datetime | None, end: datetime | None
) -> None:
    with pytest.raises(InvalidInputError) as caught:
        ExportInterval.from_datetimes(start, end)
    assert caught.value.field == "data_interval"
    message = str(caught.value)
    assert (
        message == "invalid data_interval: none to export; set data_interval_start/end in the run's conf, or backfill"
    )
    assert len(message) < 100  # one line the log view shows whole


def test_a_given_interval_is_read_from_iso_text_in_utc_unless_it_says_otherwise() -> None:
    interval = ExportInterval.from_given("2026-11-27T10:00:00Z", "2026-11-27T12:00:00+01:00")
    assert interval.iso_bounds() == ("2026-11-27T10:00:00+00:00", "2026-11-27T11:00:00+00:00")
    assert ExportInterval.from_given("2026-11-27T10:00:00", "2026-11-27T11:00:00") == interval


@pytest.mark.parametrize(
    ("start", "end", "field"),
    [
        ("yesterday", "2026-11-27T11:00:00Z", "data_interval_start"),
        ("2026-11-27T11:00:00Z", "2026-11-27T10:00:00Z", "data_interval_end"),
        # out of range: a ValueError from the file name (year 0 or 10000 in UTC), a negative start_time sent
        ("0001-01-01T00:00:00+14:00", "2026-11-27T10:00:00Z", "data_interval_start"),
        ("1900-01-01T00:00:00Z", "1900-01-02T00:00:00Z", "data_interval_start"),
        ("2026-11-27T10:00:00Z", "9999-12-31T23:30:00-14:00", "data_interval_end"),
    ],
)
def test_a_given_interval_that_is_not_one_names_the_bound(start: str, end: str, field: str) -> None:
    with pytest.raises(InvalidInputError) as caught:
        ExportInterval.from_given(start, end)
    assert caught.value.field == field


def test_the_help_for_a_run_without_an_interval_shows_the_conf_and_the_backfill_command() -> None:
    lines = how_to_give_an_interval("openai_audit_export")
    assert '  {"data_interval_start": "2026-11-27T10:00:00Z", "data_interval_end": "2026-11-27T11:00:00Z"}' in lines
    assert (
        "  airflow backfill create --dag-id openai_audit_export --from-date 2026-11-27T10:00:00 "
        "--to-date 2026-11-27T11:00:00" in lines
    )
    assert all(len(line) <= 125 for line in lines)  # each one whole in the log view


def test_an_interval_beyond_the_retention_is_refused() -> None:
    interval = ExportInterval.from_datetimes(T0, T0 + timedelta(hours=1))
    now = (T0 + timedelta(days=31)).timestamp()
    with pytest.raises(InvalidInputError, match="retention of 30 days"):
        interval.check_within_retention(timedelta(days=30), now)
    interval.check_within_retention(timedelta(days=32), now)
    interval.check_within_retention(None, now)
