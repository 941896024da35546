"""People as operators and sensors name them: one of user id or email, compared as the API does.

Airflow-free: plain functions over the API's JSON.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from airflow_provider_openai_projects.domain.validation import require_email, require_id, require_one_of

if TYPE_CHECKING:
    from airflow_provider_openai_projects.client.types import ProjectUser


def person_email(email: Any, operator_kwargs: dict[str, Any]) -> Any:
    """The email of the person an operator or sensor acts on, as its caller gave it.

    ``email`` is also BaseOperator's address for failure alerts, and Airflow copies
    ``default_args["email"]`` into every ``__init__`` parameter of that name. An
    ``email`` equal to the DAG's alert address is that copy, not a person to invite or
    remove: it counts as not given. Operators keep the person's email as ``user_email``,
    never as ``self.email``, so the person never receives the task's alerts.
    """
    defaults = operator_kwargs.get("default_args") or {}
    return None if email is not None and email == defaults.get("email") else email


def describe_person(user_id: str | None, email: str | None) -> str:
    """``user <id>`` or the quoted email, for log lines and messages."""
    return f"user {user_id}" if user_id is not None else f"{email!r}"


def require_person(user_id: object, email: object) -> tuple[str | None, str | None]:
    """Validate "exactly one of user_id/email" and the one given; ``(user_id, email)``."""
    field, value = require_one_of({"user_id": user_id, "email": email})
    if field == "user_id":
        return require_id("user_id", value), None
    return None, require_email("email", value)


def find_project_user(
    users: Sequence[ProjectUser], *, user_id: str | None = None, email: str | None = None
) -> ProjectUser | None:
    """The member with this user id, or with this email (compared as the API does:
    :func:`~.emails.same_email`)."""
    from airflow_provider_openai_projects.domain.emails import same_email  # not at parse time (import cost test)

    for user in users:
        if user_id is not None and user.get("id") == user_id:
            return user
        if same_email(user.get("email"), email):
            return user
    return None
