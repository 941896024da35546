"""Every value of a parsed org file, checked before its schema: only plain JSON values, no
hidden character in any string, no integer beyond a signed 64-bit integer.

Run on the whole document (keys included), so no name, email, description, permission,
model id or sink of the file can carry a control character (ESC, NUL, CR/LF), a format
character (zero-width space, U+202E right-to-left override) or another character that is
never shown raw (:func:`~...domain.display.is_hidden`): such a value could forge a line of
the plan, hide part of a name in a terminal or the approval page, or be created in the
organization as a look-alike. Each problem is one :class:`~.errors.OrgFileError` at the
value's path, quoting the character escaped and never the whole value.
"""

from __future__ import annotations

from typing import Any

from airflow_provider_openai_projects.domain.display import is_hidden, printable
from airflow_provider_openai_projects.domain.validation import INT64_MAX
from airflow_provider_openai_projects.orgfile.errors import OrgFileError, format_path
from airflow_provider_openai_projects.orgfile.parsing import TooLargeInteger, excerpt


def hidden_character(text: str) -> tuple[int, str] | None:
    """The first character of ``text`` that must never be shown raw, with its position."""
    for position, char in enumerate(text):
        if is_hidden(char):
            return position, char
    return None


def _check_string(text: str, source: str, path: list[object], what: str) -> None:
    found = hidden_character(text)
    if found is not None:
        position, char = found
        kind = "a line break" if char in "\r\n\u2028\u2029\x85" else "a control or format character"
        raise OrgFileError(
            source,
            format_path(path),
            f"{what} contains {kind} ({printable(char)} at position {position}); "
            "names, emails and descriptions must be plain visible text",
        )


def _check_scalar(value: object, source: str, path: list[object]) -> None:
    if isinstance(value, TooLargeInteger) or (
        isinstance(value, int) and not isinstance(value, bool) and not -INT64_MAX - 1 <= value <= INT64_MAX
    ):
        raise OrgFileError(
            source, format_path(path), f"{excerpt(value)} is too large (the largest integer allowed is {INT64_MAX})"
        )
    if value is not None and not isinstance(value, str | bool | int | float):
        raise OrgFileError(
            source,
            format_path(path),
            f"{excerpt(value)} is not a plain value (use strings, numbers, booleans, lists and mappings)",
        )


def check_values(document: Any, source: str) -> None:
    """Refuse, at its path, the first value or key of ``document`` that is not a plain JSON
    value, holds a hidden character or is an integer beyond the signed 64-bit range.

    Iterative (no recursion), so any depth the parser accepted is walked safely.
    """
    stack: list[tuple[Any, list[object]]] = [(document, [])]
    while stack:
        value, path = stack.pop()
        if isinstance(value, dict):
            children: list[tuple[Any, list[object]]] = []
            for key, item in value.items():
                if isinstance(key, str):
                    _check_string(key, source, [*path, key], "this key")
                else:
                    _check_scalar(key, source, [*path, excerpt(key)])
                children.append((item, [*path, key if isinstance(key, str | int) else excerpt(key)]))
            stack.extend(reversed(children))  # depth first, in the file's order
        elif isinstance(value, list):
            stack.extend((item, [*path, index]) for index, item in reversed(list(enumerate(value))))
        elif isinstance(value, str):
            _check_string(value, source, path, "the value")
        else:
            _check_scalar(value, source, path)
