"""Organization users: list, get, update the organization role, delete."""

from __future__ import annotations

from typing import cast

from airflow_provider_openai_projects.client.resources._base import EndpointCaller
from airflow_provider_openai_projects.client.types import Deleted, User


class UsersMixin(EndpointCaller):
    def list_users(self, *, emails: list[str] | None = None) -> list[User]:
        """Every organization member, or those with the given ``emails``."""
        params = {"emails": list(emails)} if emails else None
        return cast(list[User], self._list("list_users", params=params))

    def get_user(self, user_id: str) -> User:
        return cast(User, self._call("get_user", user_id))

    def update_user(self, user_id: str, *, role: str) -> User:
        """Set a member's organization role (idempotent)."""
        return cast(User, self._call("update_user", user_id, body={"role": role}))

    def delete_user(self, user_id: str) -> Deleted:
        """Remove a person from the organization (and so from every project)."""
        return cast(Deleted, self._call("delete_user", user_id))
