"""``list_audit_logs`` over real HTTP: what the emulator records for each write, every
filter, the query encoding the API reads, and paging over 250 events."""

from __future__ import annotations

import json
from typing import Any

import pytest

from airflow_provider_openai_projects.client import InvalidInputError, OpenAIAdminClient
from airflow_provider_openai_projects.emulator.families.audit_logs import ORGANIZATION_ID
from airflow_provider_openai_projects.emulator.server import EmulatorServer


def _admin_key_id(emulator: EmulatorServer) -> str:
    return emulator.state.admin_key_tracking_id(emulator.admin_key)


def _owner(emulator: EmulatorServer) -> dict[str, str]:
    owner = emulator.state._owners()[0]
    return {"id": owner.id, "email": owner.email}


def test_writes_of_projects_members_and_service_accounts_are_listed_as_events(
    emulator: EmulatorServer, client: OpenAIAdminClient
) -> None:
    ada = emulator.add_org_user("ada@example.com")
    project = client.create_project(name="Audited")
    client.update_project(project["id"], name="Audited v2")
    client.add_project_user(project["id"], user_id=ada["id"], role="member")
    account = client.create_service_account(project["id"], name="bot")
    client.delete_service_account(project["id"], account["id"])
    client.archive_project(project["id"])

    events = client.list_audit_logs()

    by_type = {event["type"]: event for event in events}
    assert sorted(by_type) == sorted(
        [
            "project.created",
            "project.updated",
            "user.added",
            "service_account.created",
            "service_account.deleted",
            "project.archived",
        ]
    )
    created = by_type["project.created"]
    assert created["project.created"] == {  # type: ignore[typeddict-item]
        "id": project["id"],
        "data": {"name": "Audited", "title": "Audited"},
    }
    default = {"id": emulator.state.default_project_id, "name": "Default project"}
    assert created["project"] == default  # "associated with the default project"
    assert created["actor"] == {
        "type": "api_key",
        "api_key": {"id": _admin_key_id(emulator), "type": "user", "user": _owner(emulator)},
    }
    assert by_type["project.updated"]["project.updated"] == {  # type: ignore[typeddict-item]
        "id": project["id"],
        "changes_requested": {"title": "Audited v2"},
    }
    assert by_type["user.added"]["user.added"] == {"id": ada["id"], "data": {"role": "member"}}  # type: ignore[typeddict-item]
    assert by_type["service_account.created"]["service_account.created"] == {  # type: ignore[typeddict-item]
        "id": account["id"],
        "data": {"role": "member"},
    }
    assert {event["project"]["id"] for event in events} == {emulator.state.default_project_id}
    # the emulator's state holds exactly these, effective at the emulated clock's time
    stored = emulator.state.audit_events
    assert sorted(e.id for e in stored) == sorted(e["id"] for e in events)
    assert all(e.effective_at == emulator.state.now() or e.effective_at <= emulator.state.now() for e in stored)


def test_an_event_never_shows_a_key_value(emulator: EmulatorServer, client: OpenAIAdminClient) -> None:
    project = client.create_project(name="Keys")
    account = client.create_service_account(project["id"], name="bot")
    extra = client.create_service_account_api_key(project["id"], account["id"], name="second")

    events = client.list_audit_logs()

    text = json.dumps(events)
    for secret in (emulator.admin_key, account["api_key"]["value"], extra["value"]):  # type: ignore[index]
        assert secret not in text
    key_event = next(e for e in events if e["type"] == "api_key.created")
    assert key_event["api_key.created"] == {"id": extra["id"], "data": {"scopes": []}}  # type: ignore[typeddict-item]


def test_effective_at_bounds_select_events_by_the_emulated_clock(
    emulator: EmulatorServer, client: OpenAIAdminClient
) -> None:
    first = client.create_project(name="early")
    early = emulator.state.now()
    emulator.state.advance_clock(3600)
    second = client.create_project(name="late")
    late = emulator.state.now()
    emulator.log.clear()

    def created(events: list[Any]) -> list[str]:
        return [e["project.created"]["id"] for e in events]

    assert created(client.list_audit_logs(effective_at={"lt": late})) == [first["id"]]
    assert created(client.list_audit_logs(effective_at={"gte": late})) == [second["id"]]
    assert created(client.list_audit_logs(effective_at={"gt": early, "lte": late})) == [second["id"]]
    assert client.list_audit_logs(effective_at={"gt": late}) == []
    # encoded as the API reads it: a deep object, effective_at[gte]=...
    assert emulator.log.entries()[1].query["effective_at[gte]"] == [str(late)]
    assert emulator.log.entries()[2].query == {
        "effective_at[gt]": [str(early)],
        "effective_at[lte]": [str(late)],
        "limit": ["100"],
    }


def test_list_filters_match_projects_types_actors_and_resources(
    emulator: EmulatorServer, client: OpenAIAdminClient
) -> None:
    alpha = client.create_project(name="alpha")
    beta = client.create_project(name="beta")
    ada = emulator.add_org_user("ada@example.com")
    client.add_project_user(beta["id"], user_id=ada["id"], role="owner")
    invite = client.create_invite(email="new@example.com", role="reader")
    emulator.log.clear()

    # an admin key's actions are "associated with the default project", whatever they changed
    assert client.list_audit_logs(project_ids=[beta["id"]]) == []
    default = emulator.state.default_project_id
    in_default = client.list_audit_logs(project_ids=[default])
    assert sorted(e["type"] for e in in_default) == ["invite.sent", "project.created", "project.created", "user.added"]
    both = client.list_audit_logs(resource_ids=[alpha["id"], beta["id"]], event_types=["project.created"])
    assert {e["project.created"]["id"] for e in both} == {alpha["id"], beta["id"]}  # type: ignore[typeddict-item]
    invites = client.list_audit_logs(event_types=["invite.sent"])
    assert [e["invite.sent"] for e in invites] == [  # type: ignore[typeddict-item]
        {"id": invite["id"], "data": {"email": "new@example.com", "role": "reader"}}
    ]
    assert invites[0]["project"]["id"] == default
    assert [e["type"] for e in client.list_audit_logs(resource_ids=[ada["id"]])] == ["user.added"]
    owner = _owner(emulator)
    assert len(client.list_audit_logs(actor_ids=[_admin_key_id(emulator)])) == 4
    assert len(client.list_audit_logs(actor_ids=[owner["id"]])) == 4
    assert len(client.list_audit_logs(actor_emails=[owner["email"]])) == 4
    assert client.list_audit_logs(actor_emails=["nobody@example.com"]) == []
    # arrays go as the spec names them: project_ids[]=a&project_ids[]=b
    assert emulator.log.entries()[2].query["resource_ids[]"] == [alpha["id"], beta["id"]]
    assert emulator.log.entries()[2].query["event_types[]"] == ["project.created"]


def test_accepting_an_invite_is_recorded_with_the_invitees_session_as_actor(
    emulator: EmulatorServer, client: OpenAIAdminClient
) -> None:
    invite = client.create_invite(email="joiner@example.com", role="reader")
    user = emulator.accept_invite(invite["id"])

    accepted = client.list_audit_logs(event_types=["invite.accepted"])

    assert len(accepted) == 1
    assert accepted[0]["invite.accepted"] == {"id": invite["id"]}  # type: ignore[typeddict-item]
    assert accepted[0]["actor"] == {
        "type": "session",
        "session": {"user": {"id": user["id"], "email": "joiner@example.com"}, "ip_address": "192.0.2.10"},
    }
    assert "project" not in accepted[0]  # joining the organization is scoped to no project
    assert client.list_audit_logs(actor_emails=["joiner@example.com"]) == accepted


def test_tenant_scoped_events_are_listed_only_with_tenant_only(
    emulator: EmulatorServer, client: OpenAIAdminClient
) -> None:
    emulator.state.record_write("add-group-user", {"group_id": "group_1"}, {"user_id": "user-1"}, {}, "k" * 20)
    client.create_project(name="plain")

    assert [e["type"] for e in client.list_audit_logs()] == ["project.created"]
    tenant = client.list_audit_logs(tenant_only=True)
    assert [(e["type"], e["tenant.group.member.added"]) for e in tenant] == [  # type: ignore[typeddict-item]
        ("tenant.group.member.added", {"id": "group_1", "user_id": "user-1"})
    ]
    assert emulator.log.entries()[-1].query["tenant_only"] == ["true"]


def test_listing_250_events_follows_the_cursor_over_three_pages_of_100(
    emulator: EmulatorServer, client: OpenAIAdminClient
) -> None:
    for index in range(250):
        response = {"id": f"proj_{index:04d}"}
        emulator.state.record_write("create-project", {}, {"name": f"p{index}"}, response, emulator.admin_key)
    emulator.log.clear()

    events = client.list_audit_logs(event_types=["project.created"])

    assert len(events) == 250
    assert len({e["id"] for e in events}) == 250
    pages = emulator.log.entries()
    assert [entry.query["limit"] for entry in pages] == [["100"]] * 3
    assert [entry.query.get("after") for entry in pages] == [None, [events[99]["id"]], [events[199]["id"]]]


@pytest.mark.parametrize(
    ("arguments", "field"),
    [
        ({"effective_at": {"since": 1}}, "effective_at"),
        ({"effective_at": {"gte": -1}}, "effective_at[gte]"),
        ({"effective_at": {"lt": "yesterday"}}, "effective_at[lt]"),
        ({"effective_at": {"gt": True}}, "effective_at[gt]"),
        ({"project_ids": "proj_1"}, "project_ids"),
        ({"event_types": [""]}, "event_types"),
        ({"tenant_only": "yes"}, "tenant_only"),
    ],
)
def test_bad_filters_are_refused_before_any_request(
    emulator: EmulatorServer, client: OpenAIAdminClient, arguments: dict[str, object], field: str
) -> None:
    with pytest.raises(InvalidInputError) as raised:
        client.list_audit_logs(**arguments)  # type: ignore[arg-type]
    assert raised.value.field == field
    assert emulator.log.entries() == []


def test_the_emulator_refuses_an_unknown_cursor_and_a_limit_over_100(
    emulator: EmulatorServer, client: OpenAIAdminClient
) -> None:
    from airflow_provider_openai_projects.client import BadRequestError

    with pytest.raises(BadRequestError) as unknown:
        client._call("list_audit_logs", params={"after": "audit_log-nope"})
    assert unknown.value.param == "after"
    with pytest.raises(BadRequestError) as too_many:
        client._call("list_audit_logs", params={"limit": 101})
    assert too_many.value.param == "limit"


def test_organization_settings_events_name_the_organization_on_the_default_project() -> None:
    from airflow_provider_openai_projects.emulator.organization_state import EmulatorState

    state = EmulatorState()
    event = state.record_write("Updateorganizationspendlimit", {}, {"threshold_amount": 100}, {}, "k" * 20)
    assert (event["type"], event["organization.updated"]) == (
        "organization.updated",
        {"id": ORGANIZATION_ID, "changes_requested": {}},
    )
    assert event["project"]["id"] == state.default_project_id  # made with an admin key
