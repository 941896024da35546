"""The export writer: one complete file per interval, rewritten whole, never partial."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from airflow.sdk import ObjectStoragePath

from airflow_provider_openai_projects.exports.storage import (
    STALE_TEMPORARY_SECONDS,
    TEMP_MARKER,
    ExportPathError,
    export_target,
    remove_stale_temporaries,
    write_jsonl_once,
)


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


def test_a_concurrent_write_of_the_same_file_keeps_the_other_writers_temporary_and_the_last_complete_wins(
    tmp_path: Path,
) -> None:
    """Issue 18 point 5: a re-run of one interval deleted the first run's temporary file."""
    target = ObjectStoragePath(f"file://{tmp_path}/a.jsonl")

    def first_run() -> Iterator[dict[str, str]]:
        yield {"id": "first-1"}
        # Meanwhile, a second run of the same interval writes the file whole.
        assert write_jsonl_once(target, iter([{"id": "second"}])) == 1
        assert (tmp_path / "a.jsonl").read_text() == '{"id":"second"}\n'
        yield {"id": "first-2"}

    assert write_jsonl_once(target, first_run()) == 2  # no FileNotFoundError: its temporary survived
    assert [p.name for p in tmp_path.iterdir()] == ["a.jsonl"]
    assert (tmp_path / "a.jsonl").read_text() == '{"id":"first-1"}\n{"id":"first-2"}\n'  # the last to finish


def test_only_temporaries_older_than_a_day_are_taken_for_a_killed_writers(tmp_path: Path) -> None:
    now = time.time()
    fresh = tmp_path / f".a.jsonl{TEMP_MARKER}{int(now) - 60}-{'1' * 32}"
    stale = tmp_path / f".a.jsonl{TEMP_MARKER}{int(now) - STALE_TEMPORARY_SECONDS - 60}-{'2' * 32}"
    fresh.write_text("")
    stale.write_text("")
    assert remove_stale_temporaries(ObjectStoragePath(f"file://{tmp_path}/a.jsonl"), now) == 1
    assert [p.name for p in tmp_path.iterdir()] == [fresh.name]


@pytest.mark.parametrize("value", [float("nan"), float("inf")])
def test_a_non_finite_number_is_never_written(tmp_path: Path, value: float) -> None:
    with pytest.raises(ValueError, match="JSON"):
        write_jsonl_once(ObjectStoragePath(f"file://{tmp_path}/a.jsonl"), iter([{"v": value}]))
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("base", ["file:///data/base/../../escaped", "file:///data/%2E%2E/x", "/data/.."])
def test_an_export_target_never_leaves_its_base(base: str) -> None:
    with pytest.raises(ExportPathError, match=r"'\.\.' segments"):
        export_target(ObjectStoragePath(base), "a.jsonl")
    assert str(export_target(ObjectStoragePath("file:///data/base"), "a.jsonl")) == "file:///data/base/a.jsonl"
    with pytest.raises(ExportPathError, match="one plain name"):
        export_target(ObjectStoragePath("file:///data/base"), "../a.jsonl")
