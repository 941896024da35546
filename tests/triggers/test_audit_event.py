"""AuditEventTrigger: fires on the first matching audit event, ignores the others."""

from __future__ import annotations

import pytest

from airflow_provider_openai_projects.emulator.server import EmulatorServer
from airflow_provider_openai_projects.triggers.audit_event import AuditEventTrigger

from .conftest import Waits, run_to_event

AUDIT_ROUTE = "GET /organization/audit_logs"


@pytest.mark.asyncio
async def test_the_trigger_wakes_on_the_invitees_acceptance_and_ignores_other_events(
    admin_conn: EmulatorServer,
) -> None:
    start = admin_conn.state.now()
    invite = admin_conn.state.create_invite("new.hire@example.com", "reader", [])
    other = admin_conn.state.create_invite("someone.else@example.com", "reader", [])

    def on_wait(n: int) -> None:
        if n == 1:
            admin_conn.accept_invite(other["id"])  # an invite.accepted by someone else: not a match
        if n == 2:
            admin_conn.accept_invite(invite["id"])

    waits = Waits(on_wait)
    trigger = AuditEventTrigger(
        after=start - 1,
        event_types=["invite.accepted"],
        actor_emails=["New.Hire@example.com"],
        poll_interval=30,
    )
    (event,) = await run_to_event(trigger, waits)

    assert event.payload["status"] == "success"
    found = event.payload["event"]
    assert found["type"] == "invite.accepted"
    assert found["actor"]["session"]["user"]["email"] == "new.hire@example.com"
    assert waits.calls == [30.0, 30.0]
    assert admin_conn.log.count(route=AUDIT_ROUTE) == 3
    assert admin_conn.log.writes() == []
    assert admin_conn.admin_key not in str(event.payload)


@pytest.mark.asyncio
async def test_events_before_the_time_do_not_match(admin_conn: EmulatorServer) -> None:
    invite = admin_conn.state.create_invite("early@example.com", "reader", [])
    admin_conn.accept_invite(invite["id"])
    later = admin_conn.state.now() + 5

    def give_up(n: int) -> None:
        if n == 2:
            raise TimeoutError("still waiting, as it should")

    with pytest.raises(TimeoutError, match="as it should"):
        await run_to_event(
            AuditEventTrigger(after=later, event_types=["invite.accepted"], poll_interval=1), Waits(give_up)
        )


def test_the_trigger_serializes_to_what_rebuilds_it() -> None:
    trigger = AuditEventTrigger(after=100, event_types=["api_key.created"], project_ids=["proj_a"], poll_interval=5)
    classpath, kwargs = trigger.serialize()
    assert classpath == "airflow_provider_openai_projects.triggers.audit_event.AuditEventTrigger"
    assert AuditEventTrigger(**kwargs).serialize() == (classpath, kwargs)
    assert kwargs["event_types"] == ["api_key.created"]
    assert kwargs["actor_emails"] is None
