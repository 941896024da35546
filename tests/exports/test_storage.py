"""The export writer: one complete file per interval, rewritten whole, never partial."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from airflow.sdk import ObjectStoragePath

from airflow_provider_openai_projects.exports.storage import TEMP_MARKER, write_jsonl_once


def _records(n: int, prefix: str = "e") -> Iterator[dict[str, object]]:
    for i in range(n):
        yield {"id": f"{prefix}{i}", "n": i}


def test_writes_one_json_object_a_line_through_an_object_storage_path(tmp_path: Path) -> None:
    target = ObjectStoragePath(f"file://{tmp_path}/audit/a.jsonl")
    assert write_jsonl_once(target, _records(3)) == 3
    lines = (tmp_path / "audit" / "a.jsonl").read_text().splitlines()
    assert [json.loads(line)["id"] for line in lines] == ["e0", "e1", "e2"]
    assert [p.name for p in (tmp_path / "audit").iterdir()] == ["a.jsonl"]


def test_a_rerun_replaces_the_file_whole_and_never_appends(tmp_path: Path) -> None:
    target = ObjectStoragePath(f"file://{tmp_path}/a.jsonl")
    write_jsonl_once(target, _records(5, "old"))
    write_jsonl_once(target, _records(2, "new"))
    assert [json.loads(line)["id"] for line in (tmp_path / "a.jsonl").read_text().splitlines()] == ["new0", "new1"]


def test_a_writer_failing_half_way_leaves_the_previous_file_and_no_temporary(tmp_path: Path) -> None:
    target = ObjectStoragePath(f"file://{tmp_path}/a.jsonl")
    write_jsonl_once(target, _records(2, "good"))

    def broken() -> Iterator[dict[str, object]]:
        yield {"id": "half"}
        raise ConnectionError("the API went away mid-export")

    with pytest.raises(ConnectionError):
        write_jsonl_once(target, broken())
    assert [p.name for p in tmp_path.iterdir()] == ["a.jsonl"]
    assert "good0" in (tmp_path / "a.jsonl").read_text()


def test_temporaries_left_by_a_killed_writer_are_removed_by_the_next_write(tmp_path: Path) -> None:
    (tmp_path / f".a.jsonl{TEMP_MARKER}dead1").write_text('{"id": "partial"}\n')
    (tmp_path / f".a.jsonl{TEMP_MARKER}dead2").write_text("")
    (tmp_path / f".b.jsonl{TEMP_MARKER}other").write_text("")
    write_jsonl_once(ObjectStoragePath(f"file://{tmp_path}/a.jsonl"), _records(1))
    assert sorted(p.name for p in tmp_path.iterdir()) == [f".b.jsonl{TEMP_MARKER}other", "a.jsonl"]
