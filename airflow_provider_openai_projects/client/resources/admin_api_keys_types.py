"""Typed shapes of admin API keys (the spec's ``AdminApiKey`` and its create response)."""

from __future__ import annotations

from typing import Literal, NotRequired, TypedDict


class AdminApiKeyOwner(TypedDict):
    type: NotRequired[str]
    object: NotRequired[str]
    id: NotRequired[str]
    name: NotRequired[str]
    created_at: NotRequired[int]
    role: NotRequired[str]


class AdminApiKey(TypedDict):
    object: Literal["organization.admin_api_key"]
    id: str
    name: NotRequired[str | None]
    redacted_value: str
    created_at: int
    expires_at: int | None
    last_used_at: NotRequired[int | None]
    owner: AdminApiKeyOwner


class CreatedAdminApiKey(AdminApiKey):
    """``value`` is the secret, in this response only (the hook masks it)."""

    value: str


class AdminApiKeyDeleted(TypedDict):
    object: Literal["organization.admin_api_key.deleted"]
    id: str
    deleted: bool
