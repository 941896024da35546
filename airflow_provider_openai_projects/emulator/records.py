"""The emulated organization's objects and their API renderings.

Plain mutable dataclasses, owned and mutated only by :class:`~.state.EmulatorState`
(under its lock). ``render`` methods return exactly the spec's response objects; objects
whose rendering needs other objects (project API keys need their owner) are rendered by
the state.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from .ids import redact_key
from .model_catalog import RATE_LIMIT_FIELDS
from .pagination import OrderedStore

OwnerType = Literal["user", "service_account"]


@dataclass
class OrgUser:
    """A member of the organization (role ``owner`` or ``reader``)."""

    id: str
    email: str
    name: str
    role: str
    added_at: int
    #: Metadata the modify-user request sets; rendered once set.
    technical_level: str | None = None
    developer_persona: str | None = None

    def render(self) -> dict[str, Any]:
        """The spec's ``User``."""
        rendered = {
            "object": "organization.user",
            "id": self.id,
            "name": self.name,
            "email": self.email,
            "role": self.role,
            "added_at": self.added_at,
        }
        for name in ("technical_level", "developer_persona"):
            if getattr(self, name) is not None:
                rendered[name] = getattr(self, name)
        return rendered


@dataclass
class Membership:
    """An organization user's membership of one project (role ``owner`` or ``member``)."""

    user_id: str
    role: str
    added_at: int

    def render(self, user: OrgUser) -> dict[str, Any]:
        """The spec's ``ProjectUser``."""
        return {
            "object": "organization.project.user",
            "id": user.id,
            "name": user.name,
            "email": user.email,
            "role": self.role,
            "added_at": self.added_at,
        }


@dataclass
class ServiceAccount:
    """A project's service account (role ``member``, ``owner``, or ``none`` without access)."""

    id: str
    name: str
    role: str
    created_at: int

    def render(self) -> dict[str, Any]:
        """The spec's ``ProjectServiceAccount``."""
        return {
            "object": "organization.project.service_account",
            "id": self.id,
            "name": self.name,
            "role": self.role,
            "created_at": self.created_at,
        }


@dataclass
class ApiKey:
    """A project API key, owned by a user (``sk-proj-``) or a service account (``sk-svcacct-``).

    ``value`` is the secret: it is returned once, by the call that mints the key, and is
    otherwise only ever shown as ``redacted_value``.
    """

    id: str
    value: str = field(repr=False)
    name: str
    created_at: int
    owner_type: OwnerType
    owner_id: str
    scopes: tuple[str, ...] = ()
    last_used_at: int | None = None

    @property
    def redacted_value(self) -> str:
        return redact_key(self.value)

    def render_created(self) -> dict[str, Any]:
        """The spec's ``ServiceAccountApiKeyBody``: the one response that carries ``value``."""
        return {
            "object": "organization.project.service_account.api_key",
            "value": self.value,
            "name": self.name,
            "created_at": self.created_at,
            "id": self.id,
        }


@dataclass
class RateLimit:
    """A project's limits for one model; ``limits`` holds only the fields the model has."""

    model: str
    limits: dict[str, int]

    @property
    def id(self) -> str:
        return f"rl-{self.model}"

    def render(self) -> dict[str, Any]:
        """The spec's ``ProjectRateLimit``."""
        ordered = {name: self.limits[name] for name in RATE_LIMIT_FIELDS if name in self.limits}
        return {"object": "project.rate_limit", "id": self.id, "model": self.model, **ordered}


@dataclass
class Project:
    """A project and everything that lives in it."""

    id: str
    name: str
    created_at: int
    external_key_id: str | None = None
    residency: str | None = None
    archived_at: int | None = None
    users: OrderedStore[Membership] = field(default_factory=OrderedStore)
    service_accounts: OrderedStore[ServiceAccount] = field(default_factory=OrderedStore)
    api_keys: OrderedStore[ApiKey] = field(default_factory=OrderedStore)
    rate_limits: OrderedStore[RateLimit] = field(default_factory=OrderedStore)

    @property
    def archived(self) -> bool:
        return self.archived_at is not None

    def render(self) -> dict[str, Any]:
        """The spec's ``Project`` (``residency`` only when set: the spec makes it non-nullable)."""
        body: dict[str, Any] = {
            "id": self.id,
            "object": "organization.project",
            "name": self.name,
            "created_at": self.created_at,
            "archived_at": self.archived_at,
            "status": "archived" if self.archived else "active",
            "external_key_id": self.external_key_id,
        }
        if self.residency is not None:
            body["residency"] = self.residency
        return body


@dataclass
class Invite:
    """An invitation to join the organization, optionally with project memberships."""

    id: str
    email: str
    role: str
    created_at: int
    expires_at: int
    projects: list[dict[str, str]]
    accepted_at: int | None = None

    def status(self, now: int) -> str:
        """``accepted``, ``expired`` (``now`` at or past ``expires_at``) or ``pending``."""
        if self.accepted_at is not None:
            return "accepted"
        return "expired" if now >= self.expires_at else "pending"

    def render(self, now: int) -> dict[str, Any]:
        """The spec's ``Invite``."""
        return {
            "object": "organization.invite",
            "id": self.id,
            "email": self.email,
            "role": self.role,
            "status": self.status(now),
            "created_at": self.created_at,
            "expires_at": self.expires_at,
            "accepted_at": self.accepted_at,
            "projects": [dict(grant) for grant in self.projects],
        }


def deleted(object_type: str, object_id: str) -> dict[str, Any]:
    """The spec's ``*DeleteResponse`` bodies: ``{"object": "<type>.deleted", "id", "deleted": true}``."""
    return {"object": f"{object_type}.deleted", "id": object_id, "deleted": True}
