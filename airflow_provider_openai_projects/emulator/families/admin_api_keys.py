"""Admin API keys (``/organization/admin_api_keys``): records, operations, routes.

DESIGN.md fact 17: ``{name, expires_in_seconds?}`` (at most a year); the value is in the
create response only; no rotate endpoint. The emulator's own admin key is one of them
(seeded on reset, listed redacted); a created key authenticates Admin API calls at once,
and a deleted or expired one is refused (401) from then on, the emulator's own included.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict
from starlette.responses import JSONResponse

from airflow_provider_openai_projects.emulator.errors import ApiError, not_found
from airflow_provider_openai_projects.emulator.families._listing import chained as _next
from airflow_provider_openai_projects.emulator.families._listing import check_order, ordered_page, render_page
from airflow_provider_openai_projects.emulator.ids import new_key_value, random_id, redact_key
from airflow_provider_openai_projects.emulator.pagination import OrderedStore
from airflow_provider_openai_projects.emulator.state.core import KeyKind, StateCore, check_name, locked

#: The spec's bound of ``expires_in_seconds`` (a year).
MAX_EXPIRES_IN_SECONDS = 31_536_000
SEED_ADMIN_KEY_NAME = "Emulator admin key"


@dataclass
class AdminKey:
    """One admin API key; ``owner`` is the spec's owner object, captured at creation."""

    id: str
    name: str | None
    value: str
    created_at: int
    expires_at: int | None
    owner: dict[str, Any]
    last_used_at: int | None = None

    def render(self) -> dict[str, Any]:
        """The spec's ``AdminApiKey`` (never the value)."""
        return {
            "object": "organization.admin_api_key",
            "id": self.id,
            "name": self.name,
            "redacted_value": redact_key(self.value),
            "created_at": self.created_at,
            "expires_at": self.expires_at,
            "last_used_at": self.last_used_at,
            "owner": dict(self.owner),
        }


class AdminApiKeyOps(StateCore):
    """Admin API keys, and authentication by any live one of them."""

    admin_api_keys: OrderedStore[AdminKey]

    @locked
    def reset(self) -> None:
        super().reset()
        self.admin_api_keys = OrderedStore()
        self._admin_key_ids: dict[str, str] = {}  # value -> key id
        self._revoked_admin_keys: set[str] = set()
        self._add_admin_key(SEED_ADMIN_KEY_NAME, self.admin_key, None)

    def _add_admin_key(self, name: str | None, value: str, expires_at: int | None) -> AdminKey:
        owner = next((u for u in self.users if u.role == "owner"), None)
        owner_object: dict[str, Any] = {"type": "user", "object": "organization.user", "role": "owner"}
        if owner is not None:
            owner_object.update(id=owner.id, name=owner.name, created_at=owner.added_at)
        key = AdminKey(random_id("key_", 16), name, value, self.now(), expires_at, owner_object)
        self.admin_api_keys.add(key.id, key)
        self._admin_key_ids[value] = key.id
        return key

    def _admin_api_key(self, key_id: str) -> AdminKey:
        key = self.admin_api_keys.get(key_id)
        if key is None:
            raise not_found("admin API key", key_id, "key_id")
        return key

    def admin_key_tracking_id(self, key_value: str) -> str:
        """The id of the admin key record with this value: what an audit event's actor
        shows (never the value); a key not (or no longer) listed falls back to the
        audit family's derived id."""
        key_id = self._admin_key_ids.get(key_value)
        return key_id if key_id is not None else _next(super()).admin_key_tracking_id(key_value)

    @locked
    def classify_key(self, value: str) -> KeyKind | None:
        """A live admin key (the emulator's own or a created one) is ``admin`` and its
        ``last_used_at`` is set; a deleted or expired one is no key at all."""
        key_id = self._admin_key_ids.get(value)
        if key_id is not None:
            key = self._admin_api_key(key_id)
            if key.expires_at is not None and self.now() >= key.expires_at:
                return None
            key.last_used_at = self.now()
            return "admin"
        if value in self._revoked_admin_keys:
            return None  # deleted through the API (the emulator's own key included)
        kind: KeyKind | None = _next(super()).classify_key(value)
        return kind

    @locked
    def list_admin_api_keys(self, limit: int = 20, after: str | None = None, order: str = "asc") -> dict[str, Any]:
        page = ordered_page(self.admin_api_keys, limit, after, check_order(order))
        return render_page(page, AdminKey.render)

    @locked
    def create_admin_api_key(self, name: str, expires_in_seconds: int | None = None) -> dict[str, Any]:
        """A new ``sk-admin-`` key; its ``value`` is in this response only."""
        check_name(name)
        if expires_in_seconds is not None and not 1 <= expires_in_seconds <= MAX_EXPIRES_IN_SECONDS:
            raise ApiError(
                400,
                f"Invalid 'expires_in_seconds': must be between 1 and {MAX_EXPIRES_IN_SECONDS} (a year), "
                f"got {expires_in_seconds}.",
                param="expires_in_seconds",
            )
        expires_at = None if expires_in_seconds is None else self.now() + expires_in_seconds
        key = self._add_admin_key(name, new_key_value("sk-admin-"), expires_at)
        return {**key.render(), "value": key.value}

    @locked
    def get_admin_api_key(self, key_id: str) -> dict[str, Any]:
        return self._admin_api_key(key_id).render()

    @locked
    def delete_admin_api_key(self, key_id: str) -> dict[str, Any]:
        """Delete the key; it stops authenticating at once (the emulator's own key too)."""
        key = self._admin_api_key(key_id)
        self.admin_api_keys.remove(key_id)
        del self._admin_key_ids[key.value]
        self._revoked_admin_keys.add(key.value)
        return {"object": "organization.admin_api_key.deleted", "id": key_id, "deleted": True}

    @locked
    def snapshot(self) -> dict[str, Any]:
        """The keys, redacted, without ``last_used_at``: every Admin API call moves it, and
        a snapshot taken around a refused or read-only call must compare equal."""
        keys = [{k: v for k, v in key.render().items() if k != "last_used_at"} for key in self.admin_api_keys]
        return {**_next(super()).snapshot(), "admin_api_keys": keys}


class AdminApiKeyCreateRequest(BaseModel):
    """The spec's ``admin-api-keys-create`` request body."""

    model_config = ConfigDict(extra="forbid", strict=True)

    name: str
    expires_in_seconds: int | None = None


def routes(state: AdminApiKeyOps) -> APIRouter:
    router = APIRouter(prefix="/v1")

    @router.get("/organization/admin_api_keys")
    async def list_keys(limit: int = 20, after: str | None = None, order: str = "asc") -> JSONResponse:
        return JSONResponse(state.list_admin_api_keys(limit, after, order))

    @router.post("/organization/admin_api_keys")
    async def create_key(body: AdminApiKeyCreateRequest) -> JSONResponse:
        return JSONResponse(state.create_admin_api_key(body.name, body.expires_in_seconds))

    @router.get("/organization/admin_api_keys/{key_id}")
    async def get_key(key_id: str) -> JSONResponse:
        return JSONResponse(state.get_admin_api_key(key_id))

    @router.delete("/organization/admin_api_keys/{key_id}")
    async def delete_key(key_id: str) -> JSONResponse:
        return JSONResponse(state.delete_admin_api_key(key_id))

    return router
