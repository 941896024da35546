"""Audit logs: every write the emulator applies becomes one event of the spec's ``AuditLog``.

One table, one recording point:

- :data:`AUDIT_EVENTS` maps every write operation of the Admin API (each ``operationId``
  of :data:`~airflow_provider_openai_projects.client.endpoints.ENDPOINTS` whose retry
  class is ``create``/``set``/``delete``/``action``) to its event type, the ids of the
  resources it touched (what ``resource_ids[]`` filters on) and the event's detail object
  (the spec's ``AuditLog.<type>`` property).
- :class:`WriteAuditor`, an ASGI middleware inside the gateway (so it only sees
  authenticated requests), calls :meth:`AuditOps.record_write` after every 2xx ``POST``
  or ``DELETE`` under ``/v1/organization``. A write that an "after" fault turns into an
  error on the wire was still applied, so it is still recorded. Seeding through the state
  is not an API call and records nothing. What a person does in the dashboard records
  what the API would, with a ``session`` actor: accepting an invite (``invite.accepted``),
  minting a user key (``api_key.created``) and any write of the API made through the
  control API's ``POST /_emulator/dashboard`` (:meth:`AuditOps.record_session_write`).

Events: ``actor`` is the admin key that made the call (``{"type": "api_key", "api_key":
{"id": <tracking id>, "type": "user", "user": {id, email}}}``; never the key value) or the
person's session (``{"type": "session", "session": {"user": {id, email}, "ip_address"}}``),
``effective_at`` the emulated clock (:meth:`~..state.core.StateCore.now`). ``project``: for
an admin key, the Default project whatever the write changed (the spec: "any admin actions
taken via Admin API keys are associated with the default project"); for a session, the
project the action was scoped to (the route's, or the project created), absent for
organization-wide actions. The target is in the details' ``id`` and ``resource_ids``.
``GET /v1/organization/audit_logs`` lists the newest first, pages with ``after``/``before``
(event ids), ``limit`` 1..100, and filters on ``effective_at[gt|gte|lt|lte]``, ``project_ids[]``, ``event_types[]``,
``actor_ids[]`` (key tracking id or user id), ``actor_emails[]``, ``resource_ids[]`` and
``tenant_only`` (tenant-scoped events, such as ``tenant.group.member.added`` for group
members, are listed only with ``tenant_only=true``, which then lists nothing else). An
``event_types[]`` value outside the spec's enum is refused (400 naming ``event_types``).
"""

from __future__ import annotations

import bisect
import hashlib
import json
import re
import secrets
import string
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from fastapi import APIRouter, Request
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from airflow_provider_openai_projects.client.endpoints import ENDPOINTS
from airflow_provider_openai_projects.emulator.errors import ApiError
from airflow_provider_openai_projects.emulator.event_types import is_event_type
from airflow_provider_openai_projects.emulator.pagination import check_limit
from airflow_provider_openai_projects.emulator.state.core import ORGANIZATION_ID, locked
from airflow_provider_openai_projects.emulator.state.organization import OrganizationOps

ORGANIZATION_RESOURCE = "api.organization"
PROJECT_RESOURCE = "api.project"
#: The ``ip_address`` of a dashboard session's actor (a documentation address, RFC 5737).
SESSION_IP_ADDRESS = "192.0.2.10"
#: Event types listed only with ``tenant_only=true`` (and the only ones listed then).
_TENANT_SCOPED_PREFIX = "tenant."
_TENANT_SCOPED = frozenset({"role.bound_to_resource", "role.unbound_from_resource"})


_ID_ALPHABET = string.ascii_letters + string.digits


def new_event_id() -> str:
    """``audit_log-`` and 20 random letters and digits (one system call: seeding 100,000
    events must not spend seconds on ids; an event id is not a secret)."""
    return "audit_log-" + "".join(_ID_ALPHABET[byte % len(_ID_ALPHABET)] for byte in secrets.token_bytes(20))


def is_tenant_scoped(event_type: str) -> bool:
    """Whether an event type is tenant-scoped (see the module docstring)."""
    return event_type.startswith(_TENANT_SCOPED_PREFIX) or event_type in _TENANT_SCOPED


# -- the table --------------------------------------------------------------------------


@dataclass(frozen=True)
class Write:
    """One applied write, as the recorder saw it: route ids, request body, response body."""

    operation_id: str
    path: Mapping[str, str]
    body: Mapping[str, Any]
    response: Mapping[str, Any]

    def project_id(self) -> str | None:
        return self.path.get("project_id")


Ids = Callable[[Write], list[str]]
Details = Callable[[Write, list[str]], dict[str, Any]]


@dataclass(frozen=True)
class AuditRule:
    """How one write operation is recorded: its event type, the ids of the resources it
    touched (the first is the event's ``id`` detail), and its detail object."""

    event_type: str
    resources: Ids
    details: Details = field(default=lambda write, ids: {"id": ids[0]})
    #: The project created (``create-project``) rather than the route's project.
    project_from_response: bool = False


def _path(*names: str) -> Ids:
    return lambda write: [write.path[name] for name in names]


def _response(name: str) -> Ids:
    return lambda write: [str(write.response[name])]


def _body_list(name: str) -> Ids:
    return lambda write: [str(item) for item in write.body.get(name) or []]


def _given(mapping: Mapping[str, Any], **renamed: str) -> dict[str, Any]:
    """``{new name: mapping[old name]}`` for the fields that were given (not ``None``)."""
    return {new: mapping[old] for new, old in renamed.items() if mapping.get(old) is not None}


def _data(**renamed: str) -> Details:
    return lambda write, ids: {"id": ids[0], "data": _given(write.body, **renamed)}


def _changes(**renamed: str) -> Details:
    return lambda write, ids: {"id": ids[0], "changes_requested": _given(write.body, **renamed)}


def _whole_body_changes(write: Write, ids: list[str]) -> dict[str, Any]:
    return {"id": ids[0], "changes_requested": dict(write.body)}


def _role_assignment(principal_type: str, resource_type: str) -> Details:
    """``role.assignment.*``: ids are ``[principal, role or resource]``; the assignment's id
    joins them."""

    def details(write: Write, ids: list[str]) -> dict[str, Any]:
        resource_id = write.project_id() or ORGANIZATION_ID
        return {
            "id": ":".join(ids),
            "principal_id": ids[0],
            "principal_type": principal_type,
            "resource_id": resource_id,
            "resource_type": resource_type,
        }

    return details


def _certificates(write: Write, ids: list[str]) -> dict[str, Any]:
    rendered = write.response.get("data") or []
    names = {c.get("id"): c.get("name") for c in rendered if isinstance(c, Mapping)}
    return {"certificates": [_given({"id": cid, "name": names.get(cid)}, id="id", name="name") for cid in ids]}


def _role_created(write: Write, ids: list[str]) -> dict[str, Any]:
    return {
        "id": ids[0],
        "role_name": write.body.get("role_name"),
        "permissions": list(write.body.get("permissions") or []),
        "resource_type": ORGANIZATION_RESOURCE,
        "resource_id": ORGANIZATION_ID,
    }


def _settings_changed(write: Write, ids: list[str]) -> dict[str, Any]:
    """A setting of the organization or a project changed (data retention, permissions,
    spend alerts and limits): ``{id: org or project id, changes_requested: {}}`` (the
    spec's ``organization.updated``/``project.updated`` carry no field for them)."""
    return {"id": ids[0], "changes_requested": {}}


def _scope(extra: Ids | None = None) -> Ids:
    """The organization, or the route's project; then ``extra`` ids."""
    return lambda write: [write.project_id() or ORGANIZATION_ID, *(extra(write) if extra else [])]


def _setting(extra: Ids | None = None, *, project: bool) -> AuditRule:
    return AuditRule("project.updated" if project else "organization.updated", _scope(extra), _settings_changed)


_WRITE_RETRY_CLASSES = ("create", "set", "delete", "action")

AUDIT_EVENTS: dict[str, AuditRule] = {
    # projects
    "create-project": AuditRule("project.created", _response("id"), _data(name="name", title="name"), True),
    "modify-project": AuditRule("project.updated", _path("project_id"), _changes(title="name")),
    "archive-project": AuditRule("project.archived", _path("project_id")),
    # project users
    "create-project-user": AuditRule("user.added", _response("id"), _data(role="role")),
    "modify-project-user": AuditRule("user.updated", _path("user_id"), _changes(role="role")),
    "delete-project-user": AuditRule("user.deleted", _path("user_id")),
    # service accounts and their keys, project API keys
    "create-project-service-account": AuditRule(
        "service_account.created",
        _response("id"),
        lambda write, ids: {"id": ids[0], "data": _given(write.response, role="role")},
    ),
    "update-project-service-account": AuditRule(
        "service_account.updated", _path("service_account_id"), _changes(role="role")
    ),
    "delete-project-service-account": AuditRule("service_account.deleted", _path("service_account_id")),
    "CreateanAPIkeyforaserviceaccount": AuditRule(
        "api_key.created",
        _response("id"),
        lambda write, ids: {"id": ids[0], "data": {"scopes": list(write.body.get("scopes") or [])}},
    ),
    "delete-project-api-key": AuditRule("api_key.deleted", _path("api_key_id")),
    # rate limits
    "update-project-rate-limits": AuditRule("rate_limit.updated", _path("rate_limit_id"), _whole_body_changes),
    # invites and organization users
    "inviteUser": AuditRule("invite.sent", _response("id"), _data(email="email", role="role")),
    "delete-invite": AuditRule("invite.deleted", _path("invite_id")),
    "modify-user": AuditRule("user.updated", _path("user_id"), _changes(role="role")),
    "delete-user": AuditRule("user.deleted", _path("user_id")),
    # role assignments: users, groups, project groups
    "assign-user-role": AuditRule(
        "role.assignment.created",
        lambda write: [write.path["user_id"], str(write.body["role_id"])],
        _role_assignment("user", ORGANIZATION_RESOURCE),
    ),
    "unassign-user-role": AuditRule(
        "role.assignment.deleted", _path("user_id", "role_id"), _role_assignment("user", ORGANIZATION_RESOURCE)
    ),
    "assign-group-role": AuditRule(
        "role.assignment.created",
        lambda write: [write.path["group_id"], str(write.body["role_id"])],
        _role_assignment("group", ORGANIZATION_RESOURCE),
    ),
    "unassign-group-role": AuditRule(
        "role.assignment.deleted", _path("group_id", "role_id"), _role_assignment("group", ORGANIZATION_RESOURCE)
    ),
    "add-project-group": AuditRule(
        "role.assignment.created",
        lambda write: [str(write.body["group_id"]), write.path["project_id"]],
        _role_assignment("group", PROJECT_RESOURCE),
    ),
    "remove-project-group": AuditRule(
        "role.assignment.deleted", _path("group_id", "project_id"), _role_assignment("group", PROJECT_RESOURCE)
    ),
    # groups and their members
    "create-group": AuditRule("group.created", _response("id"), _data(group_name="name")),
    "update-group": AuditRule("group.updated", _path("group_id"), _changes(group_name="name")),
    "delete-group": AuditRule("group.deleted", _path("group_id")),
    "add-group-user": AuditRule(
        "tenant.group.member.added",
        lambda write: [write.path["group_id"], str(write.body["user_id"])],
        lambda write, ids: {"id": ids[0], "user_id": ids[1]},
    ),
    "remove-group-user": AuditRule(
        "tenant.group.member.removed",
        _path("group_id", "user_id"),
        lambda write, ids: {"id": ids[0], "user_id": ids[1]},
    ),
    # roles
    "create-role": AuditRule("role.created", _response("id"), _role_created),
    "update-role": AuditRule(
        "role.updated", _path("role_id"), _changes(role_name="role_name", description="description")
    ),  # + permissions_added/permissions_removed, noted by the update
    "delete-role": AuditRule("role.deleted", _path("role_id")),
    # admin API keys
    "admin-api-keys-create": AuditRule(
        "api_key.created", _response("id"), lambda write, ids: {"id": ids[0], "data": {"scopes": []}}
    ),
    "admin-api-keys-delete": AuditRule("api_key.deleted", _path("key_id")),
    # certificates (the content only in certificate.deleted, as the spec's payload has it)
    "uploadCertificate": AuditRule(
        "certificate.created",
        _response("id"),
        lambda write, ids: {"id": ids[0], **_given(write.response, name="name")},
    ),
    "modifyCertificate": AuditRule(
        "certificate.updated",
        _path("certificate_id"),
        lambda write, ids: {"id": ids[0], **_given(write.response, name="name")},
    ),
    "deleteCertificate": AuditRule("certificate.deleted", _path("certificate_id")),  # + name, certificate: noted
    "activateOrganizationCertificates": AuditRule(
        "certificates.activated", _body_list("certificate_ids"), _certificates
    ),
    "deactivateOrganizationCertificates": AuditRule(
        "certificates.deactivated", _body_list("certificate_ids"), _certificates
    ),
    "activateProjectCertificates": AuditRule("certificates.activated", _body_list("certificate_ids"), _certificates),
    "deactivateProjectCertificates": AuditRule(
        "certificates.deactivated", _body_list("certificate_ids"), _certificates
    ),
    # settings of the organization and of projects
    "update-organization-data-retention": _setting(project=False),
    "update-project-data-retention": _setting(project=True),
    "update-project-model-permissions": _setting(project=True),
    "delete-project-model-permissions": _setting(project=True),
    "update-project-hosted-tool-permissions": _setting(project=True),
    "create-organization-spend-alert": _setting(_response("id"), project=False),
    "update-organization-spend-alert": _setting(_path("alert_id"), project=False),
    "delete-organization-spend-alert": _setting(_path("alert_id"), project=False),
    "create-project-spend-alert": _setting(_response("id"), project=True),
    "update-project-spend-alert": _setting(_path("alert_id"), project=True),
    "delete-project-spend-alert": _setting(_path("alert_id"), project=True),
    "Updateorganizationspendlimit": _setting(project=False),
    "Deleteorganizationspendlimit": _setting(project=False),
    "Updateprojectspendlimit": _setting(project=True),
    "Deleteprojectspendlimit": _setting(project=True),
}
"""Every write operation (by ``operationId``) -> how it is recorded (module docstring)."""


def write_operation_ids() -> list[str]:
    """The ``operationId`` of every write of :data:`ENDPOINTS` (what must be in the table)."""
    return [row.operation_id for row in ENDPOINTS if row.retry in _WRITE_RETRY_CLASSES]


# -- records ------------------------------------------------------------------------------


@dataclass(frozen=True)
class AuditEvent:
    """One audit-log event; ``resource_ids`` is what ``resource_ids[]`` matches."""

    id: str
    type: str
    effective_at: int
    actor: dict[str, Any] | None
    project: dict[str, str] | None
    details: dict[str, Any]
    resource_ids: tuple[str, ...]

    @property
    def actor_ids(self) -> set[str]:
        """Ids ``actor_ids[]`` matches: the key's tracking id, its user or service account."""
        actor = self.actor or {}
        found = set()
        for holder in (actor.get("api_key") or {}, actor.get("session") or {}):
            for value in (holder.get("id"), (holder.get("user") or {}).get("id")):
                if value:
                    found.add(str(value))
            account = holder.get("service_account") or {}
            if account.get("id"):
                found.add(str(account["id"]))
        return found

    @property
    def actor_email(self) -> str | None:
        actor = self.actor or {}
        for holder in (actor.get("api_key") or {}, actor.get("session") or {}):
            email = (holder.get("user") or {}).get("email")
            if email:
                return str(email)
        return None

    def render(self) -> dict[str, Any]:
        """The spec's ``AuditLog``."""
        body: dict[str, Any] = {"id": self.id, "type": self.type, "effective_at": self.effective_at}
        if self.project is not None:
            body["project"] = dict(self.project)
        body["actor"] = self.actor
        body[self.type] = self.details
        return body


@dataclass(frozen=True)
class AuditQuery:
    """The filters of ``GET /organization/audit_logs`` (``None``: not filtered)."""

    effective_at: Mapping[str, int] = field(default_factory=dict)
    project_ids: Sequence[str] | None = None
    event_types: Sequence[str] | None = None
    actor_ids: Sequence[str] | None = None
    actor_emails: Sequence[str] | None = None
    resource_ids: Sequence[str] | None = None
    tenant_only: bool = False

    def matches(self, event: AuditEvent) -> bool:
        at = event.effective_at
        bounds = self.effective_at
        if ("gt" in bounds and not at > bounds["gt"]) or ("gte" in bounds and not at >= bounds["gte"]):
            return False
        if ("lt" in bounds and not at < bounds["lt"]) or ("lte" in bounds and not at <= bounds["lte"]):
            return False
        if is_tenant_scoped(event.type) != self.tenant_only:
            return False
        checks = (
            (self.project_ids, {event.project["id"]} if event.project else set()),
            (self.event_types, {event.type}),
            (self.actor_ids, event.actor_ids),
            (self.resource_ids, set(event.resource_ids)),
        )
        if any(wanted is not None and not set(wanted) & have for wanted, have in checks):
            return False
        if self.actor_emails is not None:
            emails = {e.lower() for e in self.actor_emails}
            return (event.actor_email or "").lower() in emails
        return True


# -- state --------------------------------------------------------------------------------


class AuditOps(OrganizationOps):
    """The organization's audit log: recording (:meth:`record_write`) and listing.

    ``audit_events`` is append-only, oldest first (the listing's "newest first" is its
    reverse). Beside it, an index kept in step: each event's position (so a cursor is one
    dictionary lookup) and each ``effective_at`` in insertion order (so, while the
    emulated clock has never gone back between two appends, a time filter is two
    bisections). A page then examines only the events from its cursor to its ``limit + 1``-th
    match, whatever the log's size; ``audit_events_examined`` counts them (tests hold the
    listing to that).
    """

    audit_events: list[AuditEvent]
    #: Events the listing has examined against a query since the last reset.
    audit_events_examined: int

    @locked
    def reset(self) -> None:
        super().reset()
        self.audit_events = []
        self.audit_events_examined = 0
        self._audit_positions: dict[str, int] = {}
        self._audit_times: list[int] = []
        self._audit_times_ordered = True

    def _index_audit_events(self) -> None:
        """Bring the index up to ``audit_events`` (appended to directly, too)."""
        for event in self.audit_events[len(self._audit_times) :]:
            times = self._audit_times
            if times and event.effective_at < times[-1]:
                self._audit_times_ordered = False
            self._audit_positions[event.id] = len(times)
            times.append(event.effective_at)

    def admin_key_tracking_id(self, key_value: str) -> str:
        """The tracking id of an admin key (what an event's actor shows; never the value).

        Deterministic for the emulator's seeded admin key; the admin-API-keys family may
        override this to return its key records' ids.
        """
        return "key_" + hashlib.sha256(key_value.encode()).hexdigest()[:16]

    def _key_actor(self, key_value: str) -> dict[str, Any]:
        owners = self._owners()
        user = {"id": owners[0].id, "email": owners[0].email} if owners else {}
        return {
            "type": "api_key",
            "api_key": {"id": self.admin_key_tracking_id(key_value), "type": "user", "user": user},
        }

    def _project_ref(self, project_id: str | None) -> dict[str, str] | None:
        project = self.projects.get(project_id) if project_id else None
        return {"id": project.id, "name": project.name} if project is not None else None

    def _append_event(
        self,
        event_type: str,
        details: dict[str, Any],
        *,
        actor: dict[str, Any] | None,
        project_id: str | None,
        resource_ids: Sequence[str],
        effective_at: int | None = None,
    ) -> AuditEvent:
        event = AuditEvent(
            new_event_id(),
            event_type,
            self.now() if effective_at is None else effective_at,
            actor,
            self._project_ref(project_id),
            details,
            tuple(resource_ids),
        )
        self.audit_events.append(event)
        self._index_audit_events()
        return event

    @locked
    def seed_audit_event(
        self,
        event_type: str,
        details: dict[str, Any],
        *,
        effective_at: int,
        actor: dict[str, Any] | None = None,
        project_id: str | None = None,
        resource_ids: Sequence[str] = (),
    ) -> AuditEvent:
        """Append one event as if recorded at ``effective_at`` (seeding, not an API call:
        benchmarks and tests fill a large log this way without moving the clock)."""
        return self._append_event(
            event_type,
            details,
            actor=actor,
            project_id=project_id,
            resource_ids=resource_ids,
            effective_at=effective_at,
        )

    @locked
    def record_write(
        self,
        operation_id: str,
        path_params: Mapping[str, str],
        body: Mapping[str, Any] | None,
        response: Mapping[str, Any] | None,
        key_value: str,
    ) -> dict[str, Any]:
        """Record the applied write ``operation_id``, made with the admin key ``key_value``,
        as one event; returns the ``AuditLog``.

        The spec: "any admin actions taken via Admin API keys are associated with the
        default project", so the event's ``project`` is the Default project whatever the
        route's project; the target is named by the details' ``id`` and ``resource_ids``.
        ``KeyError`` for an operation without a row in :data:`AUDIT_EVENTS` (every write
        of the spec has one; a test holds the table to that).
        """
        rule = AUDIT_EVENTS[operation_id]
        write = Write(operation_id, dict(path_params), dict(body or {}), dict(response or {}))
        return self._record(rule, write, self._key_actor(key_value), self.default_project_id)

    @locked
    def record_session_write(
        self,
        operation_id: str,
        path_params: Mapping[str, str],
        body: Mapping[str, Any] | None,
        response: Mapping[str, Any] | None,
        user_id: str,
    ) -> dict[str, Any]:
        """Record the applied write ``operation_id`` as made by the person ``user_id`` in the
        dashboard: actor ``session``, ``project`` the project the action was scoped to (the
        route's, or the project created; absent for organization-wide actions)."""
        rule = AUDIT_EVENTS[operation_id]
        write = Write(operation_id, dict(path_params), dict(body or {}), dict(response or {}))
        ids = rule.resources(write)
        project_id = ids[0] if rule.project_from_response else write.project_id()
        return self._record(rule, write, self.session_actor(user_id), project_id)

    def _record(self, rule: AuditRule, write: Write, actor: dict[str, Any], project_id: str | None) -> dict[str, Any]:
        ids = rule.resources(write)
        details = rule.details(write, ids)
        # What only the operation knew (a deleted certificate's name, a role's permissions
        # before the update), noted by it under (event type, first resource id).
        for name, value in self.audit_notes.pop((rule.event_type, ids[0]) if ids else ("", ""), {}).items():
            if isinstance(value, dict) and isinstance(details.get(name), dict):
                details[name] = {**details[name], **value}
            else:
                details[name] = value
        event = self._append_event(rule.event_type, details, actor=actor, project_id=project_id, resource_ids=ids)
        return event.render()

    @locked
    def check_dashboard_person(self, user_id: str, project_id: str | None) -> None:
        """A person may change this in the dashboard: an organization owner, or an owner of
        ``project_id`` (404 for an unknown user, 403 otherwise)."""
        user = self._user(user_id)
        if user.role == "owner":
            return
        project = self.projects.get(project_id) if project_id else None
        membership = project.users.get(user.id) if project is not None else None
        if membership is None or membership.role != "owner":
            where = f"project '{project_id}'" if project_id else "the organization"
            raise ApiError(403, f"User '{user_id}' is not an owner of {where}.", param="user_id")

    def session_actor(self, user_id: str) -> dict[str, Any]:
        """The spec's ``AuditLogActor`` of a person signed in to the dashboard (404 for an
        unknown user)."""
        user = self._user(user_id)
        return {
            "type": "session",
            "session": {"user": {"id": user.id, "email": user.email}, "ip_address": SESSION_IP_ADDRESS},
        }

    @locked
    def accept_invite(self, invite_id: str) -> dict[str, Any]:
        """As :meth:`OrganizationOps.accept_invite`, recording ``invite.accepted`` (actor:
        the invitee's session; no project: joining the organization is not scoped to one)."""
        user = super().accept_invite(invite_id)
        self._append_event(
            "invite.accepted",
            {"id": invite_id},
            actor=self.session_actor(user["id"]),
            project_id=None,
            resource_ids=[invite_id, user["id"]],
        )
        return user

    @locked
    def create_user_api_key(self, project_id: str, user_id: str, name: str | None = None) -> dict[str, Any]:
        """As :meth:`CredentialOps.create_user_api_key`, recording ``api_key.created``
        (actor: the member's session; project: the key's)."""
        key = super().create_user_api_key(project_id, user_id, name)  # type: ignore[misc]
        self._append_event(
            "api_key.created",
            {"id": key["id"], "data": {"scopes": []}},
            actor=self.session_actor(user_id),
            project_id=project_id,
            resource_ids=[key["id"]],
        )
        return dict(key)

    @locked
    def list_audit_logs(
        self, query: AuditQuery, limit: int = 20, after: str | None = None, before: str | None = None
    ) -> dict[str, Any]:
        """Matching events, newest first, one page (``after``/``before``: event ids).

        ``after`` lists the matches older than that event (the ``limit`` newest of them),
        ``before`` alone the matches newer than it (the ``limit`` oldest of them, still
        listed newest first); both, the matches between them. Costs O(page): the cursors
        and time bounds narrow the positions, then the walk stops at ``limit + 1`` matches.
        """
        check_limit(limit)
        unknown = [t for t in query.event_types or () if not is_event_type(t)]
        if unknown:
            raise ApiError(
                400, f"Invalid 'event_types': '{unknown[0]}' is not an audit log event type.", param="event_types"
            )
        if query.tenant_only and query.event_types:
            plain = [t for t in query.event_types if not is_tenant_scoped(t)]
            if plain:
                raise ApiError(
                    400, f"With tenant_only, every event type must be tenant-scoped: {plain[0]}.", param="event_types"
                )
        self._index_audit_events()
        for cursor, param in ((after, "after"), (before, "before")):
            if cursor is not None and cursor not in self._audit_positions:
                raise ApiError(400, f"Invalid '{param}': no audit log event with id '{cursor}'.", param=param)
        # Oldest-first positions [low, high): older than ``after``, newer than ``before``.
        low = self._audit_positions[before] + 1 if before is not None else 0
        high = self._audit_positions[after] if after is not None else len(self.audit_events)
        low, high = self._within_times(query.effective_at, low, high)
        oldest_first_walk = before is not None and after is None
        walk = range(low, high) if oldest_first_walk else range(high - 1, low - 1, -1)
        matching: list[AuditEvent] = []
        for position in walk:
            event = self.audit_events[position]
            self.audit_events_examined += 1
            if query.matches(event):
                matching.append(event)
                if len(matching) > limit:
                    break
        page = matching[:limit]
        if oldest_first_walk:
            page.reverse()
        data = [event.render() for event in page]
        return {
            "object": "list",
            "data": data,
            "first_id": data[0]["id"] if data else None,
            "last_id": data[-1]["id"] if data else None,
            "has_more": len(matching) > limit,
        }

    def _within_times(self, bounds: Mapping[str, int], low: int, high: int) -> tuple[int, int]:
        """Narrow oldest-first positions ``[low, high)`` to ``effective_at`` ``bounds`` by
        bisection, when the log is in time order (else unchanged: the walk filters)."""
        if not self._audit_times_ordered:
            return low, high
        times = self._audit_times
        if "gt" in bounds:
            low = max(low, bisect.bisect_right(times, bounds["gt"]))
        if "gte" in bounds:
            low = max(low, bisect.bisect_left(times, bounds["gte"]))
        if "lt" in bounds:
            high = min(high, bisect.bisect_left(times, bounds["lt"]))
        if "lte" in bounds:
            high = min(high, bisect.bisect_right(times, bounds["lte"]))
        return low, high

    @locked
    def snapshot(self) -> dict[str, Any]:
        """As :meth:`OrganizationOps.snapshot`, plus ``audit_logs`` (oldest first)."""
        return {**super().snapshot(), "audit_logs": [event.render() for event in self.audit_events]}


# -- the recording point ------------------------------------------------------------------

_API_PREFIX = "/v1"


def _write_templates() -> list[tuple[str, str, list[str], re.Pattern[str]]]:
    """(method, operationId, path param names, regex) of every write, literal routes
    first (``/certificates/activate`` before ``/certificates/{certificate_id}``)."""
    compiled: list[tuple[str, str, list[str], re.Pattern[str]]] = []
    for row in ENDPOINTS:
        if row.http_method == "GET":
            continue
        parts = re.split(r"(\{[a-z_]+\})", row.route)
        regex = "".join("([^/]+)" if part.startswith("{") else re.escape(part) for part in parts)
        compiled.append((row.http_method, row.operation_id, list(row.path_params), re.compile(_API_PREFIX + regex)))
    compiled.sort(key=lambda entry: len(entry[2]))
    return compiled


_WRITES = _write_templates()


def match_write(method: str, path: str) -> tuple[str, dict[str, str]] | None:
    """The ``operationId`` and path ids of the write ``method path``, if it is one."""
    for write_method, operation_id, names, regex in _WRITES:
        if write_method == method:
            found = regex.fullmatch(path)
            if found:
                return operation_id, dict(zip(names, found.groups(), strict=True))
    return None


def _json_object(raw: bytes) -> dict[str, Any] | None:
    try:
        value = json.loads(raw) if raw else None
    except ValueError:
        return None
    return value if isinstance(value, dict) else None


def _bearer(scope: Scope) -> str:
    for name, value in scope.get("headers", ()):
        if name == b"authorization":
            return str(value.decode("latin-1")).partition(" ")[2].strip()
    return ""


class WriteAuditor:
    """ASGI middleware: after a 2xx write of the Admin API, :meth:`AuditOps.record_write`.

    Placed inside the gateway (added to the app before it), so it sees only requests that
    passed authentication, throttling and "before" faults. The event is recorded before
    the response's last chunk is passed on; nothing on the wire changes.
    """

    def __init__(self, app: ASGIApp, state: AuditOps) -> None:
        self.app = app
        self.state = state

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        matched = match_write(scope.get("method", ""), scope.get("path", "")) if scope["type"] == "http" else None
        if matched is None:
            await self.app(scope, receive, send)
            return
        chunks: list[bytes] = []

        async def reading() -> Message:
            message = await receive()
            if message["type"] == "http.request":
                chunks.append(message.get("body", b""))
            return message

        held: list[Message] = []
        response: list[bytes] = []

        async def recording(message: Message) -> None:
            """Hold the response until its last chunk; record a 2xx write, then send it
            (so a client that sees the response also sees the event)."""
            held.append(message)
            if message["type"] == "http.response.body":
                response.append(message.get("body", b""))
                if message.get("more_body", False):
                    return
                status = int(held[0]["status"]) if held[0]["type"] == "http.response.start" else 0
                if 200 <= status < 300:
                    operation_id, path_params = matched
                    self.state.record_write(
                        operation_id,
                        path_params,
                        _json_object(b"".join(chunks)),
                        _json_object(b"".join(response)),
                        _bearer(scope),
                    )
            elif message["type"] == "http.response.start":
                return
            while held:
                await send(held.pop(0))

        await self.app(scope, reading, recording)


# -- the route ----------------------------------------------------------------------------

_EFFECTIVE_AT = re.compile(r"^effective_at\[(gt|gte|lt|lte)\]$")


def _int_param(raw: str, param: str) -> int:
    try:
        return int(raw)
    except ValueError:
        raise ApiError(400, f"Invalid '{param}': expected an integer, got '{raw}'.", param=param) from None


def _array(request: Request, name: str) -> list[str] | None:
    """An array query parameter, bracketed (``name[]=a``, the spec's and the SDK's form) or not."""
    values = [*request.query_params.getlist(name + "[]"), *request.query_params.getlist(name)]
    return values or None


def _flag(raw: str | None, param: str) -> bool:
    if raw is None or raw == "false":
        return False
    if raw == "true":
        return True
    raise ApiError(400, f"Invalid '{param}': expected true or false, got '{raw}'.", param=param)


def audit_log_routes(state: AuditOps) -> APIRouter:
    """``GET /v1/organization/audit_logs``."""
    router = APIRouter(prefix="/v1")

    @router.get("/organization/audit_logs")
    async def list_audit_logs(request: Request) -> JSONResponse:
        bounds = {}
        for name, raw in request.query_params.multi_items():
            found = _EFFECTIVE_AT.match(name)
            if found:
                bounds[found.group(1)] = _int_param(raw, name)
        query = AuditQuery(
            effective_at=bounds,
            project_ids=_array(request, "project_ids"),
            event_types=_array(request, "event_types"),
            actor_ids=_array(request, "actor_ids"),
            actor_emails=_array(request, "actor_emails"),
            resource_ids=_array(request, "resource_ids"),
            tenant_only=_flag(request.query_params.get("tenant_only"), "tenant_only"),
        )
        limit = _int_param(request.query_params.get("limit", "20"), "limit")
        after, before = request.query_params.get("after"), request.query_params.get("before")
        return JSONResponse(state.list_audit_logs(query, limit, after, before))

    return router
