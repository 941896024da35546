"""Who changed what: the events that touched each drift line's object since the last apply.

- :func:`admin_keys` finds the provider's own admin key among the organization's admin
  keys (its ``redacted_value`` is the connection key's prefix and last characters; a
  unique match only) and the names of the others, so an event made with a key is shown
  as ``key <tracking id> "<name>"``. Events made with the provider's own key are its own
  writes: they still make reads stale but are never reported as drift.
- :func:`compact` keeps of an event what attribution needs (no detail payload).
- :func:`attribute` gives each change of a plan the events that touched its object: the
  event made its read stale (:mod:`.invalidation`) and, when the event names an object
  (a user, a rate limit ``rl-<model>``, a project...), that object is the change's.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from airflow_provider_openai_projects.domain.display import printable
from airflow_provider_openai_projects.orgfile.incremental.invalidation import (
    PROJECT_FAMILIES,
    Stale,
    is_stale,
    stale_reads,
)

#: Change family -> the read family its object lives in (others: the same name).
_READ_FAMILY = {"members": "project_users", "organization": "users", "group_members": "group_users"}


@dataclass(frozen=True)
class AdminKeys:
    own: frozenset[str]
    """Tracking ids of the connection's own key (empty when it cannot be told)."""
    names: Mapping[str, str]
    """Tracking id -> name of every admin key listed."""


def shows_as(redacted: str, key: str) -> bool:
    """Whether ``key`` shows as ``redacted`` (``sk-admin...def`` as the spec shows it, or
    ``sk-admin-****abcd`` as the emulator does): same prefix, same last characters."""
    head, _, tail = redacted.replace("...", "*").partition("*")
    tail = tail.lstrip("*")
    return len(head) >= 3 and len(tail) >= 3 and key.startswith(head) and key.endswith(tail)


def connection_key(client: Any) -> str | None:
    """The admin key of a client or hook (kept in memory only: never stored)."""
    holder = client
    for _ in range(2):
        config = getattr(holder, "config", None)
        key = getattr(config, "api_key", None)
        if isinstance(key, str) and key:
            return key
        holder = getattr(holder, "client", None)
    return None


def admin_keys(client: Any) -> AdminKeys:
    """The organization's admin keys by tracking id, and which one is the connection's."""
    from airflow_provider_openai_projects.client.errors import APIStatusError

    try:
        listed = list(client.list_admin_api_keys())
    except APIStatusError:  # not permitted: own writes then show as a key's
        return AdminKeys(frozenset(), {})
    key = connection_key(client) or ""
    own = [str(k["id"]) for k in listed if key and shows_as(str(k.get("redacted_value") or ""), key)]
    return AdminKeys(
        frozenset(own) if len(own) == 1 else frozenset(), {str(k["id"]): str(k.get("name") or "") for k in listed}
    )


def _actor(event: Mapping[str, Any], keys: AdminKeys) -> dict[str, Any]:
    actor = event.get("actor") or {}
    kind = actor.get("type")
    if kind == "session":
        user = (actor.get("session") or {}).get("user") or {}
        return {"type": "session", "id": user.get("id"), "email": user.get("email")}
    api_key = actor.get("api_key") or {}
    key_id = str(api_key.get("id") or "")
    return {"type": "api_key", "id": key_id, "name": keys.names.get(key_id)}


def is_own(event: Mapping[str, Any], keys: AdminKeys) -> bool:
    """Whether the provider's own admin key made ``event``."""
    return ((event.get("actor") or {}).get("api_key") or {}).get("id") in keys.own


def _objects(event: Mapping[str, Any]) -> list[str]:
    details = event.get(str(event.get("type"))) or {}
    if not isinstance(details, Mapping):
        return []
    return [str(details[name]) for name in ("id", "principal_id", "resource_id", "user_id") if details.get(name)]


def compact(event: Mapping[str, Any], keys: AdminKeys, cached: Mapping[str, Any]) -> dict[str, Any]:
    """What attribution keeps of an event (ids, type, time, actor, stale reads)."""
    return {
        "id": str(event["id"]),
        "type": str(event.get("type")),
        "at": int(event.get("effective_at") or 0),
        "actor": _actor(event, keys),
        "objects": _objects(event),
        "stale": sorted([family, scope] for family, scope in stale_reads(event, cached)),
    }


def actor_text(actor: Mapping[str, Any]) -> str:
    """``ada@example.com``, or ``key key_abc "ci-bot"`` (escaped for any terminal)."""
    if actor.get("type") == "session":
        return printable(actor.get("email") or actor.get("id") or "a person (no email)")
    name = actor.get("name")
    return printable(f"key {actor.get('id') or '(unknown)'}" + (f' "{name}"' if name else ""))


def event_text(event: Mapping[str, Any]) -> str:
    """``ada@example.com at 2026-12-06T18:00:00Z (rate_limit.updated)``."""
    at = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(int(event["at"])))
    return f"{actor_text(event['actor'])} at {at} ({printable(event['type'])})"


def _project_ids(reads: Mapping[str, Any], name: str) -> set[str]:
    return {str(p["id"]) for p in reads.get("projects") or [] if p.get("name") == name and p.get("id")}


def _change_read(change: Mapping[str, Any], reads: Mapping[str, Any]) -> tuple[list[str], set[str]]:
    """The read keys a change's object lives in and the ids that name the object."""
    family = _READ_FAMILY.get(str(change["family"]), str(change["family"]))
    target = change.get("target") or {}
    ids = {str(v) for v in target.values() if isinstance(v, str)}
    what = str(change.get("what") or "")
    ids |= {what, f"rl-{what}"}
    ids |= {str(u["id"]) for u in reads.get("users") or [] if str(u.get("email") or "").lower() == what.lower()}
    projects = {str(target["project_id"])} if target.get("project_id") else _project_ids(reads, str(change["where"]))
    ids |= projects
    if family in PROJECT_FAMILIES and change.get("where") != "organization":
        return [f"{family}/{p}" for p in projects] or [family], ids
    if target.get("group_id"):  # a group's members, roles or the group itself
        group = target["group_id"]
        return [family, f"group_users/{group}", f"group_roles/{group}"], ids
    return [family], ids


def _stale(event: Mapping[str, Any]) -> list[Stale]:
    return [(str(family), scope) for family, scope in event.get("stale") or []]


def attribute(
    changes: Iterable[Mapping[str, Any]], events: Iterable[Mapping[str, Any]], reads: Mapping[str, Any]
) -> list[list[dict[str, Any]]]:
    """For each change (as ``Change.to_dict()``), the compact events that touched its object."""
    kept = list(events)
    result: list[list[dict[str, Any]]] = []
    for change in changes:
        keys, ids = _change_read(change, reads)
        touched = []
        for event in kept:
            if not any(is_stale(key, _stale(event)) for key in keys):
                continue
            objects = set(event.get("objects") or [])
            if objects and not objects & ids:
                continue
            touched.append(dict(event))
        result.append(touched)
    return result
