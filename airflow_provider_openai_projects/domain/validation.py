"""Checks of operator inputs that run before any request is sent.

Each check raises :class:`~airflow_provider_openai_projects.client.errors.InvalidInputError`
naming the field, so bad input fails once, clearly, and changes nothing. Kept free of
heavy imports: operators call these in ``execute`` and DAG files import operators.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping
from typing import Any

from airflow_provider_openai_projects.client.errors import InvalidInputError
from airflow_provider_openai_projects.client.ids import validate_id

PROJECT_ROLES = ("owner", "member")
ORGANIZATION_ROLES = ("owner", "reader")
MAX_NAME_LENGTH = 128
INT64_MAX = 2**63 - 1
"""The largest integer a field without a bound in the spec takes (signed 64-bit)."""
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def control_character(value: str) -> tuple[int, str] | None:
    """The first control or format character of ``value`` (Unicode categories Cc and Cf:
    NUL, ESC, CR/LF/TAB, zero-width and bidi overrides such as U+202E), with its position."""
    for position, char in enumerate(value):
        if unicodedata.category(char) in ("Cc", "Cf"):
            return position, char
    return None


def require_name(field: str, value: object, *, max_length: int = MAX_NAME_LENGTH) -> str:
    """A non-empty, not overlong, single-line name without control or format characters
    (no terminal escape sequence, NUL or right-to-left override can ride on a name into a
    log line); returned stripped."""
    if not isinstance(value, str) or not value.strip():
        raise InvalidInputError(field, "must be a non-empty string")
    value = value.strip()
    if len(value) > max_length:
        raise InvalidInputError(field, f"must be at most {max_length} characters (got {len(value)})")
    if any(c in value for c in "\r\n\t"):
        raise InvalidInputError(field, "must be a single line")
    found = control_character(value)
    if found is not None:
        position, char = found
        raise InvalidInputError(
            field, f"must not contain control or format characters (U+{ord(char):04X} at position {position})"
        )
    return value


def require_id(field: str, value: object) -> str:
    """An id as the API's ids are (see :func:`~.client.config.validate_id`: letters, digits
    and ``_ - . :``, never ``.`` or ``..``); surrounding whitespace is stripped."""
    if isinstance(value, str) and value.strip() and any(c.isspace() for c in value.strip()):
        raise InvalidInputError(field, "must be a non-empty id without spaces")
    return validate_id(field, value.strip() if isinstance(value, str) else value)


def require_email(field: str, value: object) -> str:
    """A plausible email address without control, format or invisible characters and without
    mixed scripts (:func:`~.emails.email_problem`); returned stripped (case kept). The
    message shows the value escaped."""
    from airflow_provider_openai_projects.domain.display import printable
    from airflow_provider_openai_projects.domain.emails import email_problem

    if not isinstance(value, str) or len(value) > 320:
        raise InvalidInputError(field, "must be an email address")
    problem = email_problem(value.strip())
    if problem is not None:
        raise InvalidInputError(field, f"must be a plain email address; this one {problem}")
    if not _EMAIL.match(value.strip()):
        raise InvalidInputError(field, f"must be an email address, got {printable(value)!r}")
    return value.strip()


def refuse_near_match(field: str, email: str, members: Iterable[str]) -> None:
    """Raise when no member has ``email`` exactly but one looks like it or routes to the same
    mailbox (:func:`~.emails.near_matches`: Unicode skeleton, case, ``+tag``, trailing dot):
    acting on the look-alike would do nothing while the real person keeps access. The near
    matches are named escaped (non-ASCII as ``\\uXXXX``, so the difference shows). An exact
    member, or no near one, passes."""
    from airflow_provider_openai_projects.domain.display import printable
    from airflow_provider_openai_projects.domain.emails import near_matches, same_email

    listed = [m for m in members if m]
    if any(same_email(m, email) for m in listed):
        return
    near = near_matches(email, listed)
    if near:

        def escaped(text: str) -> str:  # look-alikes differ only in what escaping shows
            return "'" + printable(text).encode("ascii", "backslashreplace").decode("ascii") + "'"

        shown = ", ".join(escaped(m) for m in near)
        raise InvalidInputError(
            field,
            f"no member has the email {escaped(email)}, but {shown} looks like it or reaches the same "
            "mailbox; name the member by their exact email (or user id). Nothing was changed.",
        )


def require_choice(field: str, value: object, choices: Iterable[str]) -> str:
    """One of ``choices``."""
    allowed = tuple(choices)
    if value not in allowed:
        raise InvalidInputError(field, f"must be one of {', '.join(allowed)}; got {value!r}")
    return str(value)


def require_one_of(fields: Mapping[str, Any]) -> tuple[str, Any]:
    """Exactly one of the given fields is set; returns its name and value."""
    given = [(name, value) for name, value in fields.items() if value not in (None, "")]
    if len(given) != 1:
        names = " or ".join(fields)
        raise InvalidInputError(names.replace(" or ", "/"), f"give exactly one of {names}")
    return given[0]


def require_non_negative_int(field: str, value: object, *, maximum: int = INT64_MAX) -> int:
    """An integer from 0 to ``maximum`` (the spec's bound, else the signed 64-bit range;
    booleans are refused even though Python counts them as ints)."""
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        shown = repr(value)[:40] if not isinstance(value, int) or value.bit_length() < 64 else "a negative number"
        raise InvalidInputError(field, f"must be a non-negative integer, got {shown}")
    if value > maximum:
        raise InvalidInputError(field, f"must be at most {maximum} (got a {value.bit_length()}-bit number)")
    return value


def require_bool(field: str, value: object) -> bool:
    """``True`` or ``False`` exactly (not ``"true"``, not ``1``)."""
    if not isinstance(value, bool):
        raise InvalidInputError(field, f"must be True or False, got {value!r}")
    return value
