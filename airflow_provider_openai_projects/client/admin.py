"""``OpenAIAdminClient``: one method per Admin API endpoint, plain ``requests``, no Airflow.

Every method returns the JSON the API sent (plain dicts, typed as the TypedDicts in
:mod:`.types`); list methods follow the cursor through every page and return all items.
Ids go positionally, everything else by keyword with the API's own field names.

What is retried (see :mod:`.retry`): reads, deletes and updates that set absolute values
are retried on 429, 5xx and connection failures; creates (projects, project users,
service accounts, keys, invites) are retried only when the request provably had no
effect (429, connection refused). After any other failure of a create, the raised error
has ``maybe_applied=True`` and the caller must look before creating again.

The only secrets a method returns are the one-time key values of
:meth:`create_service_account` and :meth:`create_service_account_api_key`; the caller is
responsible for them from that moment (the hook masks them at once).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Mapping
from typing import Any, Literal, cast

import requests

from airflow_provider_openai_projects.client.config import (
    DEFAULT_BASE_URL,
    DEFAULT_MAX_RESPONSE_BYTES,
    DEFAULT_TOTAL_TIMEOUT,
    ClientConfig,
)
from airflow_provider_openai_projects.client.errors import InvalidInputError
from airflow_provider_openai_projects.client.pacing import Pacer, PacingScope
from airflow_provider_openai_projects.client.pagination import PAGE_SIZE, iterate
from airflow_provider_openai_projects.client.retry import DEFAULT_MAX_SERVER_WAIT
from airflow_provider_openai_projects.client.transport import Transport
from airflow_provider_openai_projects.client.types import (
    RATE_LIMIT_FIELDS,
    Deleted,
    Invite,
    InviteProject,
    Project,
    ProjectApiKey,
    ProjectUser,
    RateLimit,
    ServiceAccount,
    ServiceAccountApiKey,
    ServiceAccountCreated,
    User,
)

_PROJECTS = "/organization/projects"
_PROJECT = "/organization/projects/{project_id}"
_PROJECT_USERS = _PROJECT + "/users"
_PROJECT_USER = _PROJECT_USERS + "/{user_id}"
_SERVICE_ACCOUNTS = _PROJECT + "/service_accounts"
_SERVICE_ACCOUNT = _SERVICE_ACCOUNTS + "/{service_account_id}"
_PROJECT_API_KEYS = _PROJECT + "/api_keys"
_PROJECT_API_KEY = _PROJECT_API_KEYS + "/{api_key_id}"
_RATE_LIMITS = _PROJECT + "/rate_limits"
_RATE_LIMIT = _RATE_LIMITS + "/{rate_limit_id}"
_INVITES = "/organization/invites"
_INVITE = _INVITES + "/{invite_id}"
_USERS = "/organization/users"
_USER = _USERS + "/{user_id}"


def _body(**fields: Any) -> dict[str, Any]:
    """A request body of the fields that were given (``None`` means "not given")."""
    return {name: value for name, value in fields.items() if value is not None}


class OpenAIAdminClient:
    """A client of the OpenAI Admin API (``/v1/organization/...``).

    :param api_key: an admin key (``sk-admin-...``). Kept private: not in ``repr``,
        errors or logs.
    :param base_url: defaults to ``https://api.openai.com/v1``; plain ``http://`` only for
        loopback hosts (the emulator).
    :param timeout: read timeout per request in seconds; ``connect_timeout`` likewise.
    :param max_retries: retries of a request that is safe to retry (0 disables).
    :param max_retry_wait: the longest ``Retry-After`` that is waited out here; a longer
        one raises :class:`~.errors.RateLimitError` carrying ``retry_after``.
    :param requests_per_minute: client-side pacing per endpoint (``pacing_scope``), or
        ``None`` for none.
    :param pacer: a :class:`~.pacing.Pacer` shared with other clients (then
        ``requests_per_minute``, ``pacing_burst`` and ``pacing_scope`` are not used).
    :param config: a :class:`~.config.ClientConfig` (the hook builds one from the
        connection); when given, the other options above are not used. See it for
        ``total_timeout``, ``max_response_bytes`` and ``max_server_wait``.
    """

    def __init__(
        self,
        api_key: str | None = None,
        *,
        config: ClientConfig | None = None,
        base_url: str | None = DEFAULT_BASE_URL,
        timeout: float = 60.0,
        connect_timeout: float = 10.0,
        total_timeout: float = DEFAULT_TOTAL_TIMEOUT,
        max_response_bytes: int = DEFAULT_MAX_RESPONSE_BYTES,
        max_server_wait: float = DEFAULT_MAX_SERVER_WAIT,
        max_retries: int = 5,
        max_retry_wait: float = 120.0,
        backoff_initial: float = 1.0,
        backoff_max: float = 30.0,
        requests_per_minute: float | None = None,
        pacing_burst: int = 1,
        pacing_scope: PacingScope = "endpoint",
        pacer: Pacer | None = None,
        session: requests.Session | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if config is None:
            config = ClientConfig.create(
                api_key or "",
                base_url=base_url,
                timeout=timeout,
                connect_timeout=connect_timeout,
                total_timeout=total_timeout,
                max_response_bytes=max_response_bytes,
                max_server_wait=max_server_wait,
                max_retries=max_retries,
                max_retry_wait=max_retry_wait,
                backoff_initial=backoff_initial,
                backoff_max=backoff_max,
                requests_per_minute=requests_per_minute,
                pacing_burst=pacing_burst,
                pacing_scope=pacing_scope,
            )
        self._transport = Transport(config=config, pacer=pacer or config.new_pacer(sleep), session=session, sleep=sleep)

    @property
    def base_url(self) -> str:
        return self._transport.base_url

    @property
    def config(self) -> ClientConfig:
        """The validated configuration (shared shape with the async client)."""
        return self._transport.config

    def __repr__(self) -> str:
        return f"<OpenAIAdminClient base_url={self.base_url!r}>"

    def close(self) -> None:
        """Release pooled connections."""
        self._transport.close()

    def __enter__(self) -> OpenAIAdminClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- plumbing ---------------------------------------------------------------------

    def _get(self, route: str, **path_params: str) -> Any:
        return self._transport.request("GET", route, path_params=path_params)

    def _post(self, route: str, body: Mapping[str, Any] | None, *, idempotent: bool, **path_params: str) -> Any:
        return self._transport.request("POST", route, path_params=path_params, json=body, idempotent=idempotent)

    def _delete(self, route: str, **path_params: str) -> Any:
        return self._transport.request("DELETE", route, path_params=path_params)

    def iter_list(
        self,
        route: str,
        *,
        path_params: Mapping[str, str] | None = None,
        params: Mapping[str, Any] | None = None,
    ) -> Iterator[Any]:
        """Iterate over every item of a list endpoint, ``PAGE_SIZE`` items per request."""
        path = route.format(**(path_params or {}))

        def fetch(after: str | None) -> Mapping[str, Any]:
            query = {**(params or {}), "limit": PAGE_SIZE, "after": after}
            return cast(
                Mapping[str, Any],
                self._transport.request("GET", route, path_params=path_params, params=query),
            )

        return iterate(fetch, method="GET", path=path)

    # -- projects ---------------------------------------------------------------------

    def list_projects(self, *, include_archived: bool = False) -> list[Project]:
        """Every project (active only unless ``include_archived``)."""
        params = {"include_archived": True} if include_archived else None
        return list(self.iter_list(_PROJECTS, params=params))

    def create_project(self, *, name: str, external_key_id: str | None = None, residency: str | None = None) -> Project:
        """Create a project. Not idempotent: names are not unique and projects cannot be
        deleted, so look for an existing one first (``CreateProjectOperator`` does)."""
        body = _body(name=name, external_key_id=external_key_id, residency=residency)
        return cast(Project, self._post(_PROJECTS, body, idempotent=False))

    def get_project(self, project_id: str) -> Project:
        return cast(Project, self._get(_PROJECT, project_id=project_id))

    def update_project(
        self, project_id: str, *, name: str | None = None, external_key_id: str | None = None
    ) -> Project:
        """Set the given fields (idempotent). The default project cannot be modified."""
        body = _body(name=name, external_key_id=external_key_id)
        return cast(Project, self._post(_PROJECT, body, idempotent=True, project_id=project_id))

    def archive_project(self, project_id: str) -> Project:
        """Archive a project (irreversible; it can no longer be used or updated)."""
        return cast(Project, self._post(_PROJECT + "/archive", None, idempotent=False, project_id=project_id))

    # -- project users ----------------------------------------------------------------

    def list_project_users(self, project_id: str) -> list[ProjectUser]:
        return list(self.iter_list(_PROJECT_USERS, path_params={"project_id": project_id}))

    def add_project_user(
        self, project_id: str, *, role: str, user_id: str | None = None, email: str | None = None
    ) -> ProjectUser:
        """Add an organization member to a project, by ``user_id`` or ``email`` (one of them)."""
        if (user_id is None) == (email is None):
            raise InvalidInputError("user_id/email", "give exactly one of user_id or email")
        body = _body(user_id=user_id, email=email, role=role)
        return cast(ProjectUser, self._post(_PROJECT_USERS, body, idempotent=False, project_id=project_id))

    def get_project_user(self, project_id: str, user_id: str) -> ProjectUser:
        return cast(ProjectUser, self._get(_PROJECT_USER, project_id=project_id, user_id=user_id))

    def update_project_user(self, project_id: str, user_id: str, *, role: str) -> ProjectUser:
        """Set a member's role in a project (idempotent)."""
        return cast(
            ProjectUser,
            self._post(_PROJECT_USER, {"role": role}, idempotent=True, project_id=project_id, user_id=user_id),
        )

    def remove_project_user(self, project_id: str, user_id: str) -> Deleted:
        return cast(Deleted, self._delete(_PROJECT_USER, project_id=project_id, user_id=user_id))

    # -- service accounts -------------------------------------------------------------

    def list_service_accounts(self, project_id: str) -> list[ServiceAccount]:
        return list(self.iter_list(_SERVICE_ACCOUNTS, path_params={"project_id": project_id}))

    def create_service_account(
        self, project_id: str, *, name: str, create_service_account_only: bool | None = None
    ) -> ServiceAccountCreated:
        """Create a service account; the response's ``api_key.value`` is shown only now.

        Not idempotent: names are not unique. The returned dict holds a live secret.
        """
        body = _body(name=name, create_service_account_only=create_service_account_only)
        return cast(ServiceAccountCreated, self._post(_SERVICE_ACCOUNTS, body, idempotent=False, project_id=project_id))

    def get_service_account(self, project_id: str, service_account_id: str) -> ServiceAccount:
        return cast(
            ServiceAccount,
            self._get(_SERVICE_ACCOUNT, project_id=project_id, service_account_id=service_account_id),
        )

    def update_service_account(
        self,
        project_id: str,
        service_account_id: str,
        *,
        name: str | None = None,
        role: Literal["member", "owner"] | None = None,
    ) -> ServiceAccount:
        """Set a service account's name and/or role (idempotent)."""
        return cast(
            ServiceAccount,
            self._post(
                _SERVICE_ACCOUNT,
                _body(name=name, role=role),
                idempotent=True,
                project_id=project_id,
                service_account_id=service_account_id,
            ),
        )

    def delete_service_account(self, project_id: str, service_account_id: str) -> Deleted:
        """Delete a service account, which revokes every key it owns."""
        return cast(
            Deleted, self._delete(_SERVICE_ACCOUNT, project_id=project_id, service_account_id=service_account_id)
        )

    def create_service_account_api_key(
        self,
        project_id: str,
        service_account_id: str,
        *,
        name: str | None = None,
        scopes: list[str] | None = None,
    ) -> ServiceAccountApiKey:
        """Mint another key for a service account; ``value`` is shown only now."""
        return cast(
            ServiceAccountApiKey,
            self._post(
                _SERVICE_ACCOUNT + "/api_keys",
                _body(name=name, scopes=scopes),
                idempotent=False,
                project_id=project_id,
                service_account_id=service_account_id,
            ),
        )

    # -- project API keys -------------------------------------------------------------

    def list_project_api_keys(
        self, project_id: str, *, owner_project_access: Literal["active", "inactive", "any"] | None = None
    ) -> list[ProjectApiKey]:
        params = {"owner_project_access": owner_project_access} if owner_project_access else None
        return list(self.iter_list(_PROJECT_API_KEYS, path_params={"project_id": project_id}, params=params))

    def get_project_api_key(self, project_id: str, api_key_id: str) -> ProjectApiKey:
        return cast(ProjectApiKey, self._get(_PROJECT_API_KEY, project_id=project_id, api_key_id=api_key_id))

    def delete_project_api_key(self, project_id: str, api_key_id: str) -> Deleted:
        """Delete a user-owned key. A service account's key cannot be deleted this way:
        the API answers 400 and the only revocation is deleting the service account."""
        return cast(Deleted, self._delete(_PROJECT_API_KEY, project_id=project_id, api_key_id=api_key_id))

    # -- rate limits ------------------------------------------------------------------

    def list_rate_limits(self, project_id: str) -> list[RateLimit]:
        """Every per-model rate limit of a project (ids look like ``rl-<model>``)."""
        return list(self.iter_list(_RATE_LIMITS, path_params={"project_id": project_id}))

    def update_rate_limit(self, project_id: str, rate_limit_id: str, **fields: int) -> RateLimit:
        """Set the given fields of one rate limit (idempotent); only those fields are sent."""
        unknown = sorted(set(fields) - set(RATE_LIMIT_FIELDS))
        if unknown:
            raise InvalidInputError(unknown[0], f"not a rate-limit field (known: {', '.join(RATE_LIMIT_FIELDS)})")
        if not fields:
            raise InvalidInputError("fields", "give at least one rate-limit field to update")
        return cast(
            RateLimit,
            self._post(_RATE_LIMIT, dict(fields), idempotent=True, project_id=project_id, rate_limit_id=rate_limit_id),
        )

    # -- invites ----------------------------------------------------------------------

    def list_invites(self) -> list[Invite]:
        return list(self.iter_list(_INVITES))

    def create_invite(self, *, email: str, role: str, projects: list[InviteProject] | None = None) -> Invite:
        """Invite a person to the organization (optionally to projects with roles).
        Not idempotent: look for a pending invite first (``InviteUserOperator`` does)."""
        return cast(Invite, self._post(_INVITES, _body(email=email, role=role, projects=projects), idempotent=False))

    def get_invite(self, invite_id: str) -> Invite:
        return cast(Invite, self._get(_INVITE, invite_id=invite_id))

    def delete_invite(self, invite_id: str) -> Deleted:
        """Delete a pending invite (an accepted one cannot be deleted)."""
        return cast(Deleted, self._delete(_INVITE, invite_id=invite_id))

    # -- organization users -----------------------------------------------------------

    def list_users(self, *, emails: list[str] | None = None) -> list[User]:
        """Every organization member, or those with the given ``emails``."""
        params = {"emails": list(emails)} if emails else None
        return list(self.iter_list(_USERS, params=params))

    def get_user(self, user_id: str) -> User:
        return cast(User, self._get(_USER, user_id=user_id))

    def update_user(self, user_id: str, *, role: str) -> User:
        """Set a member's organization role (idempotent)."""
        return cast(User, self._post(_USER, {"role": role}, idempotent=True, user_id=user_id))

    def delete_user(self, user_id: str) -> Deleted:
        """Remove a person from the organization (and so from every project)."""
        return cast(Deleted, self._delete(_USER, user_id=user_id))

    # -- checks -----------------------------------------------------------------------

    def check_access(self) -> None:
        """One cheap authenticated read (the first project); raises if the key cannot list projects."""
        self._transport.request("GET", _PROJECTS, params={"limit": 1})

    def verify_api_key(self, api_key: str) -> None:
        """Prove that a project or service-account key works: ``GET /models`` with it.

        Returns nothing on success; raises :class:`~.errors.AuthenticationError` if the key
        is not (or not yet) accepted. The key is sent only in the Authorization header.
        """
        if not isinstance(api_key, str) or not api_key:
            raise InvalidInputError("api_key", "must be a non-empty string")
        self._transport.request("GET", "/models", api_key=api_key)
