"""Spend alerts and spend limits over loopback HTTP (DESIGN.md facts 12-13): one limit per
scope (set whole, DELETE removes, ``enforcement.status``), many alerts per scope with no
natural key (create is not idempotent), and writing one never changes the other, in both
directions, at the organization and at a project (a Terraform provider had that bug)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
import requests

from airflow_provider_openai_projects.client import OpenAIAdminClient
from airflow_provider_openai_projects.client.errors import InvalidInputError, NotFoundError
from airflow_provider_openai_projects.client.resources.spend import same_spend_alert
from airflow_provider_openai_projects.client.resources.spend_types import SpendAlertNotificationChannel
from airflow_provider_openai_projects.emulator.server import EmulatorServer

CHANNEL: SpendAlertNotificationChannel = {
    "type": "email",
    "recipients": ["finance@example.com", "ops@example.com"],
    "subject_prefix": "[spend]",
}


def _scope_state(emulator: EmulatorServer, project_id: str | None) -> dict[str, Any]:
    spend = emulator.state.snapshot()["spend"]
    return spend["organization"] if project_id is None else spend["projects"][project_id]


class Scope:
    """The spend methods of one scope (the organization, or one project), side by side."""

    def __init__(self, client: OpenAIAdminClient, project_id: str | None) -> None:
        self.client, self.project_id = client, project_id
        self.prefix = "organization" if project_id is None else "project"

    def _ids(self) -> tuple[str, ...]:
        return () if self.project_id is None else (self.project_id,)

    def _method(self, verb: str, thing: str) -> Callable[..., Any]:
        scope = "organization" if self.project_id is None else "project"
        return getattr(self.client, f"{verb}_{scope}_{thing}")  # type: ignore[no-any-return]

    def list_alerts(self) -> list[Any]:
        return self._method("list", "spend_alerts")(*self._ids())  # type: ignore[no-any-return]

    def create_alert(self, threshold: int, channel: SpendAlertNotificationChannel = CHANNEL) -> Any:
        return self._method("create", "spend_alert")(
            *self._ids(), threshold_amount=threshold, notification_channel=channel
        )

    def get_alert(self, alert_id: str) -> Any:
        return self._method("get", "spend_alert")(*self._ids(), alert_id)

    def update_alert(self, alert_id: str, threshold: int, channel: SpendAlertNotificationChannel = CHANNEL) -> Any:
        return self._method("update", "spend_alert")(
            *self._ids(), alert_id, threshold_amount=threshold, notification_channel=channel
        )

    def delete_alert(self, alert_id: str) -> Any:
        return self._method("delete", "spend_alert")(*self._ids(), alert_id)

    def get_limit(self) -> Any:
        return self._method("get", "spend_limit")(*self._ids())

    def update_limit(self, threshold: int) -> Any:
        return self._method("update", "spend_limit")(*self._ids(), threshold_amount=threshold)

    def delete_limit(self) -> Any:
        return self._method("delete", "spend_limit")(*self._ids())


@pytest.fixture(params=["organization", "project"])
def scope(request: pytest.FixtureRequest, client: OpenAIAdminClient, emulator: EmulatorServer) -> Scope:
    if request.param == "organization":
        return Scope(client, None)
    return Scope(client, str(emulator.state.create_project("spend", None, None)["id"]))


def test_spend_limit_is_one_per_scope_set_whole_and_removed_by_delete(scope: Scope, emulator: EmulatorServer) -> None:
    with pytest.raises(NotFoundError):
        scope.get_limit()

    first = scope.update_limit(10_000)
    second = scope.update_limit(25_000)

    expected = {
        "object": f"{scope.prefix}.spend_limit",
        "threshold_amount": 25_000,
        "currency": "USD",
        "interval": "month",
        "enforcement": {"status": "enforcing"},
    }
    assert first == {**expected, "threshold_amount": 10_000}
    assert second == expected
    assert emulator.log.entries()[-1].body == {"threshold_amount": 25_000, "currency": "USD", "interval": "month"}
    assert scope.get_limit() == expected
    assert scope.update_limit(25_000) == expected  # idempotent
    assert _scope_state(emulator, scope.project_id)["spend_limit"] == expected

    deleted = scope.delete_limit()

    assert deleted == {"object": f"{scope.prefix}.spend_limit.deleted", "deleted": True}
    assert _scope_state(emulator, scope.project_id)["spend_limit"] is None
    with pytest.raises(NotFoundError):
        scope.get_limit()


def test_spend_alerts_are_many_per_scope_and_create_is_not_idempotent(scope: Scope, emulator: EmulatorServer) -> None:
    first = scope.create_alert(5_000)
    twin = scope.create_alert(5_000)

    assert first["id"] != twin["id"]
    assert first == {
        "id": first["id"],
        "object": f"{scope.prefix}.spend_alert",
        "threshold_amount": 5_000,
        "currency": "USD",
        "interval": "month",
        "notification_channel": CHANNEL,
    }
    assert [a["id"] for a in scope.list_alerts()] == [first["id"], twin["id"]]
    assert [a["id"] for a in _scope_state(emulator, scope.project_id)["spend_alerts"]] == [first["id"], twin["id"]]
    assert scope.get_alert(first["id"]) == first

    channel: SpendAlertNotificationChannel = {"type": "email", "recipients": ["cfo@example.com"]}
    updated = scope.update_alert(first["id"], 7_500, channel)

    assert (updated["threshold_amount"], updated["notification_channel"]) == (7_500, channel)
    assert scope.update_alert(first["id"], 7_500, channel) == updated
    assert _scope_state(emulator, scope.project_id)["spend_alerts"][0] == updated

    deleted = scope.delete_alert(twin["id"])

    assert deleted == {"id": twin["id"], "object": f"{scope.prefix}.spend_alert.deleted", "deleted": True}
    assert [a["id"] for a in scope.list_alerts()] == [first["id"]]
    with pytest.raises(NotFoundError):
        scope.get_alert(twin["id"])


def test_writing_the_limit_never_changes_an_alert(scope: Scope, emulator: EmulatorServer) -> None:
    alerts = [scope.create_alert(1_000), scope.create_alert(2_000)]

    for write in (lambda: scope.update_limit(50_000), lambda: scope.update_limit(60_000), scope.delete_limit):
        write()
        assert scope.list_alerts() == alerts
        assert _scope_state(emulator, scope.project_id)["spend_alerts"] == alerts


def test_writing_an_alert_never_changes_the_limit(scope: Scope, emulator: EmulatorServer) -> None:
    limit = scope.update_limit(50_000)
    alert = scope.create_alert(1_000)

    for write in (
        lambda: scope.create_alert(90_000),
        lambda: scope.update_alert(alert["id"], 70_000),
        lambda: scope.delete_alert(alert["id"]),
    ):
        write()
        assert scope.get_limit() == limit
        assert _scope_state(emulator, scope.project_id)["spend_limit"] == limit


def test_the_organization_and_a_project_keep_their_own_spend_settings(
    client: OpenAIAdminClient, emulator: EmulatorServer
) -> None:
    project_id = emulator.state.default_project_id
    org_limit = client.update_organization_spend_limit(threshold_amount=100_000)
    org_alert = client.create_organization_spend_alert(threshold_amount=80_000, notification_channel=CHANNEL)

    client.update_project_spend_limit(project_id, threshold_amount=5_000)
    client.create_project_spend_alert(project_id, threshold_amount=4_000, notification_channel=CHANNEL)
    client.delete_project_spend_limit(project_id)

    assert client.get_organization_spend_limit() == org_limit
    assert client.list_organization_spend_alerts() == [org_alert]
    with pytest.raises(NotFoundError):
        client.get_organization_spend_alert(client.list_project_spend_alerts(project_id)[0]["id"])


@pytest.mark.parametrize(
    ("arguments", "field"),
    [
        ({"threshold_amount": 0}, "threshold_amount"),
        ({"threshold_amount": 10.5}, "threshold_amount"),
        ({"threshold_amount": 100, "currency": "EUR"}, "currency"),
        ({"threshold_amount": 100, "interval": "week"}, "interval"),
    ],
)
def test_a_bad_spend_limit_is_refused_before_sending(
    client: OpenAIAdminClient, emulator: EmulatorServer, arguments: dict[str, Any], field: str
) -> None:
    with pytest.raises(InvalidInputError) as refused:
        client.update_organization_spend_limit(**arguments)
    assert refused.value.field == field
    assert emulator.log.entries() == []


@pytest.mark.parametrize(
    ("channel", "field"),
    [
        ({"type": "sms", "recipients": ["a@example.com"]}, "notification_channel.type"),
        ({"type": "email", "recipients": []}, "notification_channel.recipients"),
        ({"type": "email", "recipients": "a@example.com"}, "notification_channel.recipients"),
        ({"type": "email", "recipients": ["not an address"]}, "notification_channel.recipients"),
        ({"type": "email", "recipients": ["a@example.com"], "cc": []}, "notification_channel.cc"),
    ],
)
def test_a_bad_notification_channel_is_refused_before_sending(
    client: OpenAIAdminClient, emulator: EmulatorServer, channel: Any, field: str
) -> None:
    with pytest.raises(InvalidInputError) as refused:
        client.create_organization_spend_alert(threshold_amount=100, notification_channel=channel)
    assert refused.value.field == field
    with pytest.raises(InvalidInputError):
        client.create_organization_spend_alert(threshold_amount=-1, notification_channel=CHANNEL)
    assert emulator.log.entries() == []


@pytest.mark.spec_violations_expected
def test_the_emulator_refuses_a_zero_spend_limit(emulator: EmulatorServer) -> None:
    response = requests.post(
        emulator.base_url + "/organization/spend_limit",
        json={"threshold_amount": 0, "currency": "USD", "interval": "month"},
        headers={"Authorization": f"Bearer {emulator.admin_key}"},
        timeout=10,
    )
    assert response.status_code == 400
    assert response.json()["error"]["param"] == "threshold_amount"
    assert emulator.state.snapshot()["spend"]["organization"]["spend_limit"] is None


def test_an_alert_of_another_scope_is_not_found(client: OpenAIAdminClient, emulator: EmulatorServer) -> None:
    alert = client.create_organization_spend_alert(threshold_amount=100, notification_channel=CHANNEL)
    with pytest.raises(NotFoundError):
        client.get_project_spend_alert(emulator.state.default_project_id, alert["id"])


def test_look_before_create_finds_the_same_alert(client: OpenAIAdminClient) -> None:
    client.create_organization_spend_alert(threshold_amount=100, notification_channel=CHANNEL)
    existing = client.list_organization_spend_alerts()
    reordered: SpendAlertNotificationChannel = {**CHANNEL, "recipients": CHANNEL["recipients"][::-1]}
    assert any(same_spend_alert(a, threshold_amount=100, notification_channel=reordered) for a in existing)
    assert not any(same_spend_alert(a, threshold_amount=200, notification_channel=CHANNEL) for a in existing)


def test_alert_lists_follow_the_cursor_through_250_alerts_in_3_requests(scope: Scope, emulator: EmulatorServer) -> None:
    channel = {"type": "email", "recipients": ["a@example.com"]}
    ids = [emulator.state.create_spend_alert(scope.project_id, i, "USD", "month", channel)["id"] for i in range(250)]
    emulator.log.clear()

    listed = scope.list_alerts()

    assert [a["id"] for a in listed] == ids
    pages = emulator.log.entries()
    assert [e.query.get("after") for e in pages] == [None, [ids[99]], [ids[199]]]
