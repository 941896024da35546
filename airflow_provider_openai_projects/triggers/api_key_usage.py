"""``ApiKeyUsageTrigger``: wait, in the triggerer, until a project API key has been used.

Key rotation needs it: the previous generation may be deleted only once consumers have
switched to the new key, and the key's ``last_used_at`` is the proof.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from airflow_provider_openai_projects import DEFAULT_CONN_ID
from airflow_provider_openai_projects.triggers.base import OpenAIAdminPollingTrigger

if TYPE_CHECKING:
    from airflow_provider_openai_projects.client.aio import AsyncOpenAIAdminClient
    from airflow_provider_openai_projects.client.errors import OpenAIAdminError
    from airflow_provider_openai_projects.client.types import ProjectApiKey


def usage_after(key: ProjectApiKey, used_after: float | None) -> dict[str, Any] | None:
    """``{"api_key_id", "last_used_at"}`` if the key was used (after ``used_after``), else ``None``.

    ``last_used_at`` is in whole unix seconds; "after" is strict (``last_used_at >
    used_after``), so a use within the same second as ``used_after`` is not taken as proof.
    Never returns anything of the key but its id and that time.
    """
    last_used_at = key.get("last_used_at")
    if last_used_at is None:
        return None
    if used_after is not None and not last_used_at > used_after:
        return None
    return {"api_key_id": key["id"], "last_used_at": last_used_at}


def api_key_failure_message(project_id: str, api_key_id: str, error: OpenAIAdminError) -> str:
    """The failure text: a deleted key is said to be gone (it can never be used again)."""
    from airflow_provider_openai_projects.client.errors import NotFoundError

    if isinstance(error, NotFoundError):
        return (
            f"API key {api_key_id!r} of project {project_id!r} does not exist (deleted?), so it will "
            f"never be used: {error}"
        )
    return f"cannot read API key {api_key_id!r} of project {project_id!r}: {error}"


class ApiKeyUsageTrigger(OpenAIAdminPollingTrigger):
    """Poll ``GET /organization/projects/{project_id}/api_keys/{api_key_id}`` until the key's
    ``last_used_at`` is set (and later than ``used_after``, if given).

    One request per poll. Events: ``{"status": "success", "api_key_id", "last_used_at"}``
    or ``{"status": "error", "message": ...}``; a 404 (the key was deleted) is an error
    event at once. No key value is ever read or sent: the API shows only redacted values.

    :param project_id: the key's project.
    :param api_key_id: the key's id (``key_...``).
    :param used_after: unix seconds; ``None`` accepts any use.
    :param openai_admin_conn_id: the ``openai_admin`` connection.
    :param poll_interval: seconds between polls.
    """

    def __init__(
        self,
        *,
        project_id: str,
        api_key_id: str,
        used_after: float | None = None,
        openai_admin_conn_id: str = DEFAULT_CONN_ID,
        poll_interval: float = 60.0,
    ) -> None:
        super().__init__(openai_admin_conn_id=openai_admin_conn_id, poll_interval=poll_interval)
        self.project_id = project_id
        self.api_key_id = api_key_id
        self.used_after = None if used_after is None else float(used_after)

    def trigger_kwargs(self) -> dict[str, Any]:
        return {"project_id": self.project_id, "api_key_id": self.api_key_id, "used_after": self.used_after}

    def describe(self) -> str:
        after = "" if self.used_after is None else f" after {self.used_after:.0f}"
        return f"waiting for API key {self.api_key_id} of project {self.project_id} to be used{after}"

    async def poll(self, client: AsyncOpenAIAdminClient) -> dict[str, Any] | None:
        return usage_after(await client.get_project_api_key(self.project_id, self.api_key_id), self.used_after)

    def failure_message(self, error: OpenAIAdminError) -> str:
        return api_key_failure_message(self.project_id, self.api_key_id, error)
