"""Naming and selection rules of service-account key rotation (pure Python, no Airflow, no I/O).

A rotated service account is one *logical* account (``team-search``) made of one real
service account per *generation*, named ``<logical>--<generation>``
(``team-search--20261126T080000Z-3fa2c1``). The key of a generation can only be revoked
by deleting its service account (docs/design.md, fact 6), so rotating means creating the next
generation and later deleting the old ones.

Ownership rule: a service account belongs to the logical account ``L`` if and only if its
name is ``L + "--" + token`` where ``token`` is non-empty, does not start with ``-`` and
contains no ``--``. Logical names may not contain ``--`` nor end with ``-``, so every
generation name contains exactly one ``--`` and belongs to at most one logical account:
``team--x--20260101T000000Z-abcdef`` is not ``team``'s, ``teamX--...`` neither.

Sink entry names: the current key of a logical account lives at ``secret_variable``
(default :func:`default_secret_variable`, which contains ``api_key`` so that Airflow masks
it), a new key that is not verified yet at :func:`pending_entry_name` of it.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from airflow_provider_openai_projects.client.errors import InvalidInputError
from airflow_provider_openai_projects.domain.display import printable
from airflow_provider_openai_projects.domain.validation import require_name

GENERATION_SEPARATOR = "--"
PENDING_SUFFIX = "_pending"
GENERATION_TIME_FORMAT = "%Y%m%dT%H%M%SZ"
MAX_GENERATION_LENGTH = 64
MAX_ENTRY_NAME_LENGTH = 250 - len(PENDING_SUFFIX)  # Airflow Variable keys hold at most 250 characters

_SLUG_UNSAFE = re.compile(r"[^a-z0-9]+")
_TOKEN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:-]*$")
_ENTRY_NAME = re.compile(r"^[A-Za-z0-9_.:/-]+$")
_BAD_SEGMENTS = frozenset({"", ".", ".."})


def slug(name: str) -> str:
    """``"Team Search"`` -> ``"team_search"``: lower case, runs of other characters -> ``_``.

    A name with no ASCII letter or digit gets a short hash instead, so it still gets its
    own entry name.
    """
    text = _SLUG_UNSAFE.sub("_", name.strip().lower()).strip("_")
    return text or "sa_" + hashlib.sha256(name.encode()).hexdigest()[:10]


def default_secret_variable(name: str) -> str:
    """``openai_<slug(name)>_api_key``: contains ``api_key``, so Airflow masks the value."""
    return f"openai_{slug(name)}_api_key"


def pending_entry_name(secret_variable: str) -> str:
    """Where a new, not yet verified key waits: ``<secret_variable>_pending`` (still masked)."""
    return secret_variable + PENDING_SUFFIX


def redacted(value: str) -> str:
    """A display form of a key that identifies it without being usable: first 8 characters,
    ``...``, last 4 (``sk-svcac...abcd``); ``****`` for anything too short to show safely."""
    if len(value) < 24:
        return "****"
    return f"{value[:8]}...{value[-4:]}"


def generation_from_run(run_after: datetime, run_id: str) -> str:
    """The generation of a DAG run: ``run_after`` in UTC as ``YYYYMMDDTHHMMSSZ``, ``-`` and 6
    hex characters of a hash of ``run_id``. Stable across task retries of the same run;
    two runs with the same ``run_after`` still differ."""
    when = run_after.astimezone(UTC) if run_after.tzinfo else run_after.replace(tzinfo=UTC)
    digest = hashlib.sha256(run_id.encode()).hexdigest()[:6]
    return f"{when.strftime(GENERATION_TIME_FORMAT)}-{digest}"


def require_logical_name(field: str, value: object) -> str:
    """A logical service-account name: a valid name without ``--`` and not ending with ``-``."""
    name = require_name(field, value)
    if GENERATION_SEPARATOR in name:
        raise InvalidInputError(field, f"must not contain {GENERATION_SEPARATOR!r} (it separates the generation)")
    if name.endswith("-"):
        raise InvalidInputError(field, "must not end with '-'")
    return name


def require_generation(field: str, value: object) -> str:
    """A generation token: letters, digits, ``. _ : -``; starts with a letter or digit; no ``--``."""
    if not isinstance(value, str) or not value.strip():
        raise InvalidInputError(field, "must be a non-empty string")
    token = value.strip()
    if len(token) > MAX_GENERATION_LENGTH:
        raise InvalidInputError(field, f"must be at most {MAX_GENERATION_LENGTH} characters (got {len(token)})")
    if not _TOKEN.match(token) or GENERATION_SEPARATOR in token:
        raise InvalidInputError(
            field,
            f"must start with a letter or digit and hold only letters, digits, '.', '_', ':' and single '-'; "
            f"got {token!r}",
        )
    return token


def require_entry_name(field: str, value: object) -> str:
    """A sink entry name (an Airflow Variable key, a secret's name): letters, digits,
    ``_ . : / -``, as ``/``-separated segments none of which is empty, ``.`` or ``..``.

    So ``team/search`` and ``svc.v1`` are names, ``../x``, ``a/../b``, ``./x``, ``a//b``, ``/x``
    and ``x/`` are not: in a path-like secrets back-end such a name could climb out of its
    prefix or alias another entry. The one rule for every entry name (rotation, hygiene's
    ``rotation_entries``, onboarding and the org file's service-account sinks); the error
    names ``field`` and shows the value escaped.
    """
    if not isinstance(value, str) or not value.strip():
        raise InvalidInputError(field, "must be a non-empty string")
    name = value.strip()
    if len(name) > MAX_ENTRY_NAME_LENGTH:
        raise InvalidInputError(field, f"must be at most {MAX_ENTRY_NAME_LENGTH} characters (got {len(name)})")
    if not _ENTRY_NAME.match(name):
        raise InvalidInputError(
            field, f"may hold only letters, digits, '_', '.', ':', '/' and '-'; got '{printable(name)}'"
        )
    if any(segment in _BAD_SEGMENTS for segment in name.split("/")):
        raise InvalidInputError(
            field,
            "must not start or end with '/' nor hold an empty, '.' or '..' segment between '/' "
            f"(it could name another entry in the secrets back-end); got '{printable(name)}'",
        )
    return name


def generation_account_name(logical: str, generation: str) -> str:
    """``<logical>--<generation>``."""
    return f"{logical}{GENERATION_SEPARATOR}{generation}"


def generation_of(account_name: str, logical: str) -> str | None:
    """The generation token if ``account_name`` belongs to ``logical`` (module docstring), else ``None``."""
    prefix = logical + GENERATION_SEPARATOR
    if not account_name.startswith(prefix):
        return None
    token = account_name[len(prefix) :]
    if not token or token.startswith("-") or GENERATION_SEPARATOR in token:
        return None
    return token


def generations(accounts: Iterable[Mapping[str, Any]], logical: str) -> list[Mapping[str, Any]]:
    """The service accounts (API dicts) that belong to ``logical``, in the order given."""
    return [a for a in accounts if generation_of(str(a.get("name", "")), logical) is not None]


@dataclass(frozen=True)
class RevokePlan:
    """Which generations to delete and which to keep (service-account ids, newest first)."""

    delete: list[str]
    keep: list[str]


def plan_revoke(
    accounts: Sequence[Mapping[str, Any]],
    *,
    protect: Iterable[str | None],
    keep_previous: int,
    prefer: Iterable[str | None] = (),
) -> RevokePlan:
    """Choose the previous generations to delete.

    :param accounts: the logical account's generations (see :func:`generations`).
    :param protect: ids never deleted and not counted (the current generation, a pending one).
    :param keep_previous: how many of the other generations to keep.
    :param prefer: ids kept first, before the newest others (the generation that was
        current before the last promotion: consumers may still use it, whereas a newer
        account left over by an interrupted run never had a key in use).
    :return: the rest, newest first by ``created_at`` then name, kept up to ``keep_previous``;
        everything else is deleted.
    """
    protected = {i for i in protect if i}
    preferred = [i for i in prefer if i]
    candidates = sorted(
        (a for a in accounts if a["id"] not in protected),
        key=lambda a: (int(a.get("created_at") or 0), str(a.get("name", "")), str(a["id"])),
        reverse=True,
    )
    rank = {a["id"]: n for n, a in enumerate(candidates)}
    ordered = sorted(candidates, key=lambda a: (0 if a["id"] in preferred else 1, rank[a["id"]]))
    keep = [str(a["id"]) for a in ordered[:keep_previous]]
    delete = [str(a["id"]) for a in candidates if a["id"] not in keep]
    return RevokePlan(delete=delete, keep=[str(a["id"]) for a in candidates if a["id"] in keep])
