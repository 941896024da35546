"""Operators for project API keys: delete (revoke) a user-owned key.

A key owned by a service account cannot be deleted on its own (docs/design.md, fact 6): the
only way to revoke it is to delete its service account
(:class:`~airflow_provider_openai_projects.operators.service_accounts.DeleteServiceAccountOperator`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from airflow_provider_openai_projects.client.errors import InvalidInputError, NotFoundError
from airflow_provider_openai_projects.domain.validation import require_id
from airflow_provider_openai_projects.operators.base import OpenAIAdminBaseOperator
from airflow_provider_openai_projects.operators.links import PROJECT_ID_XCOM_KEY, OpenAIProjectLink

if TYPE_CHECKING:
    from airflow.sdk import Context


class DeleteProjectApiKeyOperator(OpenAIAdminBaseOperator):
    """Delete a project API key owned by a user.

    The key is read first. Already gone (404) is success with no write, so a second run
    changes nothing; an unknown project is an error, not "already gone". A key owned by a
    service account fails the task at once, with no write, naming the service account to
    delete instead.

    :param project_id: the project (templated).
    :param api_key_id: the key's id (``key_...``, templated).
    :return: ``project_id``, ``api_key_id``, ``deleted`` (this run deleted it),
        ``already_gone``, and when the key was found its ``name``, ``redacted_value`` (the
        API's own redacted form) and ``owner`` (``type``, ``id``, ``email``/``name``).
        Never a key value.
    """

    template_fields: Sequence[str] = (*OpenAIAdminBaseOperator.template_fields, "project_id", "api_key_id")
    operator_extra_links = (OpenAIProjectLink(),)

    def __init__(self, *, project_id: str, api_key_id: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.project_id = project_id
        self.api_key_id = api_key_id

    def run(self, context: Context) -> dict[str, Any]:
        project_id = require_id("project_id", self.project_id)
        api_key_id = require_id("api_key_id", self.api_key_id)
        context["ti"].xcom_push(key=PROJECT_ID_XCOM_KEY, value=project_id)
        result: dict[str, Any] = {"project_id": project_id, "api_key_id": api_key_id}
        try:
            key = self.hook.get_project_api_key(project_id, api_key_id)
        except NotFoundError:
            self.hook.get_project(project_id)  # an unknown project must not pass for "already gone"
            self.log.info("API key %s of project %s is already gone.", api_key_id, project_id)
            return {**result, "deleted": False, "already_gone": True}

        owner = key.get("owner") or {}
        if owner.get("type") == "service_account":
            account = owner.get("service_account") or {}
            raise InvalidInputError(
                "api_key_id",
                f"key {api_key_id} ({key.get('redacted_value')}) belongs to service account "
                f"{account.get('name')!r} ({account.get('id')}); a service account's keys can only be revoked "
                "by deleting the service account (DeleteServiceAccountOperator)",
            )
        user = owner.get("user") or {}
        described = {
            **result,
            "name": key.get("name"),
            "redacted_value": key.get("redacted_value"),
            "owner": {"type": owner.get("type"), "id": user.get("id"), "email": user.get("email")},
        }
        try:
            self.hook.delete_project_api_key(project_id, api_key_id)
        except NotFoundError:  # deleted meanwhile, or a retry after a lost response
            self.log.info("API key %s of project %s is already gone.", api_key_id, project_id)
            return {**described, "deleted": False, "already_gone": True}
        self.log_change(
            "deleted API key %s (%s) of %s in project %s",
            api_key_id,
            key.get("redacted_value"),
            user.get("email") or user.get("id"),
            project_id,
        )
        return {**described, "deleted": True, "already_gone": False}
