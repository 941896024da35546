"""The state's core: the organization's data, seeding, lookups, constructors, key helpers.

Operations live in the sibling modules, one resource family each, as subclasses of
:class:`StateCore`; :class:`~.EmulatorState` combines them. Every public operation is
decorated with :func:`locked` and checks everything before its first mutation.
"""

from __future__ import annotations

import functools
import re
import threading
import time
from collections.abc import Callable, Sequence
from typing import Any, Concatenate, Literal, ParamSpec, TypeVar

from airflow_provider_openai_projects.emulator.errors import ApiError, not_found
from airflow_provider_openai_projects.emulator.ids import new_key_value, random_id
from airflow_provider_openai_projects.emulator.model_catalog import DEFAULT_MODELS, ModelSpec
from airflow_provider_openai_projects.emulator.pagination import OrderedStore
from airflow_provider_openai_projects.emulator.records import (
    ApiKey,
    Invite,
    Membership,
    OrgUser,
    OwnerType,
    Project,
    RateLimit,
    ServiceAccount,
)

DEFAULT_ADMIN_KEY = "sk-admin-emulator-local-only-0123456789abcdef"
SEED_OWNER_EMAIL = "owner@example.com"
DEFAULT_PROJECT_NAME = "Default project"
#: The emulated organization's id (event details of organization-wide settings name it).
ORGANIZATION_ID = "org-emulator"
INVITE_TTL_SECONDS = 7 * 24 * 3600

ORG_ROLES = ("owner", "reader")
PROJECT_ROLES = ("owner", "member")
SERVICE_ACCOUNT_ROLES = ("owner", "member")
OWNER_PROJECT_ACCESS = ("active", "inactive", "any")
#: The spec's ``PublicProjectResidency``.
RESIDENCIES = (
    "GLOBAL",
    "US_STORAGE_PROCESSING",
    "EU_STORAGE_PROCESSING",
    "JP_STORAGE",
    "KR_STORAGE",
    "CA_STORAGE",
    "SG_STORAGE",
    "IN_STORAGE",
    "AU_STORAGE",
    "GB_STORAGE",
    "AE_STORAGE",
    "AE_STORAGE_PROCESSING",
)

KeyKind = Literal["admin", "project", "service_account"]

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s.]+$")
_S = TypeVar("_S", bound="StateCore")
_P = ParamSpec("_P")
_R = TypeVar("_R")


def locked(method: Callable[Concatenate[_S, _P], _R]) -> Callable[Concatenate[_S, _P], _R]:
    """Run the method under the state's lock."""

    @functools.wraps(method)
    def wrapper(self: _S, /, *args: _P.args, **kwargs: _P.kwargs) -> _R:
        with self._lock:
            return method(self, *args, **kwargs)

    return wrapper


def check_choice(value: str, allowed: Sequence[str], param: str) -> None:
    if value not in allowed:
        choices = ", ".join(f"'{a}'" for a in allowed)
        raise ApiError(400, f"Invalid '{param}': '{value}'. Must be one of {choices}.", param=param)


def check_name(name: str, param: str = "name") -> None:
    if not name.strip():
        raise ApiError(400, f"Invalid '{param}': must be a non-empty string.", param=param)


def check_email(email: str, param: str = "email") -> None:
    if not _EMAIL.match(email):
        raise ApiError(400, f"Invalid '{param}': '{email}' is not a valid email address.", param=param)


class StateCore:
    """The organization's data, its lookups and the helpers every operation shares.

    ``clock`` returns the current time in seconds (default :func:`time.time`);
    :meth:`advance_clock` moves the emulated time forward (to expire invites, say),
    :meth:`set_clock` sets it to a moment.
    """

    def __init__(
        self,
        admin_key: str = DEFAULT_ADMIN_KEY,
        models: Sequence[ModelSpec] | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.admin_key = admin_key
        self.models: tuple[ModelSpec, ...] = tuple(DEFAULT_MODELS if models is None else models)
        self._clock = clock
        self._lock = threading.RLock()
        self.generation = 0
        self.reset()

    # -- lifecycle -------------------------------------------------------------------------

    @locked
    def reset(self) -> None:
        """Forget everything and seed the organization owner and the default project.

        ``generation`` counts resets, so a request delayed across one can be abandoned.
        """
        self.generation += 1
        self._clock_offset = 0.0
        self.users: OrderedStore[OrgUser] = OrderedStore()
        self.projects: OrderedStore[Project] = OrderedStore()
        self.invites: OrderedStore[Invite] = OrderedStore()
        self._keys: dict[str, tuple[str, str]] = {}  # key value -> (project id, key id)
        #: (event type, resource id) -> details only the operation knew (what a delete
        #: removed, what an update replaced), for the audit event recorded after it.
        self.audit_notes: dict[tuple[str, str], dict[str, Any]] = {}
        owner = self._new_user(SEED_OWNER_EMAIL, "Organization Owner", "owner")
        default = self._new_project(DEFAULT_PROJECT_NAME, None, None)
        default.users.add(owner.id, Membership(owner.id, "owner", self.now()))
        self.default_project_id = default.id

    def now(self) -> int:
        """The emulated time, in unix seconds."""
        return int(self._clock() + self._clock_offset)

    @locked
    def advance_clock(self, seconds: float) -> None:
        """Move the emulated time forward by ``seconds``."""
        self._clock_offset += seconds

    @locked
    def set_clock(self, moment: float) -> None:
        """Set the emulated time to ``moment`` (unix seconds): :meth:`now` returns
        ``int(moment)`` until a second of real time has passed, then runs on from it.

        Exact where ``advance_clock(moment - now())`` is not: :meth:`now` drops the fraction
        of the current second, so that idiom lands up to a second late, and an event meant
        for ``moment`` could be recorded at ``moment + 1``."""
        self._clock_offset = moment - self._clock()

    # -- lookups ---------------------------------------------------------------------------

    def _project(self, project_id: str) -> Project:
        project = self.projects.get(project_id)
        if project is None:
            raise not_found("project", project_id, "project_id")
        return project

    def _active_project(self, project_id: str) -> Project:
        return self._ensure_active(self._project(project_id))

    @staticmethod
    def _ensure_active(project: Project) -> Project:
        if project.archived:
            raise ApiError(
                400,
                f"Project '{project.id}' is archived; archived projects cannot be used or updated.",
                param="project_id",
            )
        return project

    def _user(self, user_id: str) -> OrgUser:
        user = self.users.get(user_id)
        if user is None:
            raise not_found("user", user_id, "user_id")
        return user

    def _user_by_email(self, email: str) -> OrgUser | None:
        wanted = email.lower()
        return next((u for u in self.users if u.email.lower() == wanted), None)

    def _membership(self, project: Project, user_id: str) -> Membership:
        membership = project.users.get(user_id)
        if membership is None:
            raise ApiError(404, f"User '{user_id}' is not a member of project '{project.id}'.", param="user_id")
        return membership

    def _service_account(self, project: Project, service_account_id: str) -> ServiceAccount:
        account = project.service_accounts.get(service_account_id)
        if account is None:
            raise not_found("service account", service_account_id, "service_account_id")
        return account

    def _owners(self) -> list[OrgUser]:
        return [u for u in self.users if u.role == "owner"]

    # -- constructors ----------------------------------------------------------------------

    def _new_user(self, email: str, name: str | None, role: str) -> OrgUser:
        user = OrgUser(random_id("user-"), email, name or email.split("@")[0], role, self.now())
        self.users.add(user.id, user)
        return user

    def _new_project(self, name: str, external_key_id: str | None, residency: str | None) -> Project:
        project = Project(random_id("proj_"), name, self.now(), external_key_id, residency)
        for model in self.models:
            limit = RateLimit(model.id, dict(model.limits))
            project.rate_limits.add(limit.id, limit)
        self.projects.add(project.id, project)
        return project

    def _mint_key(self, project: Project, owner_type: OwnerType, owner_id: str, name: str, prefix: str) -> ApiKey:
        key = ApiKey(random_id("key_", 16), new_key_value(prefix), name, self.now(), owner_type, owner_id)
        project.api_keys.add(key.id, key)
        self._keys[key.value] = (project.id, key.id)
        return key

    def _drop_key(self, project: Project, key: ApiKey) -> None:
        project.api_keys.remove(key.id)
        del self._keys[key.value]

    # -- project API keys ------------------------------------------------------------------

    def _key_access(self, project: Project, key: ApiKey) -> str:
        """``active`` while the owner is a project member (user) or has a role (service account)."""
        if key.owner_type == "user":
            return "active" if key.owner_id in project.users else "inactive"
        account = project.service_accounts.get(key.owner_id)
        return "active" if account is not None and account.role != "none" else "inactive"

    def _render_key(self, project: Project, key: ApiKey) -> dict[str, Any]:
        """The spec's ``ProjectApiKey`` (never the value)."""
        owner: dict[str, Any]
        if key.owner_type == "user":
            user = self._user(key.owner_id)
            membership = project.users.get(user.id)
            owner = {
                "type": "user",
                "user": {
                    "id": user.id,
                    "email": user.email,
                    "name": user.name,
                    "created_at": user.added_at,
                    "role": membership.role if membership else "none",
                },
            }
        else:
            account = self._service_account(project, key.owner_id)
            owner = {
                "type": "service_account",
                "service_account": {
                    "id": account.id,
                    "name": account.name,
                    "created_at": account.created_at,
                    "role": account.role,
                },
            }
        return {
            "object": "organization.project.api_key",
            "redacted_value": key.redacted_value,
            "name": key.name,
            "created_at": key.created_at,
            "last_used_at": key.last_used_at,
            "id": key.id,
            "owner_project_access": self._key_access(project, key),
            "owner": owner,
        }

    def _api_key(self, project: Project, api_key_id: str) -> ApiKey:
        key = project.api_keys.get(api_key_id)
        if key is None:
            raise not_found("API key", api_key_id, "api_key_id")
        return key
