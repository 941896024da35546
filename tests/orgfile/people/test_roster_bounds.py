"""A roster is bounded: more than ``people.max_rows`` rows (a file, a query's result), or a
file of more than ``max_rows`` KiB, is one error naming the roster and the bound, before any
write; a roster at exactly the bound is read. A runaway file or query is read no further than
the bound."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from airflow_provider_openai_projects.client import OpenAIAdminClient
from airflow_provider_openai_projects.orgfile import engine
from airflow_provider_openai_projects.orgfile.errors import OrgFileError
from tests.orgfile.conftest import spec

from .conftest import ROWS, Team, document, refused, write_csv, write_jsonl

TOO_MANY = "more than people.max_rows (5) rows: refused, nothing written"


@pytest.mark.parametrize(("write", "name"), [(write_csv, "people.csv"), (write_jsonl, "people.jsonl")])
def test_a_file_roster_of_more_rows_than_max_rows_is_refused_naming_it_and_the_bound(
    client: OpenAIAdminClient, team: Team, tmp_path: Path, write: Any, name: str
) -> None:
    uri = write(tmp_path / name, ROWS)
    message = refused(client, team, document({"uri": uri}, max_rows=5))
    assert message.startswith(f"roster {uri}: (roster): {TOO_MANY}")


def test_a_sql_roster_of_more_rows_than_max_rows_is_refused_before_any_write(
    client: OpenAIAdminClient, team: Team, sqlite_connection: str
) -> None:
    source = {"conn_id": sqlite_connection, "sql": "select * from people order by rowid"}
    message = refused(client, team, document(source, max_rows=5))
    assert message.startswith(f"roster connection {sqlite_connection}: (roster): {TOO_MANY}")


def test_a_sql_roster_of_exactly_max_rows_rows_is_read(
    client: OpenAIAdminClient, team: Team, sqlite_connection: str
) -> None:
    source = {"conn_id": sqlite_connection, "sql": "select * from people order by rowid"}
    assert engine.plan(client, spec(document(source, max_rows=len(ROWS)))).changes


def test_a_file_of_exactly_max_rows_kib_is_read_and_one_byte_more_is_refused(
    client: OpenAIAdminClient, team: Team, tmp_path: Path
) -> None:
    path = tmp_path / "people.csv"
    uri = write_csv(path, ROWS)
    with path.open("ab") as out:  # blank lines: no row, only bytes
        out.write(b"\n" * (len(ROWS) * 1024 - path.stat().st_size))
    assert path.stat().st_size == len(ROWS) * 1024
    the_document = document({"uri": uri}, max_rows=len(ROWS))
    assert engine.plan(client, spec(the_document)).changes

    with path.open("ab") as out:
        out.write(b"\n")
    message = refused(client, team, the_document)
    assert message.startswith(f"roster {uri}: (roster): the file is larger than {len(ROWS) * 1024} bytes")


@pytest.mark.skipif(not os.path.exists("/dev/zero"), reason="needs /dev/zero")
def test_an_endless_file_is_read_no_further_than_the_bound_and_refused(client: OpenAIAdminClient, team: Team) -> None:
    """``/dev/zero`` never ends: reading it whole would never return."""
    message = refused(client, team, document({"uri": "file:///dev/zero"}, max_rows=10))
    assert message == (
        "roster file:///dev/zero: (roster): the file is larger than 10240 bytes (people.max_rows x 1 KiB): refused, "
        "nothing written (a wrong file? raise people.max_rows if it is right)"
    )


def test_a_roster_uri_with_credentials_is_named_without_them_when_too_large(
    client: OpenAIAdminClient, team: Team, tmp_path: Path
) -> None:
    """The bound's error names the roster as every roster error does (no user or password)."""
    path = tmp_path / "people.csv"
    write_csv(path, ROWS)
    message = refused(client, team, document({"uri": f"file://reader@{path}"}, max_rows=5))
    assert message.startswith(f"roster file://{path}: (roster): {TOO_MANY}")
    assert "reader" not in message


@pytest.mark.parametrize("value", [0, -1, "many", True, 1.5])
def test_a_max_rows_that_is_not_a_positive_integer_is_refused_at_load_naming_it(tmp_path: Path, value: object) -> None:
    with pytest.raises(OrgFileError, match=r"people\.max_rows"):
        spec(document({"uri": write_csv(tmp_path / "p.csv", ROWS)}, max_rows=value))


def test_an_endless_query_is_fetched_no_further_than_the_bound_and_refused(
    client: OpenAIAdminClient, team: Team, sqlite_connection: str
) -> None:
    """A recursive query that never ends: fetching its whole result would never return."""
    endless = (
        "with recursive n(i) as (select 1 union all select i + 1 from n) "
        "select 'p' || i || '@example.com' as work_email, 'active' as employment_status, "
        "'search' as team_name, '' as manager_email from n"
    )
    message = refused(client, team, document({"conn_id": sqlite_connection, "sql": endless}, max_rows=5))
    assert message.startswith(f"roster connection {sqlite_connection}: (roster): {TOO_MANY}")
