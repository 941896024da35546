"""The audit-event filter shared by the sensor's poke and its trigger."""

from __future__ import annotations

from typing import Any

import pytest

from airflow_provider_openai_projects.client.errors import InvalidInputError
from airflow_provider_openai_projects.domain.audit_events import AuditEventFilter


def event(eid: str, kind: str, at: int, *, project: str | None = None, email: str | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {"id": eid, "type": kind, "effective_at": at, kind: {"id": f"res-{eid}"}}
    if project:
        body["project"] = {"id": project, "name": project}
    if email:
        body["actor"] = {"type": "session", "session": {"user": {"id": f"user-{email}", "email": email}}}
    return body


def test_only_events_strictly_after_the_time_and_of_the_types_match() -> None:
    f = AuditEventFilter.from_inputs(100, event_types=["invite.accepted"])
    events = [event("a", "invite.accepted", 100), event("b", "invite.sent", 101), event("c", "invite.accepted", 102)]
    assert f.first_match(events) == events[2]


def test_the_earliest_match_wins_whatever_the_order_the_api_sent() -> None:
    f = AuditEventFilter.from_inputs(0, event_types=["api_key.created"])
    events = [event("z", "api_key.created", 30), event("y", "api_key.created", 10), event("x", "api_key.created", 10)]
    assert f.first_match(events)["id"] == "x"  # type: ignore[index]


def test_project_actor_and_resource_filters_are_applied_again_client_side() -> None:
    f = AuditEventFilter.from_inputs(
        0, project_ids=["proj_a"], actor_emails=["Ada@example.com"], resource_ids=["res-2"]
    )
    events = [
        event("1", "api_key.created", 5, project="proj_b", email="ada@example.com"),
        event("2", "api_key.created", 6, project="proj_a", email="ada@example.com"),
        event("3", "api_key.created", 7, project="proj_a", email="bob@example.com"),
    ]
    assert f.first_match(events)["id"] == "2"  # type: ignore[index]
    assert f.query() == {
        "effective_at": {"gt": 0},
        "project_ids": ["proj_a"],
        "actor_emails": ["Ada@example.com"],
        "resource_ids": ["res-2"],
    }


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"after": -1}, "after"),
        ({"after": "soon"}, "after"),
        ({"after": True}, "after"),
        ({"after": 0, "event_types": "invite.accepted"}, "event_types"),
        ({"after": 0, "project_ids": [""]}, "project_ids"),
    ],
)
def test_bad_inputs_name_the_field(kwargs: dict[str, Any], field: str) -> None:
    with pytest.raises(InvalidInputError) as caught:
        AuditEventFilter.from_inputs(**kwargs)
    assert caught.value.field == field


@pytest.mark.parametrize(
    ("kind", "details", "wanted"),
    [
        ("project.updated", {"id": "proj_x", "changes_requested": {"title": "t"}}, "proj_x"),
        (
            "role.assignment.created",
            {"id": "user-1:role_9", "principal_id": "user-1", "resource_id": "proj_x", "resource_type": "api.project"},
            "user-1",
        ),
        ("role.assignment.created", {"id": "user-1:role_9", "principal_id": "user-1"}, "role_9"),
        ("certificates.activated", {"certificates": [{"id": "cert_1", "name": "a"}, {"id": "cert_2"}]}, "cert_2"),
        ("tenant.group.member.added", {"id": "group_1", "user_id": "user-7"}, "user-7"),
        ("checkpoint.permission.created", {"id": "cp_1", "data": {"project_id": "proj_x"}}, "proj_x"),
        ("checkpoint.permission.created", {"id": "cp_1", "data": {"fine_tuned_model_checkpoint": "ft:c"}}, "ft:c"),
    ],
)
def test_resource_ids_match_any_id_the_details_name_as_a_target(
    kind: str, details: dict[str, Any], wanted: str
) -> None:
    """The API's ``resource_ids[]`` decides; the re-check refuses only an event naming none."""
    matching = {"id": "e1", "type": kind, "effective_at": 5, kind: details}
    assert AuditEventFilter.from_inputs(0, resource_ids=[wanted]).matches(matching)
    assert not AuditEventFilter.from_inputs(0, resource_ids=["nothing-of-the-kind"]).matches(matching)


@pytest.mark.parametrize(
    ("kind", "details"),
    [
        ("project.updated", {"id": "proj_a", "changes_requested": {"title": "proj_x"}}),
        ("project.created", {"id": "proj_a", "data": {"name": "proj_x", "title": "proj_x"}}),
        ("invite.sent", {"id": "invite_1", "data": {"email": "proj_x", "role": "member"}}),
        ("certificates.activated", {"certificates": [{"id": "cert_1", "name": "proj_x"}]}),
        ("role.created", {"id": "role_1", "role_name": "proj_x", "permissions": ["proj_x"]}),
    ],
)
def test_a_name_equal_to_the_wanted_id_is_not_a_target(kind: str, details: dict[str, Any]) -> None:
    """Only id fields name targets: an upstream that ignored ``resource_ids[]`` cannot wake the
    sensor with an event that merely carries the id as a name, title, email or permission."""
    other = {"id": "e1", "type": kind, "effective_at": 5, kind: details}
    assert not AuditEventFilter.from_inputs(0, resource_ids=["proj_x"]).matches(other)


def test_an_admin_key_event_on_the_default_project_is_not_one_of_the_changed_project() -> None:
    """ "any admin actions taken via Admin API keys are associated with the default project"."""
    renamed = {
        "id": "e1",
        "type": "project.updated",
        "effective_at": 5,
        "project": {"id": "proj_default", "name": "Default project"},
        "actor": {"type": "api_key", "api_key": {"id": "key_1", "type": "user"}},
        "project.updated": {"id": "proj_x", "changes_requested": {"title": "t"}},
    }
    assert not AuditEventFilter.from_inputs(0, project_ids=["proj_x"]).matches(renamed)
    assert AuditEventFilter.from_inputs(0, resource_ids=["proj_x"]).matches(renamed)
