"""Request bodies of the emulated endpoints, as strict pydantic models.

They check shape only (JSON types, required fields, no unknown fields: the real API
answers "Unrecognized request argument supplied"); meaning (roles, emails, names,
existence) is checked by :class:`~.state.EmulatorState`. Field names and nullability
follow the spec's request schemas of the same names.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)


class ProjectCreateRequest(_Body):
    name: str
    external_key_id: str | None = None
    residency: str | None = None


class ProjectUpdateRequest(_Body):
    name: str | None = None
    external_key_id: str | None = None


class ProjectUserCreateRequest(_Body):
    role: str
    user_id: str | None = None
    email: str | None = None


class ProjectUserUpdateRequest(_Body):
    role: str | None = None


class ProjectServiceAccountCreateRequest(_Body):
    name: str
    create_service_account_only: bool | None = None


class UpdateProjectServiceAccountBody(_Body):
    name: str | None = None
    role: str | None = None


class CreateProjectServiceAccountApiKeyBody(_Body):
    name: str | None = None
    scopes: list[str] | None = None


class ProjectRateLimitUpdateRequest(_Body):
    max_requests_per_1_minute: int | None = None
    max_tokens_per_1_minute: int | None = None
    max_images_per_1_minute: int | None = None
    max_audio_megabytes_per_1_minute: int | None = None
    max_requests_per_1_day: int | None = None
    batch_1_day_max_input_tokens: int | None = None


class InviteProject(_Body):
    id: str
    role: str


class InviteRequest(_Body):
    email: str
    role: str
    projects: list[InviteProject] | None = None


class UserRoleUpdateRequest(_Body):
    """Every field optional; at least one given (see ``EmulatorState.update_user_fields``)."""

    role: str | None = None
    role_id: str | None = None
    technical_level: str | None = None
    developer_persona: str | None = None


# -- control API -------------------------------------------------------------------------


class ControlUserRequest(_Body):
    email: str
    name: str | None = None
    role: str = "reader"


class ControlUserKeyRequest(_Body):
    user_id: str
    name: str | None = None


class ControlDashboardRequest(_Body):
    """A write of the Admin API made by a person in the dashboard."""

    user_id: str
    method: Literal["POST", "DELETE"]
    path: str
    body: dict[str, object] | None = None


class ControlThrottleRequest(_Body):
    rpm: float | None
    burst: int | None = None
    scope: Literal["endpoint", "global"] = "endpoint"
    retry_after: bool = True
    retry_after_ms: bool = False


class ControlFaultRequest(_Body):
    """The fields of :class:`~.faults.FaultRule`."""

    method: str = "*"
    path: str = "*"
    times: int | None = 1
    status: int | None = None
    drop: bool = False
    when: Literal["before", "after"] = "before"
    latency: float = 0.0
    retry_after: float | None = None
    retry_after_ms: int | None = None
    retry_after_date: bool = False
