"""Typed shapes of the Admin API's objects, as the API sends them.

These are ``TypedDict`` views for type checkers only: the client returns the plain dicts
it receives, so fields the API adds later pass through untouched and results can go to
XCom as they are. Field names follow the official OpenAPI spec.
"""

from __future__ import annotations

from typing import Literal, NotRequired, TypedDict


class Project(TypedDict):
    id: str
    object: Literal["organization.project"]
    name: str | None
    created_at: int
    archived_at: NotRequired[int | None]
    status: NotRequired[str | None]
    external_key_id: NotRequired[str | None]
    residency: NotRequired[str | None]


class ProjectUser(TypedDict):
    object: Literal["organization.project.user"]
    id: str
    name: NotRequired[str | None]
    email: NotRequired[str | None]
    role: str
    added_at: int


class ServiceAccount(TypedDict):
    object: Literal["organization.project.service_account"]
    id: str
    name: str
    role: str
    created_at: int


class ServiceAccountApiKey(TypedDict):
    """A service-account key as returned once, on creation: ``value`` is the secret."""

    object: Literal["organization.project.service_account.api_key"]
    value: str
    name: str
    created_at: int
    id: str


class ServiceAccountCreated(ServiceAccount):
    """A new service account; ``api_key`` holds the one-time key unless none was asked for."""

    api_key: ServiceAccountApiKey | None


class ProjectApiKeyOwner(TypedDict, total=False):
    type: Literal["user", "service_account"]
    user: dict[str, object]
    service_account: dict[str, object]


class ProjectApiKey(TypedDict):
    object: Literal["organization.project.api_key"]
    redacted_value: str
    name: str
    created_at: int
    last_used_at: int | None
    id: str
    owner_project_access: NotRequired[str]
    owner: ProjectApiKeyOwner


class RateLimit(TypedDict):
    object: Literal["project.rate_limit"]
    id: str
    model: str
    max_requests_per_1_minute: int
    max_tokens_per_1_minute: int
    max_images_per_1_minute: NotRequired[int]
    max_audio_megabytes_per_1_minute: NotRequired[int]
    max_requests_per_1_day: NotRequired[int]
    batch_1_day_max_input_tokens: NotRequired[int]


class InviteProject(TypedDict):
    id: str
    role: Literal["member", "owner"]


class Invite(TypedDict):
    object: Literal["organization.invite"]
    id: str
    email: str
    role: str
    status: Literal["accepted", "expired", "pending"]
    created_at: int
    expires_at: NotRequired[int | None]
    accepted_at: NotRequired[int | None]
    projects: list[InviteProject]


class User(TypedDict):
    object: Literal["organization.user"]
    id: str
    name: NotRequired[str | None]
    email: NotRequired[str | None]
    role: NotRequired[str | None]
    added_at: int


class Deleted(TypedDict):
    """Confirmation of a deletion (``organization.project.user.deleted`` and the like)."""

    object: str
    id: str
    deleted: bool


RATE_LIMIT_FIELDS: tuple[str, ...] = (
    "max_requests_per_1_minute",
    "max_tokens_per_1_minute",
    "max_images_per_1_minute",
    "max_audio_megabytes_per_1_minute",
    "max_requests_per_1_day",
    "batch_1_day_max_input_tokens",
)
"""The fields of ``ProjectRateLimitUpdateRequest``: the only ones a rate-limit update takes."""
