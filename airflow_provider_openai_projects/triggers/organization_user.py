"""``OrganizationUserTrigger``: wait, in the triggerer, until a person is an organization member.

Onboarding needs it: users must be organization members before a project can take them
(docs/design.md, fact 8), and an invitee becomes one only when they accept the invite.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from airflow_provider_openai_projects import DEFAULT_CONN_ID
from airflow_provider_openai_projects.triggers.base import OpenAIAdminPollingTrigger

if TYPE_CHECKING:
    from airflow_provider_openai_projects.client.aio import AsyncOpenAIAdminClient
    from airflow_provider_openai_projects.client.types import User


def find_member(users: Iterable[User], email: str) -> User | None:
    """The member whose email is ``email``, compared case-insensitively (as the API does)."""
    wanted = email.strip().lower()
    return next((u for u in users if (u.get("email") or "").strip().lower() == wanted), None)


class OrganizationUserTrigger(OpenAIAdminPollingTrigger):
    """Poll ``GET /organization/users?emails=<email>`` until the person is a member.

    One request per poll (the list is filtered by the API). Events:
    ``{"status": "success", "user": <the organization user>}`` or
    ``{"status": "error", "message": ...}`` (for example the admin key was refused).

    :param email: the person's email address (validated by the sensor).
    :param openai_admin_conn_id: the ``openai_admin`` connection.
    :param poll_interval: seconds between polls.
    """

    def __init__(
        self,
        *,
        email: str,
        openai_admin_conn_id: str = DEFAULT_CONN_ID,
        poll_interval: float = 60.0,
    ) -> None:
        super().__init__(openai_admin_conn_id=openai_admin_conn_id, poll_interval=poll_interval)
        self.email = email

    def trigger_kwargs(self) -> dict[str, Any]:
        return {"email": self.email}

    def describe(self) -> str:
        return f"waiting for {self.email} to be an organization member"

    async def poll(self, client: AsyncOpenAIAdminClient) -> dict[str, Any] | None:
        user = find_member(await client.list_users(emails=[self.email]), self.email)
        return None if user is None else {"user": dict(user)}
