"""``OrganizationUserSensor``: wait until an invited person is an organization member."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from airflow_provider_openai_projects.domain.people import person_email
from airflow_provider_openai_projects.domain.validation import require_email
from airflow_provider_openai_projects.sensors.base import OpenAIAdminBaseSensor

if TYPE_CHECKING:
    from airflow_provider_openai_projects.client.types import User
    from airflow_provider_openai_projects.triggers.organization_user import OrganizationUserTrigger


class OrganizationUserSensor(OpenAIAdminBaseSensor):
    """Wait until the person with ``email`` is a member of the organization.

    Onboarding needs it between inviting someone and adding them to projects: users must
    be organization members first, and they become members when they accept the invite.
    Each check is one request, ``GET /organization/users?emails=<email>``; the email
    matches case-insensitively. Read-only: the sensor never changes anything, so it is
    trivially idempotent.

    :param email: the person's email address (templated; held as ``user_email``, because
        ``email`` is BaseOperator's address for failure alerts, which must not go to them).
    :param openai_admin_conn_id: the ``openai_admin`` connection (templated).
    :param deferrable: wait in the triggerer (default: ``[operators] default_deferrable``).
    :param poke_interval: seconds between checks (default 60).
    :param timeout: seconds before the sensor gives up (Airflow's sensor default).
    :return: the organization user (``id``, ``email``, ``name``, ``role``, ``added_at``),
        pushed to XCom as the return value. Never a key.
    """

    template_fields: Sequence[str] = (*OpenAIAdminBaseSensor.template_fields, "user_email")

    def __init__(self, *, email: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        # Not ``self.email``: that is BaseOperator's address for failure alerts, and the
        # person being waited for must not receive this task's alert emails.
        self.user_email = person_email(email, kwargs)

    def validate(self) -> None:
        self.user_email = require_email("email", self.user_email)

    def check(self) -> User | None:
        from airflow_provider_openai_projects.triggers.organization_user import find_member

        user = find_member(self.hook.list_users(emails=[self.user_email]), self.user_email)
        if user is None:
            self.log.info("%s is not an organization member yet.", self.user_email)
        else:
            self.log.info("%s is an organization member (%s).", self.user_email, user["id"])
        return user

    def make_trigger(self) -> OrganizationUserTrigger:
        from airflow_provider_openai_projects.triggers.organization_user import OrganizationUserTrigger

        return OrganizationUserTrigger(
            email=self.user_email, openai_admin_conn_id=self.openai_admin_conn_id, poll_interval=self.poke_interval
        )

    def result_from_event(self, event: dict[str, Any]) -> User:
        user: User = event["user"]
        self.log.info("%s is an organization member (%s).", self.user_email, user["id"])
        return user
