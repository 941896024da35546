"""Writing one export file exactly once: stream to a temporary sibling, then rename.

Works on any ``pathlib``-like path with ``open``, ``replace``, ``unlink``, ``iterdir`` and
``mkdir`` (Airflow's ``ObjectStoragePath`` for ``file://``, ``s3://``, ``gs://``... or a
plain ``pathlib.Path``). A retry or a re-run of the same interval rewrites the same file
(never appends); a writer killed half-way leaves only a temporary file, which the next
write of that interval removes. Readers never see a partial file under the final name.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterable, Mapping
from typing import Any, Protocol

TEMP_MARKER = ".tmp-"


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


def temporary_sibling(target: WritablePath) -> Any:
    """``.<name>.tmp-<random>`` beside ``target``."""
    return target.parent / f".{target.name}{TEMP_MARKER}{uuid.uuid4().hex}"


def remove_stale_temporaries(target: WritablePath) -> int:
    """Delete what earlier, interrupted writes of ``target`` left behind; return how many."""
    parent = target.parent
    if not parent.exists():
        return 0
    prefix = f".{target.name}{TEMP_MARKER}"
    removed = 0
    for child in parent.iterdir():
        if child.name.startswith(prefix):
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
                batch.append(json.dumps(record, separators=(",", ":"), sort_keys=True))
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
