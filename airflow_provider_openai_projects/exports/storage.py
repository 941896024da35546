"""Writing one export file exactly once: stream to a temporary sibling, then rename.

Works on any ``pathlib``-like path with ``open``, ``replace``, ``unlink``, ``iterdir`` and
``mkdir`` (Airflow's ``ObjectStoragePath`` for ``file://``, ``s3://``, ``gs://``... or a
plain ``pathlib.Path``). A retry or a re-run of the same interval rewrites the same file
(never appends). Readers never see a partial file under the final name.

Concurrent writers of one file (a re-run while the first run still writes) never touch
each other's temporary files: each has a unique name that records when it was started
(``.<name>.tmp-<epoch seconds>-<random>``), and the last complete write wins atomically (its
rename). A writer killed half-way leaves its temporary file, which a later write of that
file removes once it is older than :data:`STALE_TEMPORARY_SECONDS` (a day: no export writes
that long).

:func:`export_target` confines a file to its base folder: the base may not contain a ``..``
segment (plain or percent-encoded), and the file must resolve under it, with the same
scheme.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterable, Mapping
from typing import Any, Protocol
from urllib.parse import unquote

TEMP_MARKER = ".tmp-"
#: A temporary file older than this was left by a killed writer (no write lasts a day).
STALE_TEMPORARY_SECONDS = 24 * 3600


class WritablePath(Protocol):
    @property
    def name(self) -> str: ...

    @property
    def parent(self) -> Any: ...

    def open(self, mode: str = ..., **kwargs: Any) -> Any: ...

    def replace(self, target: Any) -> Any: ...

    def unlink(self, missing_ok: bool = ...) -> None: ...

    def exists(self) -> bool: ...

    def __truediv__(self, other: str) -> Any: ...


class ExportPathError(ValueError):
    """An export path that would leave its base folder."""


def export_target(base: Any, file_name: str) -> Any:
    """``base / file_name``, proven to stay under ``base``.

    :raises ExportPathError: ``base`` has a ``..`` segment (``/data/base/../../elsewhere``,
        also as ``%2e%2e``), ``file_name`` is not one plain name, or the result does not
        resolve under ``base`` with the same scheme.
    """
    text = str(base)
    path_part = text.split("://", 1)[1] if "://" in text else text
    segments = [unquote(segment) for segment in path_part.replace("\\", "/").split("/")]
    if ".." in segments:
        raise ExportPathError(f"path {text!r} must not contain '..' segments: the export would leave its base folder")
    if not file_name or "/" in file_name or "\\" in file_name or file_name in (".", ".."):
        raise ExportPathError(f"file name {file_name!r} must be one plain name")
    target = base / file_name
    base_text, target_text = str(base).rstrip("/"), str(target)
    if getattr(target, "protocol", None) != getattr(base, "protocol", None) or not target_text.startswith(
        base_text + "/"
    ):
        raise ExportPathError(f"path {text!r}: the file {file_name!r} would not stay under it")
    return target


def temporary_sibling(target: WritablePath, now: float | None = None) -> Any:
    """``.<name>.tmp-<epoch seconds>-<random>`` beside ``target``: unique to this writer."""
    started = int(time.time() if now is None else now)
    return target.parent / f".{target.name}{TEMP_MARKER}{started}-{uuid.uuid4().hex}"


def _started(temporary_name: str, prefix: str) -> int | None:
    stamp, dash, _ = temporary_name[len(prefix) :].partition("-")
    return int(stamp) if dash and stamp.isdigit() else None


def remove_stale_temporaries(target: WritablePath, now: float | None = None) -> int:
    """Delete the temporaries of ``target`` that killed writers left behind (started more than
    :data:`STALE_TEMPORARY_SECONDS` ago, or named before temporaries carried their start);
    another writer's temporary in progress is never touched. Return how many."""
    parent = target.parent
    if not parent.exists():
        return 0
    now = time.time() if now is None else now
    prefix = f".{target.name}{TEMP_MARKER}"
    removed = 0
    for child in parent.iterdir():
        if not child.name.startswith(prefix):
            continue
        started = _started(child.name, prefix)
        if started is None or now - started > STALE_TEMPORARY_SECONDS:
            child.unlink(missing_ok=True)
            removed += 1
    return removed


#: Records joined into one ``write`` (a page of the API): an object-storage stream's
#: ``write`` costs far more per call than per byte.
WRITE_BATCH = 100


def write_jsonl_once(target: WritablePath, records: Iterable[Mapping[str, Any]]) -> int:
    """Write ``records`` as newline-delimited JSON to ``target``, atomically; return the count.

    Records are written as they arrive, :data:`WRITE_BATCH` lines per ``write`` (one page
    in memory at a time, whatever the count). ``target`` is replaced whole if it exists.
    """
    target.parent.mkdir(parents=True, exist_ok=True)
    remove_stale_temporaries(target)
    temporary = temporary_sibling(target)
    count = 0
    try:
        with temporary.open("w", encoding="utf-8") as stream:
            batch: list[str] = []
            for record in records:
                batch.append(json.dumps(record, separators=(",", ":"), sort_keys=True, allow_nan=False))
                count += 1
                if len(batch) == WRITE_BATCH:
                    stream.write("\n".join(batch) + "\n")
                    batch.clear()
            if batch:
                stream.write("\n".join(batch) + "\n")
        temporary.replace(target)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    return count
