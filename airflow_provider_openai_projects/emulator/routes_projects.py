"""``/v1/organization/projects/...``: projects, members, service accounts, keys, rate limits.

Each route parses its parameters and body (:mod:`.bodies`) and makes exactly one call to
:class:`~.state.EmulatorState`, synchronously: no ``await`` runs between the start and
the end of a state change.
"""

from __future__ import annotations

from fastapi import APIRouter
from starlette.responses import JSONResponse

from . import bodies
from .errors import required_param
from .organization_state import EmulatorState


def project_routes(state: EmulatorState) -> APIRouter:
    """The routes of the Projects tag (the subset the provider uses)."""
    router = APIRouter(prefix="/v1/organization/projects")

    @router.get("")
    async def list_projects(limit: int = 20, after: str | None = None, include_archived: bool = False) -> JSONResponse:
        return JSONResponse(state.list_projects(limit, after, include_archived))

    @router.post("")
    async def create_project(body: bodies.ProjectCreateRequest) -> JSONResponse:
        return JSONResponse(state.create_project(body.name, body.external_key_id, body.residency))

    @router.get("/{project_id}")
    async def retrieve_project(project_id: str) -> JSONResponse:
        return JSONResponse(state.get_project(project_id))

    @router.post("/{project_id}")
    async def modify_project(project_id: str, body: bodies.ProjectUpdateRequest) -> JSONResponse:
        return JSONResponse(state.update_project(project_id, body.name, body.external_key_id))

    @router.post("/{project_id}/archive")
    async def archive_project(project_id: str) -> JSONResponse:
        return JSONResponse(state.archive_project(project_id))

    @router.get("/{project_id}/users")
    async def list_project_users(project_id: str, limit: int = 20, after: str | None = None) -> JSONResponse:
        return JSONResponse(state.list_project_users(project_id, limit, after))

    @router.post("/{project_id}/users")
    async def create_project_user(project_id: str, body: bodies.ProjectUserCreateRequest) -> JSONResponse:
        return JSONResponse(state.add_project_user(project_id, body.role, body.user_id, body.email))

    @router.get("/{project_id}/users/{user_id}")
    async def retrieve_project_user(project_id: str, user_id: str) -> JSONResponse:
        return JSONResponse(state.get_project_user(project_id, user_id))

    @router.post("/{project_id}/users/{user_id}")
    async def modify_project_user(project_id: str, user_id: str, body: bodies.ProjectUserUpdateRequest) -> JSONResponse:
        return JSONResponse(state.update_project_user(project_id, user_id, required_param(body.role, "role")))

    @router.delete("/{project_id}/users/{user_id}")
    async def delete_project_user(project_id: str, user_id: str) -> JSONResponse:
        return JSONResponse(state.remove_project_user(project_id, user_id))

    @router.get("/{project_id}/service_accounts")
    async def list_service_accounts(project_id: str, limit: int = 20, after: str | None = None) -> JSONResponse:
        return JSONResponse(state.list_service_accounts(project_id, limit, after))

    @router.post("/{project_id}/service_accounts")
    async def create_service_account(project_id: str, body: bodies.ProjectServiceAccountCreateRequest) -> JSONResponse:
        return JSONResponse(state.create_service_account(project_id, body.name, bool(body.create_service_account_only)))

    @router.get("/{project_id}/service_accounts/{service_account_id}")
    async def retrieve_service_account(project_id: str, service_account_id: str) -> JSONResponse:
        return JSONResponse(state.get_service_account(project_id, service_account_id))

    @router.post("/{project_id}/service_accounts/{service_account_id}")
    async def update_service_account(
        project_id: str, service_account_id: str, body: bodies.UpdateProjectServiceAccountBody
    ) -> JSONResponse:
        return JSONResponse(state.update_service_account(project_id, service_account_id, body.name, body.role))

    @router.delete("/{project_id}/service_accounts/{service_account_id}")
    async def delete_service_account(project_id: str, service_account_id: str) -> JSONResponse:
        return JSONResponse(state.delete_service_account(project_id, service_account_id))

    @router.post("/{project_id}/service_accounts/{service_account_id}/api_keys")
    async def create_service_account_key(
        project_id: str,
        service_account_id: str,
        body: bodies.CreateProjectServiceAccountApiKeyBody | None = None,
    ) -> JSONResponse:
        body = body or bodies.CreateProjectServiceAccountApiKeyBody()
        return JSONResponse(
            state.create_service_account_key(project_id, service_account_id, body.name, body.scopes or ())
        )

    @router.get("/{project_id}/api_keys")
    async def list_api_keys(
        project_id: str, limit: int = 20, after: str | None = None, owner_project_access: str | None = None
    ) -> JSONResponse:
        return JSONResponse(state.list_api_keys(project_id, limit, after, owner_project_access))

    @router.get("/{project_id}/api_keys/{api_key_id}")
    async def retrieve_api_key(project_id: str, api_key_id: str) -> JSONResponse:
        return JSONResponse(state.get_api_key(project_id, api_key_id))

    @router.delete("/{project_id}/api_keys/{api_key_id}")
    async def delete_api_key(project_id: str, api_key_id: str) -> JSONResponse:
        return JSONResponse(state.delete_api_key(project_id, api_key_id))

    @router.get("/{project_id}/rate_limits")
    async def list_rate_limits(
        project_id: str, limit: int = 100, after: str | None = None, before: str | None = None
    ) -> JSONResponse:
        return JSONResponse(state.list_rate_limits(project_id, limit, after, before))

    @router.post("/{project_id}/rate_limits/{rate_limit_id}")
    async def update_rate_limit(
        project_id: str, rate_limit_id: str, body: bodies.ProjectRateLimitUpdateRequest
    ) -> JSONResponse:
        return JSONResponse(state.update_rate_limit(project_id, rate_limit_id, body.model_dump(exclude_unset=True)))

    return router
