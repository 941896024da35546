"""Which audit events a sensor waits for: one filter shared by the poke and the trigger.

The API filters by ``event_types``, ``project_ids``, ``actor_ids``, ``actor_emails`` and
``resource_ids``; the same filter is applied again to what comes back, so an upstream
that ignores a filter cannot wake a sensor on the wrong event. The earliest matching
event (by ``effective_at``, then id) is the answer: the API's order is not documented.

What ``project_ids`` can and cannot catch: it matches an event's ``project``, "the
project that the action was scoped to", and the spec adds that "any admin actions taken
via Admin API keys are associated with the default project". So it catches what people
do in a project (dashboard sessions) and, for the Default project, every admin-key
action; it never catches what an admin key (this automation's or another's) changes in
any other project. To follow a project's changes whoever makes them, filter on
``resource_ids``: the project's id matches ``project.updated``/``project.archived`` (and
settings changes recorded as ``project.updated``); a member, service account, key, rate
limit or certificate id matches the events about it. The event's details (``id``,
``changes_requested``, ``data``) name the target.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any

from airflow_provider_openai_projects.client.errors import InvalidInputError


@dataclass(frozen=True)
class AuditEventFilter:
    """What to wait for: events strictly after ``after`` (Unix seconds) matching every
    given list (an empty list matches anything)."""

    after: int
    event_types: tuple[str, ...] = ()
    project_ids: tuple[str, ...] = ()
    actor_ids: tuple[str, ...] = ()
    actor_emails: tuple[str, ...] = ()
    resource_ids: tuple[str, ...] = ()

    @classmethod
    def from_inputs(cls, after: object, **lists: object) -> AuditEventFilter:
        """Checked inputs; :class:`InvalidInputError` naming the field otherwise."""
        if isinstance(after, bool) or not isinstance(after, int | float) or after < 0:
            raise InvalidInputError("after", f"must be a Unix time in seconds, got {after!r}")
        checked: dict[str, tuple[str, ...]] = {}
        for name, value in lists.items():
            if value is None:
                checked[name] = ()
                continue
            if isinstance(value, str) or not isinstance(value, Sequence):
                raise InvalidInputError(name, f"must be a list of strings, got {value!r}")
            if not all(isinstance(item, str) and item for item in value):
                raise InvalidInputError(name, "must contain non-empty strings only")
            checked[name] = tuple(value)
        return cls(after=int(after), **checked)

    def query(self) -> dict[str, Any]:
        """Keyword arguments of ``list_audit_logs`` for this filter."""
        filters: dict[str, Any] = {"effective_at": {"gt": self.after}}
        for name, values in asdict(self).items():
            if name != "after" and values:
                filters[name] = list(values)
        return filters

    def matches(self, event: Mapping[str, Any]) -> bool:
        if int(event.get("effective_at") or 0) <= self.after:
            return False
        if self.event_types and event.get("type") not in self.event_types:
            return False
        if self.project_ids and (event.get("project") or {}).get("id") not in self.project_ids:
            return False
        actor = _actor(event)
        if self.actor_ids and not (actor["ids"] & set(self.actor_ids)):
            return False
        if self.actor_emails and not ({e.lower() for e in actor["emails"]} & {e.lower() for e in self.actor_emails}):
            return False
        return not (self.resource_ids and not (_resource_ids(event) & set(self.resource_ids)))

    def first_match(self, events: Iterable[Mapping[str, Any]]) -> dict[str, Any] | None:
        matching = [dict(event) for event in events if self.matches(event)]
        return min(matching, key=lambda e: (int(e.get("effective_at") or 0), str(e.get("id")))) if matching else None


def _actor(event: Mapping[str, Any]) -> dict[str, set[str]]:
    actor = event.get("actor") or {}
    api_key = actor.get("api_key") or {}
    user = (actor.get("session") or {}).get("user") or api_key.get("user") or {}
    ids = {str(v) for v in (api_key.get("id"), user.get("id"), (api_key.get("service_account") or {}).get("id")) if v}
    emails = {str(user["email"])} if user.get("email") else set()
    return {"ids": ids, "emails": emails}


#: Fields of the spec's event details that hold an id without saying so in their name.
_ID_FIELDS = frozenset({"id", "fine_tuned_model_checkpoint"})


def _is_id_field(name: object) -> bool:
    return isinstance(name, str) and (name in _ID_FIELDS or name.endswith(("_id", "_ids")))


def _resource_ids(event: Mapping[str, Any]) -> set[str]:
    """The ids an event is about: every id field of its type's detail object, however nested
    (its ``id``, a role assignment's ``principal_id``/``resource_id``, each certificate's
    ``id``, a checkpoint permission's ``data.project_id``...), and the parts of a
    ``:``-joined id. Names, titles, emails and roles are not ids: a project renamed to
    another project's id is not about that project. The API's ``resource_ids[]``
    ("performed on these targets. For example, a project ID updated") is what decides;
    this re-check only refuses an event whose details name none of the wanted ids."""
    found: set[str] = set()
    pending: list[tuple[bool, Any]] = [(False, event.get(str(event.get("type"))))]
    while pending:
        is_id, value = pending.pop()
        if isinstance(value, Mapping):
            pending.extend((_is_id_field(name), item) for name, item in value.items())
        elif isinstance(value, list):
            pending.extend((is_id, item) for item in value)
        elif is_id and isinstance(value, str) and value:
            found.add(value)
            found.update(part for part in value.split(":") if part)
    return found
