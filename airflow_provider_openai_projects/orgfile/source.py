"""Read an org file: bounded, and (given a root) only from inside one folder.

:func:`read_org_file` is how every org file is read (the CLI's ``-f``, the operators'
``org_file``):

- with a ``root`` (the DAG's folder, or a configured ``org_root``), the path, relative to
  the root or absolute, must resolve inside it: ``..``, an absolute path elsewhere and a
  symbolic link that leads out are refused before the file is opened, so a DAG-run
  parameter cannot make a worker read ``/etc/…`` or a secret file;
- only a regular file is read (not a FIFO, a device, a directory), at most
  :data:`MAX_FILE_BYTES` (the read stops there: a 50 MB file is never read whole);
- the text must be UTF-8.

An error names the file (escaped) and the problem, never the file's content.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from airflow_provider_openai_projects.domain.display import printable
from airflow_provider_openai_projects.orgfile.errors import OrgFileError

#: The largest org file read (5 MB: some 50,000 projects' worth of YAML).
MAX_FILE_BYTES = 5 * 1024 * 1024
_WHERE = "(file)"


def confine(path: str | Path, root: str | Path) -> Path:
    """``path`` (relative to ``root``, or absolute) resolved, symbolic links followed;
    :class:`OrgFileError` unless it lies inside ``root`` (resolved too)."""
    source = printable(str(path))
    try:
        base = Path(root).resolve(strict=True)
    except (OSError, RuntimeError, ValueError):
        raise OrgFileError(source, _WHERE, f"the org files' folder {printable(str(root))!r} does not exist") from None
    if not base.is_dir():
        raise OrgFileError(source, _WHERE, f"the org files' folder {printable(str(root))!r} is not a folder")
    candidate = Path(path) if Path(path).is_absolute() else base / path
    try:
        resolved = candidate.resolve(strict=False)
    except (OSError, RuntimeError, ValueError):  # a symbolic-link loop, a NUL
        raise OrgFileError(source, _WHERE, "cannot resolve the path (a symbolic-link loop?)") from None
    if resolved != base and not resolved.is_relative_to(base):
        raise OrgFileError(
            source,
            _WHERE,
            f"is outside the org files' folder {printable(str(base))!r} (org files are read only from the "
            "DAG's folder or the configured org_root; '..', other absolute paths and links out are refused)",
        )
    return resolved


def read_bounded(
    path: str | Path, source: str | None = None, max_bytes: int = MAX_FILE_BYTES, *, follow_links: bool = True
) -> str:
    """The UTF-8 text of the regular file at ``path``; at most ``max_bytes`` are read.
    ``follow_links=False`` refuses a path whose last component is a symbolic link (a
    confined path is resolved already: a link there now was put there since).

    :raises OrgFileError: missing, unreadable, not a regular file, larger than
        ``max_bytes``, or not UTF-8. The message never quotes the content.
    """
    shown = source if source is not None else printable(str(path))
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0)
    if not follow_links:
        flags |= getattr(os, "O_NOFOLLOW", 0)
    try:
        fd = os.open(path, flags)
    except (OSError, ValueError) as error:
        reason = error.strerror if isinstance(error, OSError) and error.strerror else type(error).__name__
        raise OrgFileError(shown, _WHERE, f"cannot read the file: {type(error).__name__}: {reason}") from None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise OrgFileError(shown, _WHERE, "cannot read the file: not a regular file")
        if info.st_size > max_bytes:
            raise OrgFileError(shown, _WHERE, _too_large(info.st_size, max_bytes))
        chunks: list[bytes] = []
        size = 0
        while size <= max_bytes:
            chunk = os.read(fd, min(1 << 20, max_bytes + 1 - size))
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
        if size > max_bytes:  # grew while being read
            raise OrgFileError(shown, _WHERE, _too_large(size, max_bytes, at_least=True))
    except OSError as error:
        raise OrgFileError(shown, _WHERE, f"cannot read the file: {type(error).__name__}: {error.strerror}") from None
    finally:
        os.close(fd)
    data = b"".join(chunks)
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise OrgFileError(shown, _WHERE, f"is not UTF-8 text (invalid byte at offset {error.start})") from None


def _too_large(size: int, limit: int, at_least: bool = False) -> str:
    more = "at least " if at_least else ""
    return f"the file is {more}{size:,} bytes, more than the limit of {limit:,} bytes"


def read_org_file(path: str | Path, root: str | Path | None = None) -> tuple[str, str]:
    """``(source, text)`` of an org file: ``source`` is the path as given, escaped (for
    messages and the plan); with ``root``, the path is first confined to it (:func:`confine`)."""
    source = printable(str(path))
    if root is None:
        return source, read_bounded(path, source)
    return source, read_bounded(confine(path, root), source, follow_links=False)
