"""The errors of the org-file engine: one line each, naming where the problem is.

Neither error ever carries a key or a traceback worth showing to a user: the CLI prints
``str(error)`` and exits 1.
"""

from __future__ import annotations

import re

from airflow_provider_openai_projects.client.errors import OpenAIAdminError

_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def format_path(parts: tuple[object, ...] | list[object]) -> str:
    """``projects['team-search'].members['ada@example.com']``: a path inside the file."""
    text = ""
    for part in parts:
        if isinstance(part, int):
            text += f"[{part}]"
        elif _IDENTIFIER.match(str(part)):
            text += f".{part}" if text else str(part)
        else:
            text += f"[{str(part)!r}]"
    return text or "(top level)"


class OrgFileError(OpenAIAdminError):
    """The org file is unusable: ``<file>: <path>: <problem>`` (``line N`` when known).

    Raised before any request (syntax, schema, roles) or, for a rate-limit key that matches
    no model of any project read, after the reads and before any write.
    """

    def __init__(self, source: str, path: str, problem: str, line: int | None = None) -> None:
        self.source = source
        self.path = path
        self.problem = problem
        self.line = line
        where = f"{source}, line {line}" if line is not None else source
        super().__init__(f"{where}: {path}: {problem}")


class PlanRefusedError(OpenAIAdminError):
    """Apply refused the plan before any write (stale plan, too many destructive changes)."""
