"""Checks of operator inputs that run before any request is sent.

Each check raises :class:`~airflow_provider_openai_projects.client.errors.InvalidInputError`
naming the field, so bad input fails once, clearly, and changes nothing. Kept free of
heavy imports: operators call these in ``execute`` and DAG files import operators.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

from airflow_provider_openai_projects.client.errors import InvalidInputError

PROJECT_ROLES = ("owner", "member")
ORGANIZATION_ROLES = ("owner", "reader")
MAX_NAME_LENGTH = 128
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def require_name(field: str, value: object, *, max_length: int = MAX_NAME_LENGTH) -> str:
    """A non-empty, not overlong, single-line name; returned stripped."""
    if not isinstance(value, str) or not value.strip():
        raise InvalidInputError(field, "must be a non-empty string")
    value = value.strip()
    if len(value) > max_length:
        raise InvalidInputError(field, f"must be at most {max_length} characters (got {len(value)})")
    if any(c in value for c in "\r\n\t"):
        raise InvalidInputError(field, "must be a single line")
    return value


def require_id(field: str, value: object) -> str:
    """A non-empty id without whitespace."""
    if not isinstance(value, str) or not value.strip() or any(c.isspace() for c in value.strip()):
        raise InvalidInputError(field, "must be a non-empty id without spaces")
    return value.strip()


def require_email(field: str, value: object) -> str:
    """A plausible email address; returned stripped (case kept)."""
    if not isinstance(value, str) or not _EMAIL.match(value.strip()) or len(value) > 320:
        raise InvalidInputError(field, f"must be an email address, got {value!r}")
    return value.strip()


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


def require_non_negative_int(field: str, value: object) -> int:
    """An integer >= 0 (booleans are refused even though Python counts them as ints)."""
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise InvalidInputError(field, f"must be a non-negative integer, got {value!r}")
    return value


def require_bool(field: str, value: object) -> bool:
    """``True`` or ``False`` exactly (not ``"true"``, not ``1``)."""
    if not isinstance(value, bool):
        raise InvalidInputError(field, f"must be True or False, got {value!r}")
    return value
