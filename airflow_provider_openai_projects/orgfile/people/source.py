"""Reading the roster's rows: a file at an ``ObjectStoragePath`` URI (CSV, or JSON Lines) or
a SQL query through a ``common.sql`` connection (``DbApiHook``).

Only the mapped columns of each row are kept (a roster holds personal data: the rest is
dropped as it is read). Every problem is one :class:`RosterError` naming the roster, the
row (the line of the file; the 1-based row of a query's result) and the column, with at
most the one value at fault, escaped; never a whole row or another column. Airflow is
imported only when a roster is read.

A roster is bounded (a wrong table or a log file named by mistake must not exhaust memory):
more than ``max_rows`` rows, or a file of more than ``max_bytes``, is refused; a file is read
no further than that bound, a query's result fetched no further than ``max_rows + 1`` rows.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from airflow_provider_openai_projects.domain.display import printable
from airflow_provider_openai_projects.orgfile.errors import OrgFileError
from airflow_provider_openai_projects.orgfile.people.config import PeopleSpec

#: Columns a roster must have whatever the file says (``team`` too when teams are declared).
REQUIRED_COLUMNS = ("email", "status")
_JSON_LINES_SUFFIXES = (".jsonl", ".ndjson")
_MAX_PROBLEM = 200
_CHUNK = 1 << 20


class RosterError(OrgFileError):
    """The roster is unusable: ``<roster>: row N, column 'c': <problem>`` (nothing written)."""

    def __init__(self, roster: str, problem: str, *, row: int | None = None, column: str | None = None) -> None:
        parts = []
        if row is not None:
            parts.append(f"row {row}")
        if column is not None:
            parts.append(f"column {printable(column)!r}")
        self.row = row
        self.column = column
        super().__init__(f"roster {roster}", ", ".join(parts) or "(roster)", problem)


@dataclass(frozen=True)
class RosterRow:
    """One row: its number (file line, or query row) and the mapped columns' raw values
    (field name -> stripped text; ``None`` when the row has no such value)."""

    number: int
    values: dict[str, str | None]


def read_rows(spec: PeopleSpec) -> list[RosterRow]:
    """Every row of the roster ``spec.source`` names, mapped columns only.

    :raises RosterError: unreadable, malformed, a required column missing, empty, or larger
        than ``spec.max_rows`` rows or ``spec.max_bytes`` bytes (a file).
    """
    name = spec.describe_source()
    if "uri" in spec.source:
        uri = str(spec.source["uri"])
        text = _read_text(uri, name, spec.max_bytes)
        as_json_lines = spec.source.get("format") == "jsonl" or (
            "format" not in spec.source and uri.lower().endswith(_JSON_LINES_SUFFIXES)
        )
        rows = _json_lines(text, spec, name) if as_json_lines else _csv(text, spec, name)
    else:
        header, records = _query(str(spec.source["conn_id"]), str(spec.source["sql"]), name, spec.max_rows + 1)
        if len(records) > spec.max_rows:
            raise _too_many_rows(spec, name)
        positions = _positions(header, spec, name, row=None)
        rows = [_mapped(number, record, positions) for number, record in enumerate(records, start=1)]
    if not rows:
        raise RosterError(name, "the roster has no row: refused (an empty export would change nothing safely)")
    return rows


def required_fields(spec: PeopleSpec) -> list[str]:
    """The fields whose column must exist: email, status; team when teams are declared; any
    column the file maps explicitly (a mapped column that is missing is a mistake)."""
    fields = list(REQUIRED_COLUMNS)
    if spec.teams:
        fields.append("team")
    if spec.columns.get("manager") != "manager" and "manager" not in fields:
        fields.append("manager")
    return fields


def _too_many_rows(spec: PeopleSpec, name: str) -> RosterError:
    return RosterError(
        name,
        f"more than people.max_rows ({spec.max_rows}) rows: refused, nothing written "
        "(a wrong table or file? raise people.max_rows if it is right)",
    )


def _read_text(uri: str, name: str, max_bytes: int) -> str:
    """The file's text, read no further than ``max_bytes + 1`` bytes (more is refused)."""
    from airflow.sdk import ObjectStoragePath

    try:
        path: Any = ObjectStoragePath(uri)  # its ``open`` is untyped
        with path.open("rb") as stream:
            chunks: list[bytes] = []
            size = 0
            while size <= max_bytes:
                chunk = stream.read(min(_CHUNK, max_bytes + 1 - size))
                if not chunk:
                    break
                chunks.append(chunk)
                size += len(chunk)
        data = b"".join(chunks)
    except FileNotFoundError:
        raise RosterError(name, "cannot read the roster: no such file") from None
    except Exception as error:  # any backend's error: unreadable
        raise RosterError(name, f"cannot read the roster: {error.__class__.__name__}") from None
    if len(data) > max_bytes:
        raise RosterError(
            name,
            f"the file is larger than {max_bytes} bytes (people.max_rows x 1 KiB): refused, nothing written "
            "(a wrong file? raise people.max_rows if it is right)",
        )
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        raise RosterError(name, f"not UTF-8 text (byte {error.start + 1})", row=line) from None


def _positions(header: Sequence[Any], spec: PeopleSpec, name: str, row: int | None) -> dict[str, int]:
    """Field -> index of its column in ``header``; a required column missing is an error."""
    names = [str(h).strip() for h in header]
    positions: dict[str, int] = {}
    for field_name, column in spec.columns.items():
        if column in names:
            positions[field_name] = names.index(column)
        elif field_name in required_fields(spec):
            raise RosterError(
                name, f"the column is missing (people.columns.{field_name} names it)", row=row, column=column
            )
    return positions


def _mapped(number: int, record: Sequence[Any], positions: dict[str, int]) -> RosterRow:
    values: dict[str, str | None] = {}
    for field_name, index in positions.items():
        value = record[index] if index < len(record) else None
        values[field_name] = None if value is None else str(value).strip()
    return RosterRow(number, values)


def _csv(text: str, spec: PeopleSpec, name: str) -> list[RosterRow]:
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    try:
        header = next(reader, None)
        if header is None:
            return []
        positions = _positions(header, spec, name, row=1)
        rows = []
        for record in reader:
            if not record or all(not cell.strip() for cell in record):
                continue
            if len(record) != len(header):
                raise RosterError(
                    name,
                    f"the row has {len(record)} fields, the header {len(header)} (a broken or cut line?)",
                    row=reader.line_num,
                )
            rows.append(_mapped(reader.line_num, record, positions))
            if len(rows) > spec.max_rows:
                raise _too_many_rows(spec, name)
    except csv.Error as error:
        raise RosterError(name, f"malformed CSV: {printable(error)[:_MAX_PROBLEM]}", row=reader.line_num) from None
    return rows


def _json_lines(text: str, spec: PeopleSpec, name: str) -> list[RosterRow]:
    rows = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as error:
            raise RosterError(name, f"not a JSON object (error at character {error.pos + 1})", row=number) from None
        if not isinstance(record, dict):
            raise RosterError(name, "not a JSON object", row=number)
        values: dict[str, str | None] = {}
        for field_name, column in spec.columns.items():
            value = record.get(column)
            if isinstance(value, dict | list):
                raise RosterError(name, "must be text, not a JSON object or array", row=number, column=column)
            values[field_name] = None if value is None else str(value).strip()
            if column not in record and field_name in required_fields(spec):
                raise RosterError(name, "the column is missing from this row", row=number, column=column)
        rows.append(RosterRow(number, values))
        if len(rows) > spec.max_rows:
            raise _too_many_rows(spec, name)
    return rows


def _query(conn_id: str, sql: str, name: str, limit: int) -> tuple[list[str], list[Sequence[Any]]]:
    """The column names and at most ``limit`` rows of ``sql`` run through the connection's
    ``DbApiHook`` (``cursor.fetchmany``: a driver that buffers the whole result on execute
    still holds it, but no more than ``limit`` rows become Python objects here)."""
    from airflow.sdk import BaseHook

    try:
        hook = BaseHook.get_connection(conn_id).get_hook()  # type: ignore[no-untyped-call]
    except Exception as error:
        raise RosterError(
            name,
            f"cannot make the connection's hook ({error.__class__.__name__}: {printable(error)[:_MAX_PROBLEM]}); "
            "is the provider of its type installed?",
        ) from None
    from airflow.providers.common.sql.hooks.sql import DbApiHook

    if not isinstance(hook, DbApiHook):
        raise RosterError(name, f"the connection's hook ({type(hook).__name__}) is not a SQL hook (DbApiHook)")

    def fetch(cursor: Any) -> tuple[list[str], list[Sequence[Any]]]:
        return [str(d[0]) for d in cursor.description or ()], list(cursor.fetchmany(limit))

    try:
        result = hook.run(sql, handler=fetch)
    except Exception as error:
        raise RosterError(
            name, f"the query failed ({error.__class__.__name__}: {printable(error)[:_MAX_PROBLEM]})"
        ) from None
    if not isinstance(result, tuple):
        raise RosterError(name, "the query returned no result set")
    return result
