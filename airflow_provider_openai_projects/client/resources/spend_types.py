"""Typed shapes of spend alerts and spend limits (organization and project)."""

from __future__ import annotations

from typing import Literal, NotRequired, TypedDict


class SpendAlertNotificationChannel(TypedDict):
    type: Literal["email"]
    recipients: list[str]
    subject_prefix: NotRequired[str | None]


class SpendAlert(TypedDict):
    """``organization.spend_alert`` or ``project.spend_alert``; ``threshold_amount`` in cents."""

    id: str
    object: str
    threshold_amount: int
    currency: Literal["USD"]
    interval: Literal["month"]
    notification_channel: SpendAlertNotificationChannel


class SpendAlertDeleted(TypedDict):
    id: str
    object: str
    deleted: bool


class SpendLimitEnforcement(TypedDict):
    status: str  # inactive | enforcing


class SpendLimit(TypedDict):
    """``organization.spend_limit`` or ``project.spend_limit``; ``threshold_amount`` in cents."""

    object: str
    threshold_amount: int
    currency: str
    interval: str
    enforcement: SpendLimitEnforcement


class SpendLimitDeleted(TypedDict):
    object: str
    deleted: bool
