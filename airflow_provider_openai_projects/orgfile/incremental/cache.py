"""The cache of the last read: what the reader read (never a key) and the log position.

One JSON document per org file and organization:

- ``reads``: the reader's snapshot (``key -> items``, the fields plans use: names, emails,
  ids, roles, limits) and ``read_at`` (``key -> unix time`` of the read that produced it);
- ``position``: the audit-log position the reads are true at (:class:`~.follow.Position`);
- ``full_read_at``: when the last full read was made (``settings.full_read_every``);
- ``events``: the events since the last apply that were not the provider's own, in the
  compact form of :mod:`.attribution` (who changed what);
- ``organization`` and ``source``: whose reads these are; another organization or another
  file makes the cache foreign (a full read).

A cache file comes from outside (object storage): :func:`loads` checks its shape (every
kept event as :mod:`.attribution` writes it), and the reason a cache is unusable carries
none of its text unescaped. Ids it holds reach URL paths only through the client, which
checks every path segment.

:func:`dumps` refuses to write text holding anything shaped like an OpenAI key, or the
connection's own key (:class:`KeyInCacheError`): a cache is written next to plans, in
object storage, and must never hold a secret.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, Protocol

from airflow_provider_openai_projects.client.errors import InvalidInputError, OpenAIAdminError
from airflow_provider_openai_projects.client.ids import validate_id
from airflow_provider_openai_projects.domain.display import printable
from airflow_provider_openai_projects.orgfile.incremental.follow import Position

CACHE_FORMAT = 1
#: Kept for attribution: the newest events since the last apply.
MAX_KEPT_EVENTS = 5000
_KEY_SHAPE = re.compile(r"(?<![A-Za-z0-9])sk-[A-Za-z0-9_-]{16,}")
#: At most this much of a malformed value is quoted (escaped) in the reason.
_MAX_SHOWN = 120


class KeyInCacheError(OpenAIAdminError, ValueError):
    """The cache would hold a key; nothing was written (the key is not in the message). An
    :class:`OpenAIAdminError`, so the CLI and the operators report it in one line."""


class CacheUnusable(ValueError):
    """The cache cannot be used (missing, unreadable, another format); the message says why."""


class TextLocation(Protocol):
    """A ``pathlib.Path`` or an ``ObjectStoragePath``."""

    def read_text(self) -> str: ...

    def write_text(self, data: str) -> Any: ...


@dataclass
class ReadCache:
    """See the module docstring."""

    organization: str
    source: str
    reads: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    read_at: dict[str, int] = field(default_factory=dict)
    position: Position = field(default_factory=Position)
    full_read_at: int = 0
    last_apply_at: int | None = None
    events: list[dict[str, Any]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "format": CACHE_FORMAT,
            "organization": self.organization,
            "source": self.source,
            "full_read_at": self.full_read_at,
            "last_apply_at": self.last_apply_at,
            "position": self.position.to_dict(),
            "read_at": self.read_at,
            "reads": self.reads,
            "events": self.events[-MAX_KEPT_EVENTS:],
        }

    @classmethod
    def from_dict(cls, data: Any) -> ReadCache:
        if not isinstance(data, dict) or data.get("format") != CACHE_FORMAT:
            raise CacheUnusable(f"not a cache of format {CACHE_FORMAT}")
        try:
            reads = data["reads"]
            read_at = data["read_at"]
            if not isinstance(reads, dict) or not isinstance(read_at, dict) or set(reads) != set(read_at):
                raise CacheUnusable("its reads and their times do not match")
            return cls(
                organization=str(data["organization"]),
                source=str(data["source"]),
                reads={str(k): _items(v) for k, v in reads.items()},
                read_at={str(k): int(v) for k, v in read_at.items()},
                position=Position.from_dict(data["position"]),
                full_read_at=int(data["full_read_at"]),
                last_apply_at=None if data.get("last_apply_at") is None else int(data["last_apply_at"]),
                events=[_event(e) for e in data.get("events") or []],
            )
        except (KeyError, TypeError, ValueError, AttributeError) as error:
            if isinstance(error, CacheUnusable):
                raise
            shown = printable(error)[:_MAX_SHOWN]
            raise CacheUnusable(f"a field is missing or malformed ({error.__class__.__name__}: {shown})") from None


def _items(data: Any) -> list[dict[str, Any]]:
    """One read's items: objects, whose ``id`` (when they have one) is an id the client
    would put in a path (:func:`~...client.ids.validate_id`)."""
    if not isinstance(data, list):
        raise ValueError("a read is not a list")
    items = [dict(item) for item in data]
    for item in items:
        if "id" in item:
            try:
                validate_id("id", item["id"])
            except InvalidInputError:
                raise ValueError("an object's id is not an id (a path segment the client would refuse)") from None
    return items


def _optional_text(value: Any, what: str) -> str | None:
    if value is not None and not isinstance(value, str):
        raise ValueError(f"{what} is not text")
    return value


def _event(data: Any) -> dict[str, Any]:
    """A kept event as :func:`~.attribution.compact` writes it, checked field by field (the
    plan renders and matches them: a malformed one would fail the plan, not the cache)."""
    actor = data["actor"]
    if not isinstance(actor, dict) or actor.get("type") not in ("session", "api_key"):
        raise ValueError("an event's actor is malformed")
    at = data["at"]
    if isinstance(at, bool) or not isinstance(at, int):
        raise ValueError("an event's time is not a time")
    objects = data.get("objects") or []
    stale = data.get("stale") or []
    if not isinstance(objects, list) or not all(isinstance(o, str) for o in objects):
        raise ValueError("an event's objects are not ids")
    if not isinstance(stale, list) or not all(
        isinstance(s, list) and len(s) == 2 and isinstance(s[0], str) and (s[1] is None or isinstance(s[1], str))
        for s in stale
    ):
        raise ValueError("an event's stale reads are malformed")
    return {
        "id": str(data["id"]),
        "type": str(data["type"]),
        "at": at,
        "actor": {
            "type": actor["type"],
            **{
                name: _optional_text(actor.get(name), "an actor's " + name)
                for name in ("id", "email", "name")
                if name in actor
            },
        },
        "objects": list(objects),
        "stale": [list(s) for s in stale],
    }


def assert_no_key(text: str, secrets: Iterable[str] = ()) -> None:
    """Raise :class:`KeyInCacheError` if ``text`` holds a key-shaped value or one of ``secrets``."""
    if _KEY_SHAPE.search(text) or any(secret and secret in text for secret in secrets):
        raise KeyInCacheError("the read cache would hold an API key; it was not written")


def dumps(cache: ReadCache, secrets: Iterable[str] = ()) -> str:
    """The cache as JSON, checked to hold no key."""
    text = json.dumps(cache.to_dict(), sort_keys=True, separators=(",", ":"))
    assert_no_key(text, secrets)
    return text


def loads(text: str) -> ReadCache:
    try:
        data = json.loads(text)
    except ValueError as error:
        raise CacheUnusable(f"not JSON ({error})") from None
    return ReadCache.from_dict(data)


def load(location: TextLocation) -> ReadCache:
    """The cache at ``location``; :class:`CacheUnusable` (saying why) when there is none."""
    try:
        text = location.read_text()
    except FileNotFoundError:
        raise CacheUnusable("there is no cache yet") from None
    except (OSError, UnicodeDecodeError) as error:
        raise CacheUnusable(f"it cannot be read ({error.__class__.__name__})") from None
    return loads(text)


def save(location: TextLocation, cache: ReadCache, secrets: Iterable[str] = ()) -> None:
    """Write the cache (checked first: no key)."""
    text = dumps(cache, secrets)
    parent = getattr(location, "parent", None)
    if parent is not None and hasattr(parent, "mkdir"):
        parent.mkdir(parents=True, exist_ok=True)
    location.write_text(text)
