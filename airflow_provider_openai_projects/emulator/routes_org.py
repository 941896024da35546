"""``/v1/organization/invites``, ``/v1/organization/users`` and ``GET /v1/models``.

As in :mod:`.routes_projects`, each route makes one synchronous state call.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from starlette.responses import JSONResponse

from . import bodies
from .organization_state import EmulatorState


#: Fields of the spec's ``UserRoleUpdateRequest`` that the emulator does not emulate.
def org_routes(state: EmulatorState) -> APIRouter:
    """The Invites and Users routes, and the model list used to verify keys."""
    router = APIRouter(prefix="/v1")

    @router.get("/organization/invites")
    async def list_invites(limit: int = 20, after: str | None = None) -> JSONResponse:
        return JSONResponse(state.list_invites(limit, after))

    @router.post("/organization/invites")
    async def invite_user(body: bodies.InviteRequest) -> JSONResponse:
        projects = None if body.projects is None else [p.model_dump() for p in body.projects]
        return JSONResponse(state.create_invite(body.email, body.role, projects))

    @router.get("/organization/invites/{invite_id}")
    async def retrieve_invite(invite_id: str) -> JSONResponse:
        return JSONResponse(state.get_invite(invite_id))

    @router.delete("/organization/invites/{invite_id}")
    async def delete_invite(invite_id: str) -> JSONResponse:
        return JSONResponse(state.delete_invite(invite_id))

    @router.get("/organization/users")
    async def list_users(
        limit: int = 20,
        after: str | None = None,
        emails: Annotated[list[str] | None, Query()] = None,
        emails_brackets: Annotated[list[str] | None, Query(alias="emails[]")] = None,
    ) -> JSONResponse:
        """``emails`` may come repeated (``emails=a&emails=b``) or in the brackets form the
        official SDK sends (``emails[]=a&emails[]=b``)."""
        wanted = [*(emails or []), *(emails_brackets or [])]
        return JSONResponse(state.list_users(limit, after, wanted or None))

    @router.get("/organization/users/{user_id}")
    async def retrieve_user(user_id: str) -> JSONResponse:
        return JSONResponse(state.get_user(user_id))

    @router.post("/organization/users/{user_id}")
    async def modify_user(user_id: str, body: bodies.UserRoleUpdateRequest) -> JSONResponse:
        return JSONResponse(
            state.update_user_fields(user_id, body.role, body.role_id, body.technical_level, body.developer_persona)
        )

    @router.delete("/organization/users/{user_id}")
    async def delete_user(user_id: str) -> JSONResponse:
        return JSONResponse(state.delete_user(user_id))

    @router.get("/models")
    async def list_models(request: Request) -> JSONResponse:
        """Authenticated by the gateway with a project or service-account key."""
        _, _, key = request.headers["authorization"].partition(" ")
        return JSONResponse(state.use_key(key.strip()))

    return router
