"""Invites to the organization (optionally to projects with roles; docs/design.md fact 8)."""

from __future__ import annotations

from typing import cast

from airflow_provider_openai_projects.client.resources._base import EndpointCaller, body
from airflow_provider_openai_projects.client.types import Deleted, Invite, InviteProject


class InvitesMixin(EndpointCaller):
    def list_invites(self) -> list[Invite]:
        return cast(list[Invite], self._list("list_invites"))

    def create_invite(self, *, email: str, role: str, projects: list[InviteProject] | None = None) -> Invite:
        """Invite a person to the organization (optionally to projects with roles).
        Not idempotent: look for a pending invite first (``InviteUserOperator`` does)."""
        return cast(Invite, self._call("create_invite", body=body(email=email, role=role, projects=projects)))

    def get_invite(self, invite_id: str) -> Invite:
        return cast(Invite, self._call("get_invite", invite_id))

    def delete_invite(self, invite_id: str) -> Deleted:
        """Delete a pending invite (an accepted one cannot be deleted)."""
        return cast(Deleted, self._call("delete_invite", invite_id))
