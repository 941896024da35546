"""Local checks of arguments the API would refuse, shared by the settings families.

Each raises :class:`~..errors.InvalidInputError` naming the field, before anything is sent.
No message repeats the value checked (it may be a certificate or an email list).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from airflow_provider_openai_projects.client.errors import InvalidInputError


def non_empty_text(value: Any, field: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise InvalidInputError(field, "must be a non-empty string")
    return value


def one_of(value: Any, allowed: Sequence[str], field: str) -> str:
    if value not in allowed:
        raise InvalidInputError(field, f"must be one of {', '.join(allowed)}")
    return str(value)


def integer(value: Any, field: str, minimum: int, maximum: int | None = None) -> int:
    """An ``int`` (not a ``bool``) within ``minimum..maximum``."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidInputError(field, "must be an integer")
    if value < minimum or (maximum is not None and value > maximum):
        bound = f"between {minimum} and {maximum}" if maximum is not None else f"at least {minimum}"
        raise InvalidInputError(field, f"must be {bound}, got {value}")
    return value


def strings(values: Any, field: str, min_items: int = 0, max_items: int | None = None) -> list[str]:
    """A list of non-empty strings (a bare string is refused: it is not a list of ids)."""
    if isinstance(values, str) or not isinstance(values, Sequence):
        raise InvalidInputError(field, "must be a list of strings")
    items = list(values)
    if any(not isinstance(v, str) or not v.strip() for v in items):
        raise InvalidInputError(field, "must contain only non-empty strings")
    if len(items) < min_items or (max_items is not None and len(items) > max_items):
        bound = f"between {min_items} and {max_items}" if max_items is not None else f"at least {min_items}"
        raise InvalidInputError(field, f"must hold {bound} items, got {len(items)}")
    return items
