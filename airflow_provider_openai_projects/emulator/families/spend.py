"""Spend alerts and spend limits of the organization and of each project.

docs/design.md facts 12-13. A scope (the organization, or one project) has at most one spend
limit ``{threshold_amount >= 1 (cents), currency: USD, interval: month}``, set whole by
an update (idempotent) and removed by DELETE (404 when none is set); its response adds
``enforcement.status``, ``enforcing`` for a limit that is set (the emulator does not
meter spend against it). Spend alerts are many per scope with no natural key: each
create makes a new one (not idempotent); an update replaces an alert whole. Alerts and
the limit are stored apart: writing one never changes the other, at either scope.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from fastapi import APIRouter, Request
from pydantic import BaseModel, ConfigDict
from starlette.responses import JSONResponse

from airflow_provider_openai_projects.emulator.errors import ApiError, not_found
from airflow_provider_openai_projects.emulator.families._listing import chained as _next
from airflow_provider_openai_projects.emulator.families._listing import check_order, ordered_page, render_page
from airflow_provider_openai_projects.emulator.ids import random_id
from airflow_provider_openai_projects.emulator.pagination import OrderedStore
from airflow_provider_openai_projects.emulator.state.core import StateCore, check_choice, check_email, locked

CURRENCIES = ("USD",)
INTERVALS = ("month",)
CHANNEL_TYPES = ("email",)
#: The organization's scope key in the per-scope maps (project ids never look like it).
ORGANIZATION = "organization"


@dataclass
class SpendAlert:
    id: str
    threshold_amount: int
    currency: str
    interval: str
    notification_channel: dict[str, Any]

    def render(self, scope_object: str) -> dict[str, Any]:
        """The spec's ``OrganizationSpendAlert`` / ``ProjectSpendAlert``."""
        return {
            "id": self.id,
            "object": f"{scope_object}.spend_alert",
            "threshold_amount": self.threshold_amount,
            "currency": self.currency,
            "interval": self.interval,
            "notification_channel": dict(self.notification_channel),
        }


@dataclass(frozen=True)
class SpendLimit:
    threshold_amount: int
    currency: str
    interval: str

    def render(self, scope_object: str) -> dict[str, Any]:
        """The spec's ``OrganizationSpendLimitResource`` / ``ProjectSpendLimitResource``."""
        return {
            "object": f"{scope_object}.spend_limit",
            "threshold_amount": self.threshold_amount,
            "currency": self.currency,
            "interval": self.interval,
            "enforcement": {"status": "enforcing"},
        }


def _check_amount(amount: int, minimum: int) -> None:
    if amount < minimum:
        raise ApiError(
            400,
            f"Invalid 'threshold_amount': must be at least {minimum} (cents), got {amount}.",
            param="threshold_amount",
        )


def _check_period(currency: str, interval: str) -> None:
    check_choice(currency, CURRENCIES, "currency")
    check_choice(interval, INTERVALS, "interval")


def _check_channel(channel: dict[str, Any]) -> None:
    check_choice(channel["type"], CHANNEL_TYPES, "notification_channel.type")
    recipients = channel["recipients"]
    if not recipients:
        raise ApiError(
            400,
            "Invalid 'notification_channel.recipients': give at least one email address.",
            param="notification_channel.recipients",
        )
    for recipient in recipients:
        check_email(recipient, "notification_channel.recipients")


class SpendOps(StateCore):
    """Spend alerts (many per scope) and spend limits (one per scope)."""

    spend_alerts: dict[str, OrderedStore[SpendAlert]]
    spend_limits: dict[str, SpendLimit]

    @locked
    def reset(self) -> None:
        super().reset()
        self.spend_alerts = {}
        self.spend_limits = {}

    def _scope(self, project_id: str | None) -> tuple[str, str]:
        """(scope key, object prefix) of the organization (``None``) or an active project."""
        if project_id is None:
            return ORGANIZATION, "organization"
        return self._active_project(project_id).id, "project"

    def _alerts(self, scope: str) -> OrderedStore[SpendAlert]:
        return self.spend_alerts.setdefault(scope, OrderedStore())

    def _alert(self, scope: str, alert_id: str) -> SpendAlert:
        alert = self._alerts(scope).get(alert_id)
        if alert is None:
            raise not_found("spend alert", alert_id, "alert_id")
        return alert

    # -- spend alerts -----------------------------------------------------------------------

    @locked
    def list_spend_alerts(
        self,
        project_id: str | None,
        limit: int = 20,
        after: str | None = None,
        order: str = "asc",
        before: str | None = None,
    ) -> dict[str, Any]:
        scope, prefix = self._scope(project_id)
        page = ordered_page(self._alerts(scope), limit, after, check_order(order), before, min_limit=0)
        return render_page(page, lambda alert: alert.render(prefix))

    @locked
    def create_spend_alert(
        self, project_id: str | None, threshold_amount: int, currency: str, interval: str, channel: dict[str, Any]
    ) -> dict[str, Any]:
        """A new alert, whatever alerts exist already (no natural key); never touches the limit."""
        scope, prefix = self._scope(project_id)
        _check_amount(threshold_amount, 0)
        _check_period(currency, interval)
        _check_channel(channel)
        alert = SpendAlert(random_id("alert_"), threshold_amount, currency, interval, channel)
        self._alerts(scope).add(alert.id, alert)
        return alert.render(prefix)

    @locked
    def get_spend_alert(self, project_id: str | None, alert_id: str) -> dict[str, Any]:
        scope, prefix = self._scope(project_id)
        return self._alert(scope, alert_id).render(prefix)

    @locked
    def update_spend_alert(
        self,
        project_id: str | None,
        alert_id: str,
        threshold_amount: int,
        currency: str,
        interval: str,
        channel: dict[str, Any],
    ) -> dict[str, Any]:
        """Replace the alert whole (idempotent); never touches the limit."""
        scope, prefix = self._scope(project_id)
        alert = self._alert(scope, alert_id)
        _check_amount(threshold_amount, 0)
        _check_period(currency, interval)
        _check_channel(channel)
        alert.threshold_amount, alert.currency, alert.interval = threshold_amount, currency, interval
        alert.notification_channel = channel
        return alert.render(prefix)

    @locked
    def delete_spend_alert(self, project_id: str | None, alert_id: str) -> dict[str, Any]:
        scope, prefix = self._scope(project_id)
        self._alert(scope, alert_id)
        self._alerts(scope).remove(alert_id)
        return {"id": alert_id, "object": f"{prefix}.spend_alert.deleted", "deleted": True}

    # -- spend limits -----------------------------------------------------------------------

    @locked
    def get_spend_limit(self, project_id: str | None) -> dict[str, Any]:
        """The scope's limit; 404 when none is set."""
        scope, prefix = self._scope(project_id)
        limit = self.spend_limits.get(scope)
        if limit is None:
            where = "this organization" if project_id is None else f"project '{project_id}'"
            raise ApiError(404, f"No spend limit is set for {where}.")
        return limit.render(prefix)

    @locked
    def update_spend_limit(
        self, project_id: str | None, threshold_amount: int, currency: str, interval: str
    ) -> dict[str, Any]:
        """Create or replace the scope's one limit (idempotent); never touches its alerts."""
        scope, prefix = self._scope(project_id)
        _check_amount(threshold_amount, 1)
        _check_period(currency, interval)
        self.spend_limits[scope] = SpendLimit(threshold_amount, currency, interval)
        return self.spend_limits[scope].render(prefix)

    @locked
    def delete_spend_limit(self, project_id: str | None) -> dict[str, Any]:
        """Remove the scope's limit (404 when none is set); never touches its alerts."""
        scope, prefix = self._scope(project_id)
        self.get_spend_limit(project_id)
        del self.spend_limits[scope]
        return {"object": f"{prefix}.spend_limit.deleted", "deleted": True}

    @locked
    def snapshot(self) -> dict[str, Any]:
        def scope_state(scope: str, prefix: str) -> dict[str, Any]:
            limit = self.spend_limits.get(scope)
            return {
                "spend_limit": None if limit is None else limit.render(prefix),
                "spend_alerts": [a.render(prefix) for a in self.spend_alerts.get(scope, OrderedStore())],
            }

        return {
            **_next(super()).snapshot(),
            "spend": {
                "organization": scope_state(ORGANIZATION, "organization"),
                "projects": {p.id: scope_state(p.id, "project") for p in self.projects},
            },
        }


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)


class SpendAlertNotificationChannel(_Body):
    type: str
    recipients: list[str]
    subject_prefix: str | None = None


class CreateSpendAlertBody(_Body):
    threshold_amount: int
    currency: str
    interval: str
    notification_channel: SpendAlertNotificationChannel


class UpdateSpendLimitBody(_Body):
    threshold_amount: int
    currency: str
    interval: str


def _channel(body: CreateSpendAlertBody) -> dict[str, Any]:
    return body.notification_channel.model_dump(exclude_unset=True)


def _project(request: Request) -> str | None:
    """The project of a project-scope route; ``None`` under ``/organization`` (a
    ``project_id`` query parameter there is not a scope)."""
    project_id = request.path_params.get("project_id")
    return None if project_id is None else str(project_id)


def routes(state: SpendOps) -> APIRouter:
    router = APIRouter(prefix="/v1")
    org, project = "/organization", "/organization/projects/{project_id}"

    def add_scope(prefix: str) -> None:
        """The routes of one scope; ``project_id`` is a path parameter only under a project."""

        @router.get(prefix + "/spend_alerts")
        async def list_alerts(
            request: Request,
            limit: int = 20,
            after: str | None = None,
            order: str = "asc",
            before: str | None = None,
        ) -> JSONResponse:
            return JSONResponse(state.list_spend_alerts(_project(request), limit, after, order, before))

        @router.post(prefix + "/spend_alerts")
        async def create_alert(body: CreateSpendAlertBody, request: Request) -> JSONResponse:
            return JSONResponse(
                state.create_spend_alert(
                    _project(request), body.threshold_amount, body.currency, body.interval, _channel(body)
                )
            )

        @router.get(prefix + "/spend_alerts/{alert_id}")
        async def get_alert(alert_id: str, request: Request) -> JSONResponse:
            return JSONResponse(state.get_spend_alert(_project(request), alert_id))

        @router.post(prefix + "/spend_alerts/{alert_id}")
        async def update_alert(alert_id: str, body: CreateSpendAlertBody, request: Request) -> JSONResponse:
            return JSONResponse(
                state.update_spend_alert(
                    _project(request), alert_id, body.threshold_amount, body.currency, body.interval, _channel(body)
                )
            )

        @router.delete(prefix + "/spend_alerts/{alert_id}")
        async def delete_alert(alert_id: str, request: Request) -> JSONResponse:
            return JSONResponse(state.delete_spend_alert(_project(request), alert_id))

        @router.get(prefix + "/spend_limit")
        async def get_limit(request: Request) -> JSONResponse:
            return JSONResponse(state.get_spend_limit(_project(request)))

        @router.post(prefix + "/spend_limit")
        async def update_limit(body: UpdateSpendLimitBody, request: Request) -> JSONResponse:
            return JSONResponse(
                state.update_spend_limit(_project(request), body.threshold_amount, body.currency, body.interval)
            )

        @router.delete(prefix + "/spend_limit")
        async def delete_limit(request: Request) -> JSONResponse:
            return JSONResponse(state.delete_spend_limit(_project(request)))

    add_scope(org)
    add_scope(project)
    return router
