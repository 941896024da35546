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
