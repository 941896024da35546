"""Reading an org file: confined to a root (no ``..``, no absolute path elsewhere, no link
out), bounded (5 MB, read no further), regular files only, UTF-8; errors never quote content."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from airflow_provider_openai_projects.orgfile.errors import OrgFileError
from airflow_provider_openai_projects.orgfile.loader import load_file
from airflow_provider_openai_projects.orgfile.source import MAX_FILE_BYTES, confine, read_bounded, read_org_file

SECRET = "pg-Pr0d-Passw0rd-7f3a9c"


@pytest.fixture
def root(tmp_path: Path) -> Path:
    """``tmp_path/dags`` holding ``org.yaml`` and ``config/team.yaml``; a secret beside it."""
    dags = tmp_path / "dags"
    (dags / "config").mkdir(parents=True)
    (dags / "org.yaml").write_text("projects: {}\n")
    (dags / "config" / "team.yaml").write_text("projects: {team-a: {}}\n")
    (tmp_path / "db_password").write_text(SECRET + "\n")
    return dags


@pytest.mark.parametrize("path", ["org.yaml", "config/team.yaml", "config/../org.yaml"])
def test_a_file_inside_the_root_is_read_relative_or_absolute(root: Path, path: str) -> None:
    assert load_file(path, root=root).source == path
    assert load_file(root / path, root=root).projects is not None


@pytest.mark.parametrize(
    "path",
    ["../db_password", "config/../../db_password", "/etc/hostname", "ABSOLUTE"],
)
def test_a_path_leading_out_of_the_root_is_refused_without_quoting_the_file(root: Path, path: str) -> None:
    path = str(root.parent / "db_password") if path == "ABSOLUTE" else path
    with pytest.raises(OrgFileError) as raised:
        load_file(path, root=root)
    message = str(raised.value)
    assert message.startswith(f"{path}: (file): is outside the org files' folder")
    assert SECRET not in message


def test_a_symbolic_link_leading_out_is_refused_and_one_inside_is_followed(root: Path) -> None:
    (root / "leak.yaml").symlink_to(root.parent / "db_password")
    (root / "alias.yaml").symlink_to(root / "config" / "team.yaml")
    (root / "linked").symlink_to(root.parent)

    for path in ("leak.yaml", "linked/db_password"):
        with pytest.raises(OrgFileError, match="is outside the org files' folder") as raised:
            load_file(path, root=root)
        assert SECRET not in str(raised.value)
    assert list(load_file("alias.yaml", root=root).projects) == ["team-a"]


def test_a_link_put_in_place_after_the_path_was_resolved_is_not_followed(root: Path) -> None:
    resolved = confine("org.yaml", root)
    resolved.unlink()
    resolved.symlink_to(root.parent / "db_password")
    with pytest.raises(OrgFileError, match="cannot read the file") as raised:
        read_bounded(resolved, "org.yaml", follow_links=False)
    assert SECRET not in str(raised.value)


def test_a_missing_root_is_an_error_naming_it(tmp_path: Path) -> None:
    with pytest.raises(OrgFileError, match=r"the org files' folder '.*nowhere' does not exist"):
        load_file("org.yaml", root=tmp_path / "nowhere")


def test_a_file_over_the_cap_is_refused_without_being_read(tmp_path: Path) -> None:
    big = tmp_path / "big.yaml"
    with big.open("wb") as handle:
        handle.truncate(50 * 1024 * 1024)  # sparse: 50 MB that would take a while to read and parse
    started = time.monotonic()
    with pytest.raises(OrgFileError) as raised:
        load_file(big)
    assert time.monotonic() - started < 1.0
    assert str(raised.value) == (
        f"{big}: (file): the file is 52,428,800 bytes, more than the limit of {MAX_FILE_BYTES:,} bytes"
    )


def test_a_file_over_the_cap_is_refused_from_its_size_or_by_the_bounded_read(tmp_path: Path) -> None:
    path = tmp_path / "org.yaml"
    path.write_text("x" * 100)
    with pytest.raises(OrgFileError, match="the file is 100 bytes, more than the limit of 50 bytes"):
        read_bounded(path, max_bytes=50)
    assert read_bounded(path, max_bytes=100) == "x" * 100


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="needs Linux /proc")
def test_a_file_whose_size_says_nothing_is_read_only_up_to_the_cap() -> None:
    """``/proc`` files report a size of 0 (so do files that grow while read): the read stops."""
    with pytest.raises(OrgFileError, match="the file is at least 51 bytes, more than the limit of 50 bytes"):
        read_bounded("/proc/self/status", max_bytes=50)


def test_a_fifo_or_a_device_or_a_folder_is_not_read(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe.yaml"
    os.mkfifo(fifo)
    for path in (fifo, Path("/dev/zero"), tmp_path):  # a FIFO with no writer would block a plain open
        with pytest.raises(OrgFileError, match=r"\(file\): cannot read the file: not a regular file"):
            load_file(path)


def test_a_file_that_is_not_utf8_is_refused_naming_the_offset_only(tmp_path: Path) -> None:
    path = tmp_path / "org.yaml"
    path.write_bytes(b"projects: {}\n# " + SECRET.encode() + b"\xff\n")
    with pytest.raises(OrgFileError) as raised:
        load_file(path)
    assert str(raised.value) == f"{path}: (file): is not UTF-8 text (invalid byte at offset 38)"


def test_the_source_is_the_path_as_given_escaped(root: Path) -> None:
    name = "org\x1b[31m.yaml"
    (root / name).write_text("projects: {}\n")
    source, _ = read_org_file(name, root)
    assert source == "org\\x1b[31m.yaml"
    assert load_file(name, root=root).source == "org\\x1b[31m.yaml"
