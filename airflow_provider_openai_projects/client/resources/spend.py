"""Spend alerts and spend limits of the organization and of each project (DESIGN.md
facts 12-13).

A scope has at most one spend limit (``threshold_amount`` in cents, at least 1; set whole,
idempotent; deleted to remove it) and any number of spend alerts, which have no natural
key: creating one is not idempotent (look before you create, by threshold, interval and
channel; :func:`same_spend_alert`). Alerts and the limit are independent: no method here
that writes one sends anything about the other.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal, cast

from airflow_provider_openai_projects.client.errors import InvalidInputError
from airflow_provider_openai_projects.client.resources._base import EndpointCaller
from airflow_provider_openai_projects.client.resources._checks import integer, one_of, strings
from airflow_provider_openai_projects.client.resources.spend_types import (
    SpendAlert,
    SpendAlertDeleted,
    SpendAlertNotificationChannel,
    SpendLimit,
    SpendLimitDeleted,
)

Currency = Literal["USD"]
Interval = Literal["month"]


def _channel(channel: Any) -> dict[str, Any]:
    field = "notification_channel"
    if not isinstance(channel, Mapping):
        raise InvalidInputError(field, 'must be {"type": "email", "recipients": [...], "subject_prefix"?: str}')
    unknown = sorted(set(channel) - {"type", "recipients", "subject_prefix"})
    if unknown:
        raise InvalidInputError(f"{field}.{unknown[0]}", "is not a notification-channel field")
    one_of(channel.get("type"), ("email",), f"{field}.type")
    recipients = strings(channel.get("recipients"), f"{field}.recipients", min_items=1)
    if any("@" not in r for r in recipients):
        raise InvalidInputError(f"{field}.recipients", "must hold email addresses")
    prefix = channel.get("subject_prefix")
    if prefix is not None and not isinstance(prefix, str):
        raise InvalidInputError(f"{field}.subject_prefix", "must be a string")
    return {
        "type": "email",
        "recipients": recipients,
        **({"subject_prefix": prefix} if "subject_prefix" in channel else {}),
    }


def _alert_body(
    threshold_amount: int, currency: str, interval: str, notification_channel: SpendAlertNotificationChannel
) -> dict[str, Any]:
    return {
        "threshold_amount": integer(threshold_amount, "threshold_amount", 0),
        "currency": one_of(currency, ("USD",), "currency"),
        "interval": one_of(interval, ("month",), "interval"),
        "notification_channel": _channel(notification_channel),
    }


def _limit_body(threshold_amount: int, currency: str, interval: str) -> dict[str, Any]:
    return {
        "threshold_amount": integer(threshold_amount, "threshold_amount", 1),
        "currency": one_of(currency, ("USD",), "currency"),
        "interval": one_of(interval, ("month",), "interval"),
    }


def same_spend_alert(
    alert: Mapping[str, Any],
    *,
    threshold_amount: int,
    notification_channel: Mapping[str, Any],
    interval: str = "month",
) -> bool:
    """Whether an existing alert is the one described (threshold, interval, channel type,
    recipients as a set, subject prefix): the look-before-create test."""
    channel = alert.get("notification_channel") or {}
    return (
        alert.get("threshold_amount") == threshold_amount
        and alert.get("interval") == interval
        and channel.get("type") == notification_channel.get("type", "email")
        and set(channel.get("recipients") or ()) == set(notification_channel.get("recipients") or ())
        and channel.get("subject_prefix") == notification_channel.get("subject_prefix")
    )


class SpendMixin(EndpointCaller):
    # -- organization spend alerts --------------------------------------------------------

    def list_organization_spend_alerts(self) -> list[SpendAlert]:
        """Every spend alert of the organization, oldest first."""
        return cast(list[SpendAlert], self._list("list_organization_spend_alerts"))

    def create_organization_spend_alert(
        self,
        *,
        threshold_amount: int,
        notification_channel: SpendAlertNotificationChannel,
        currency: Currency = "USD",
        interval: Interval = "month",
    ) -> SpendAlert:
        """A new organization spend alert at ``threshold_amount`` cents. Not idempotent:
        each call makes another alert. Never changes the spend limit."""
        fields = _alert_body(threshold_amount, currency, interval, notification_channel)
        return cast(SpendAlert, self._call("create_organization_spend_alert", body=fields))

    def get_organization_spend_alert(self, alert_id: str) -> SpendAlert:
        return cast(SpendAlert, self._call("get_organization_spend_alert", alert_id))

    def update_organization_spend_alert(
        self,
        alert_id: str,
        *,
        threshold_amount: int,
        notification_channel: SpendAlertNotificationChannel,
        currency: Currency = "USD",
        interval: Interval = "month",
    ) -> SpendAlert:
        """Replace an organization spend alert whole (idempotent). Never changes the limit."""
        fields = _alert_body(threshold_amount, currency, interval, notification_channel)
        return cast(SpendAlert, self._call("update_organization_spend_alert", alert_id, body=fields))

    def delete_organization_spend_alert(self, alert_id: str) -> SpendAlertDeleted:
        return cast(SpendAlertDeleted, self._call("delete_organization_spend_alert", alert_id))

    # -- project spend alerts -------------------------------------------------------------

    def list_project_spend_alerts(self, project_id: str) -> list[SpendAlert]:
        """Every spend alert of a project, oldest first."""
        return cast(list[SpendAlert], self._list("list_project_spend_alerts", project_id))

    def create_project_spend_alert(
        self,
        project_id: str,
        *,
        threshold_amount: int,
        notification_channel: SpendAlertNotificationChannel,
        currency: Currency = "USD",
        interval: Interval = "month",
    ) -> SpendAlert:
        """A new project spend alert. Not idempotent; never changes the project's limit."""
        fields = _alert_body(threshold_amount, currency, interval, notification_channel)
        return cast(SpendAlert, self._call("create_project_spend_alert", project_id, body=fields))

    def get_project_spend_alert(self, project_id: str, alert_id: str) -> SpendAlert:
        return cast(SpendAlert, self._call("get_project_spend_alert", project_id, alert_id))

    def update_project_spend_alert(
        self,
        project_id: str,
        alert_id: str,
        *,
        threshold_amount: int,
        notification_channel: SpendAlertNotificationChannel,
        currency: Currency = "USD",
        interval: Interval = "month",
    ) -> SpendAlert:
        """Replace a project spend alert whole (idempotent). Never changes the limit."""
        fields = _alert_body(threshold_amount, currency, interval, notification_channel)
        return cast(SpendAlert, self._call("update_project_spend_alert", project_id, alert_id, body=fields))

    def delete_project_spend_alert(self, project_id: str, alert_id: str) -> SpendAlertDeleted:
        return cast(SpendAlertDeleted, self._call("delete_project_spend_alert", project_id, alert_id))

    # -- spend limits ---------------------------------------------------------------------

    def get_organization_spend_limit(self) -> SpendLimit:
        """The organization's hard spend limit (an error if none is set)."""
        return cast(SpendLimit, self._call("get_organization_spend_limit"))

    def update_organization_spend_limit(
        self, *, threshold_amount: int, currency: Currency = "USD", interval: Interval = "month"
    ) -> SpendLimit:
        """Create or replace the organization's one spend limit (idempotent); the answer
        adds ``enforcement.status``. Never changes a spend alert."""
        fields = _limit_body(threshold_amount, currency, interval)
        return cast(SpendLimit, self._call("update_organization_spend_limit", body=fields))

    def delete_organization_spend_limit(self) -> SpendLimitDeleted:
        """Remove the organization's spend limit. Never changes a spend alert."""
        return cast(SpendLimitDeleted, self._call("delete_organization_spend_limit"))

    def get_project_spend_limit(self, project_id: str) -> SpendLimit:
        """A project's hard spend limit (an error if none is set)."""
        return cast(SpendLimit, self._call("get_project_spend_limit", project_id))

    def update_project_spend_limit(
        self, project_id: str, *, threshold_amount: int, currency: Currency = "USD", interval: Interval = "month"
    ) -> SpendLimit:
        """Create or replace a project's one spend limit (idempotent). Never changes an alert."""
        fields = _limit_body(threshold_amount, currency, interval)
        return cast(SpendLimit, self._call("update_project_spend_limit", project_id, body=fields))

    def delete_project_spend_limit(self, project_id: str) -> SpendLimitDeleted:
        """Remove a project's spend limit. Never changes a spend alert."""
        return cast(SpendLimitDeleted, self._call("delete_project_spend_limit", project_id))


__all__ = ["SpendMixin", "same_spend_alert"]
