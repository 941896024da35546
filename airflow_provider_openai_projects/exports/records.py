"""What an export accepts from the API: records that are valid JSON with real times.

An export writes what the upstream sent, so what the upstream sent is checked first:

- every number is finite (``NaN`` and ``Infinity``, which Python's JSON parser accepts,
  would make the JSONL file invalid JSON: ``1e400`` parses as infinity);
- every time field (an audit event's ``effective_at``, a bucket's ``start_time`` and
  ``end_time``) is a whole number of Unix seconds from 0 to :data:`MAX_TIMESTAMP`
  (not ``"soon"``, not ``true``, not ``1e400``).

A record that fails is an :class:`ExportRecordError` naming the endpoint, the record (its id
when it has one, else its position) and the field, with the value shown escaped and short;
the export fails before writing its file (no retry would make the record valid).
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping
from typing import Any

from airflow_provider_openai_projects.client.errors import APIResponseValidationError
from airflow_provider_openai_projects.domain.display import printable

#: 9999-12-31T23:59:59Z: the last second a datetime (and an ISO file name) can show.
MAX_TIMESTAMP = 253_402_300_799
_SHOWN = 40


class ExportRecordError(APIResponseValidationError):
    """A record the API returned that cannot be exported as it is (module docstring)."""


class OversizeEventError(APIResponseValidationError):
    """An audit event (or its page) larger than the client's ``max_response_bytes``."""


def describe(record: Mapping[str, Any], position: int) -> str:
    """``event 'evt_x'`` or, without an id, ``record #n (no id)``."""
    record_id = record.get("id") if isinstance(record, Mapping) else None
    if isinstance(record_id, str) and record_id:
        return f"record {printable(record_id)[:_SHOWN]!r}"
    return f"record #{position} (no id)"


def _shown(value: object) -> str:
    text = printable(repr(value))
    return text if len(text) <= _SHOWN else text[: _SHOWN - 3] + "..."


def non_finite(value: object, path: str = "") -> str | None:
    """The path (``data.amount.value``) of the first non-finite number in ``value``, if any."""
    if isinstance(value, float) and not math.isfinite(value):
        return path or "(the record)"
    if isinstance(value, Mapping):
        for key, item in value.items():
            found = non_finite(item, f"{path}.{key}" if path else str(key))
            if found is not None:
                return found
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found = non_finite(item, f"{path}[{index}]")
            if found is not None:
                return found
    return None


def timestamp(value: object) -> int | None:
    """``value`` as whole Unix seconds in range, else ``None``."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    if isinstance(value, float) and (not math.isfinite(value) or not value.is_integer()):
        return None
    seconds = int(value)
    return seconds if 0 <= seconds <= MAX_TIMESTAMP else None


def check_record(endpoint: str, record: object, position: int, time_fields: tuple[str, ...]) -> Mapping[str, Any]:
    """``record`` if it can be exported (module docstring), else :class:`ExportRecordError`."""
    if not isinstance(record, Mapping):
        raise ExportRecordError(f"{endpoint}: record #{position} is not a JSON object ({type(record).__name__})")
    for field in time_fields:
        if timestamp(record.get(field)) is None:
            raise ExportRecordError(
                f"{endpoint}: {describe(record, position)} has {field} = {_shown(record.get(field))}, not a time "
                f"(whole Unix seconds from 0 to {MAX_TIMESTAMP}); the interval's file was not written"
            )
    bad = non_finite(record)
    if bad is not None:
        raise ExportRecordError(
            f"{endpoint}: {describe(record, position)} has a non-finite number (NaN or Infinity) at {bad}, which "
            "is not valid JSON; the interval's file was not written"
        )
    return record


def checked(endpoint: str, records: Iterator[Any], time_fields: tuple[str, ...]) -> Iterator[Mapping[str, Any]]:
    """``records``, each checked by :func:`check_record` as it streams past."""
    for position, record in enumerate(records, start=1):
        yield check_record(endpoint, record, position, time_fields)
