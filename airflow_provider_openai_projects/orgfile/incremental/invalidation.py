"""What an audit-log event may have changed: one table, event type -> the reads it makes stale.

A plan reads lists under keys (:class:`~..reader.LiveReader`): ``projects``, ``users``,
``invites``, ``groups``, ``roles``, organization settings (``data_retention``,
``spend_limit``, ``spend_alerts``, ``certificates``), and per project
(``<family>/<project id>``) or per group (``group_users/<group id>``,
``group_roles/<group id>``). An event makes stale either a whole family (every key of it)
or one object's key, and only when it truly names that object:

- an event made in the dashboard (actor ``session``) names its project in ``project``;
- an event made with an admin key does not: the spec says "any admin actions taken via
  Admin API keys are associated with the default project" (``AuditLog.project``), so its
  ``project`` is ignored. Its details localize it only where the spec makes the detail the
  target itself (``project.*``: "The project ID"; ``role.assignment.*``: ``resource_id``;
  ``tenant.group.member.*``: the group). Otherwise the whole family is re-read: a rate
  limit's id is ``rl-<model>`` in every project, a user's id is in every project.
- an event type not in the table (a new one, or one the spec adds) makes everything stale;
- a read of a family no row names (:data:`FOLLOWED_FAMILIES`) is never reused.

Event types that change nothing the file manages are listed with :data:`NOTHING` and the
reason (their spec details name only objects no family reads: API keys, IP allowlists,
logins...). Each entry carries its reason; a test holds every spec event type to a row.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

#: Families read once per project (``<family>/<project id>``).
PROJECT_FAMILIES = (
    "project_users",
    "rate_limits",
    "service_accounts",
    "project_groups",
    "model_permissions",
    "hosted_tools",
    "data_retention",
    "spend_limit",
    "spend_alerts",
    "certificates",
)
#: Settings read for the organization (key = the family) and per project.
SETTINGS_FAMILIES = ("data_retention", "spend_limit", "spend_alerts", "certificates")

#: A stale read: ``(family, None)`` every key of the family; ``(family, "")`` the
#: organization's key only; ``(family, id)`` the key ``<family>/<id>``.
Stale = tuple[str, str | None]
EVERYTHING: frozenset[Stale] = frozenset({("*", None)})


def _details(event: Mapping[str, Any]) -> Mapping[str, Any]:
    details = event.get(str(event.get("type")))
    return details if isinstance(details, Mapping) else {}


def actor_type(event: Mapping[str, Any]) -> str:
    """``session``, ``api_key`` or ``unknown``."""
    actor = event.get("actor")
    kind = actor.get("type") if isinstance(actor, Mapping) else None
    return str(kind) if kind in ("session", "api_key") else "unknown"


def session_project(event: Mapping[str, Any]) -> str | None:
    """The project an event truly names: its ``project`` when a person made it in the
    dashboard (actor ``session``); ``None`` for an admin key's event (the Default project)."""
    project = event.get("project")
    if actor_type(event) == "session" and isinstance(project, Mapping) and project.get("id"):
        return str(project["id"])
    return None


def _detail_id(event: Mapping[str, Any]) -> str | None:
    value = _details(event).get("id")
    return str(value) if value else None


def _assigned_project(event: Mapping[str, Any]) -> str | None:
    details = _details(event)
    if details.get("resource_type") == "api.project" and details.get("resource_id"):
        return str(details["resource_id"])
    return None


@dataclass(frozen=True)
class Rule:
    """What one event type may change.

    :param whole: families made stale whole, whoever made the event.
    :param per_project: families made stale for the projects the event truly names (a
        session's project and ``target``: both when they differ), whole when it names none.
    :param organization: families whose organization-level key is made stale.
    :param per_object: ``(family, id of)``: the key ``<family>/<id>`` when ``id of`` finds
        the object in the details, else the whole family.
    :param target: how the details name the project that is the event's target (trusted
        whoever the actor: the spec defines that detail as the target's id).
    """

    reason: str
    whole: tuple[str, ...] = ()
    per_project: tuple[str, ...] = ()
    organization: tuple[str, ...] = ()
    per_object: tuple[tuple[str, Callable[[Mapping[str, Any]], str | None]], ...] = ()
    target: Callable[[Mapping[str, Any]], str | None] | None = None
    also: Callable[[Mapping[str, Any], Mapping[str, Any]], set[Stale]] | None = field(default=None)

    def stale(self, event: Mapping[str, Any], cached: Mapping[str, Any]) -> set[Stale]:
        found: set[Stale] = {(family, None) for family in self.whole}
        found |= {(family, "") for family in self.organization}
        named = {session_project(event), self.target(event) if self.target else None} - {None}
        for project in named or {None}:  # both when a person's scope and the target differ
            found |= {(family, project) for family in self.per_project}
        for family, id_of in self.per_object:
            found.add((family, id_of(event)))
        if self.also is not None:
            found |= self.also(event, cached)
        return found


NOTHING = Rule("changes nothing the file manages")


def _invited_projects(event: Mapping[str, Any], cached: Mapping[str, Any]) -> set[Stale]:
    """``invite.accepted``: the projects the cached invite grants; every project if unknown."""
    invite_id = _detail_id(event)
    for invite in cached.get("invites") or []:
        if invite.get("id") == invite_id:
            return {("project_users", str(grant["id"])) for grant in invite.get("projects") or [] if grant.get("id")}
    return {("project_users", None)}


_PROJECT = Rule(
    "a project's name, status or settings (the spec's project.updated carries no field for settings)",
    whole=("projects",),
    per_project=PROJECT_FAMILIES,
    target=_detail_id,
)
_ORG_SETTINGS = "organization settings (the spec's organization.updated carries no field for them)"
_NOT_MANAGED = "its details name only objects the file does not manage"

RULES: dict[str, Rule] = {
    # projects and organization settings
    "project.created": _PROJECT,
    "project.updated": _PROJECT,
    "project.archived": _PROJECT,
    "project.deleted": _PROJECT,
    "organization.updated": Rule(_ORG_SETTINGS, organization=SETTINGS_FAMILIES),
    # people
    "user.added": Rule("a member added (to a project, or the organization)", ("users",), ("project_users",)),
    "user.updated": Rule("a member's role", ("users",), ("project_users",)),
    "user.deleted": Rule(
        "a member removed (from the organization: from every project and group too)",
        ("users", "group_users"),
        ("project_users",),
    ),
    "invite.sent": Rule("a pending invite", ("invites",)),
    "invite.deleted": Rule("a pending invite", ("invites",)),
    "invite.accepted": Rule(
        "a new member, in the projects the invite grants", ("invites", "users"), also=_invited_projects
    ),
    # service accounts, rate limits
    "service_account.created": Rule("a project's service accounts", per_project=("service_accounts",)),
    "service_account.updated": Rule("a project's service accounts", per_project=("service_accounts",)),
    "service_account.deleted": Rule("a project's service accounts", per_project=("service_accounts",)),
    "rate_limit.updated": Rule(
        "a project's rate limit (ids are rl-<model> in every project)", per_project=("rate_limits",)
    ),
    "rate_limit.deleted": Rule(
        "a project's rate limit (ids are rl-<model> in every project)", per_project=("rate_limits",)
    ),
    # groups and roles
    "group.created": Rule("the groups", ("groups",)),
    "group.updated": Rule("a group's name", ("groups", "project_groups")),
    "group.deleted": Rule(
        "a group, its members, roles and projects",
        ("groups", "project_groups"),
        per_object=(("group_users", _detail_id), ("group_roles", _detail_id)),
    ),
    "scim.enabled": Rule("groups become SCIM-managed", ("groups", "group_users")),
    "scim.disabled": Rule("groups stop being SCIM-managed", ("groups", "group_users")),
    "role.created": Rule("the roles", ("roles",)),
    "role.updated": Rule("a role", ("roles", "group_roles", "project_groups")),
    "role.deleted": Rule("a role and its assignments", ("roles", "group_roles", "project_groups", "users")),
    "role.assignment.created": Rule(
        "a role given to a user or group (on the organization or a project)",
        ("users", "group_roles"),
        ("project_groups", "project_users"),
        target=_assigned_project,
    ),
    "role.assignment.deleted": Rule(
        "a role taken from a user or group (on the organization or a project)",
        ("users", "group_roles"),
        ("project_groups", "project_users"),
        target=_assigned_project,
    ),
    "role.bound_to_resource": Rule("a role's permissions", ("roles", "group_roles", "project_groups")),
    "role.unbound_from_resource": Rule("a role's permissions", ("roles", "group_roles", "project_groups")),
    "tenant.group.member.added": Rule("a group's members", per_object=(("group_users", _detail_id),)),
    "tenant.group.member.removed": Rule("a group's members", per_object=(("group_users", _detail_id),)),
    "tenant.group.created": Rule("the groups", ("groups",)),
    "tenant.group.updated": Rule("a group", ("groups", "project_groups")),
    "tenant.group.deleted": Rule("a group", ("groups", "group_users", "group_roles", "project_groups")),
    # certificates (activation is per scope; the list is the organization's)
    "certificate.created": Rule("the certificates", ("certificates",)),
    "certificate.updated": Rule("the certificates", ("certificates",)),
    "certificate.deleted": Rule("the certificates", ("certificates",)),
    "certificates.activated": Rule("certificates active for a scope", ("certificates",)),
    "certificates.deactivated": Rule("certificates active for a scope", ("certificates",)),
    # nothing the file manages: the spec's details name other objects
    "api_key.created": Rule(f"API keys: {_NOT_MANAGED}"),
    "api_key.updated": Rule(f"API keys: {_NOT_MANAGED}"),
    "api_key.deleted": Rule(f"API keys: {_NOT_MANAGED}"),
    "checkpoint.permission.created": Rule(f"checkpoint permissions: {_NOT_MANAGED}"),
    "checkpoint.permission.deleted": Rule(f"checkpoint permissions: {_NOT_MANAGED}"),
    "external_key.registered": Rule(f"external keys: {_NOT_MANAGED}"),
    "external_key.removed": Rule(f"external keys: {_NOT_MANAGED}"),
    "ip_allowlist.created": Rule(f"IP allowlists: {_NOT_MANAGED}"),
    "ip_allowlist.updated": Rule(f"IP allowlists: {_NOT_MANAGED}"),
    "ip_allowlist.deleted": Rule(f"IP allowlists: {_NOT_MANAGED}"),
    "ip_allowlist.config.activated": Rule(f"IP allowlists: {_NOT_MANAGED}"),
    "ip_allowlist.config.deactivated": Rule(f"IP allowlists: {_NOT_MANAGED}"),
    "login.succeeded": Rule("a login: the spec gives it no field beyond the actor"),
    "login.failed": Rule("a failed login: error code and message only"),
    "logout.succeeded": Rule("a logout: the spec gives it no field beyond the actor"),
    "logout.failed": Rule("a failed logout: error code and message only"),
    "tunnel.created": Rule(f"tunnels: {_NOT_MANAGED}"),
    "tunnel.updated": Rule(f"tunnels: {_NOT_MANAGED}"),
    "tunnel.deleted": Rule(f"tunnels: {_NOT_MANAGED}"),
}
"""Event type -> what it may change. A type not here makes everything stale."""


def _followed_families() -> frozenset[str]:
    found = {*PROJECT_FAMILIES, *SETTINGS_FAMILIES, "project_users"}  # project_users: invite.accepted's also
    for rule in RULES.values():
        found |= {*rule.whole, *rule.per_project, *rule.organization, *(family for family, _ in rule.per_object)}
    return frozenset(found)


FOLLOWED_FAMILIES = _followed_families()
"""The read families some row can make stale. A read of any other family (one a handler
reads that the table has no row for: the offboarding's ``user_roles/<user>`` and
``project_api_keys/<project>``) is never reused: no event could say it went stale."""


def is_followed(key: str) -> bool:
    """Whether the read ``key`` may be reused at all (its family is :data:`FOLLOWED_FAMILIES`)."""
    return key.partition("/")[0] in FOLLOWED_FAMILIES


def stale_reads(event: Mapping[str, Any], cached: Mapping[str, Any]) -> frozenset[Stale]:
    """What ``event`` may have made stale (``cached``: the cached reads, for invites)."""
    rule = RULES.get(str(event.get("type")))
    if rule is None:
        return EVERYTHING
    return frozenset(rule.stale(event, cached))


def is_stale(key: str, stale: Iterable[Stale]) -> bool:
    """Whether the read ``key`` (``family`` or ``family/<id>``) is covered by ``stale``."""
    family, _, object_id = key.partition("/")
    for stale_family, scope in stale:
        if stale_family == "*":
            return True
        if stale_family != family:
            continue
        if scope is None or (scope == "" and not object_id) or (scope and scope == object_id):
            return True
    return False
