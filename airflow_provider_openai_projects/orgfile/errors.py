"""The errors of the org-file engine: one line each, naming where the problem is.

Neither error ever carries a key or a traceback worth showing to a user: the CLI prints
``str(error)`` and exits 1. An :class:`OrgFileError`'s text is escaped
(:func:`~...domain.display.printable`: no control, format or bidi character reaches a
terminal) and bounded (:data:`MAX_MESSAGE`), whatever the file or its name holds.
"""

from __future__ import annotations

import re

from airflow_provider_openai_projects.client.errors import OpenAIAdminError
from airflow_provider_openai_projects.domain.display import printable

_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
#: The longest key shown in a path; longer ones are cut (``'aaaa…'``).
MAX_PATH_PART = 64
#: The longest error message; the rest is cut.
MAX_MESSAGE = 1000


def format_path(parts: tuple[object, ...] | list[object]) -> str:
    """``projects['team-search'].members['ada@example.com']``: a path inside the file.

    Keys are quoted with ``repr`` (which escapes control, format and other unprintable
    characters) and cut at :data:`MAX_PATH_PART`."""
    text = ""
    for part in parts:
        if isinstance(part, int) and not isinstance(part, bool):
            text += f"[{part}]"
            continue
        shown = str(part)
        shown = shown if len(shown) <= MAX_PATH_PART else shown[: MAX_PATH_PART - 1] + "…"
        if _IDENTIFIER.match(shown):
            text += f".{shown}" if text else shown
        else:
            text += f"[{shown!r}]"  # repr escapes controls, format and other unprintable characters
    return text or "(top level)"


class OrgFileError(OpenAIAdminError):
    """The org file is unusable: ``<file>: <path>: <problem>`` (``line N`` when known).

    Raised before any request (syntax, schema, roles) or, for a rate-limit key that matches
    no model of any project read, after the reads and before any write.
    """

    def __init__(self, source: str, path: str, problem: str, line: int | None = None) -> None:
        where = f"{source}, line {line}" if line is not None else source
        message = printable(f"{where}: {path}: {problem}")
        super().__init__(message if len(message) <= MAX_MESSAGE else message[: MAX_MESSAGE - 1] + "…")
        self.source = source
        self.path = path  # after the base class's __init__, which sets ``path`` (a request path) to None
        self.problem = problem
        self.line = line


class PlanRefusedError(OpenAIAdminError):
    """Apply refused the plan before any write (stale plan, too many destructive changes), or
    stopped part-way (:class:`~.engine.ApplyError`). Its text is escaped like an
    :class:`OrgFileError`'s: the names and API messages it quotes reach no terminal or log raw."""

    def __init__(self, message: str) -> None:
        super().__init__(printable(message))
