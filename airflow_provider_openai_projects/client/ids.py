"""Ids that fill a path segment: checked before anything is sent (light: no client module,
so operators can check ids when a DAG is parsed without loading the client)."""

from __future__ import annotations

import re

from airflow_provider_openai_projects.client.errors import InvalidInputError

MAX_ID_LENGTH = 256
_ID_CHARACTERS = re.compile(r"[A-Za-z0-9_.:\-]+")
"""What the API's ids are made of: ``proj_abc``, ``user-abc``, ``rl-gpt-4.1-mini-2025-04-14``,
``rl-ft:gpt-4o-mini:org:name:id``."""


def validate_id(field_name: str, value: object) -> str:
    """An id that fills one path segment, checked before anything is sent.

    Refused, with :class:`~.errors.InvalidInputError` naming ``field_name``: anything but a
    non-empty string, ``.`` and ``..`` (a segment that climbs out of the route: ``..`` as a
    project id turns a project call into an organization call), and any character outside
    letters, digits, ``_ - . :`` (so no ``/``, ``%``, ``?``, ``#``, whitespace or control
    character). Returned as given (never stripped: an id is exact).
    """
    if not isinstance(value, str) or not value:
        raise InvalidInputError(field_name, "must be a non-empty id string")
    if value in (".", ".."):
        raise InvalidInputError(field_name, f"{value!r} is not an id (a path segment that climbs out of the route)")
    if len(value) > MAX_ID_LENGTH:
        raise InvalidInputError(field_name, f"must be at most {MAX_ID_LENGTH} characters (got {len(value)})")
    if not _ID_CHARACTERS.fullmatch(value):
        position, char = next((i, c) for i, c in enumerate(value) if not _ID_CHARACTERS.fullmatch(c))
        raise InvalidInputError(
            field_name,
            f"must be an id of letters, digits and _ - . : only (character {position} is {char!r})",
        )
    return value
