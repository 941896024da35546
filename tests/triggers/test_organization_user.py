"""OrganizationUserTrigger: fires once the person is an organization member.

Most tests replace the trigger's ``_sleep`` with a recorder (:class:`Waits` in conftest),
which records each wait and can change the emulator's state at that moment, so the number
of polls and the waits between them are exact.
"""

from __future__ import annotations

import asyncio

import pytest

from airflow_provider_openai_projects.emulator.server import EmulatorServer
from airflow_provider_openai_projects.triggers import OrganizationUserTrigger

from .conftest import (
    USERS_ROUTE,
    Waits,
    run_to_event,
)


@pytest.mark.asyncio
async def test_organization_user_trigger_fires_once_the_invite_is_accepted(admin_conn: EmulatorServer) -> None:
    invite = admin_conn.state.create_invite("new.hire@example.com", "reader", [])

    def accept_on_first_wait(n: int) -> None:
        if n == 1:
            admin_conn.accept_invite(invite["id"])

    waits = Waits(accept_on_first_wait)
    events = await run_to_event(OrganizationUserTrigger(email="New.Hire@example.com", poll_interval=30), waits)

    assert len(events) == 1
    payload = events[0].payload
    assert payload["status"] == "success"
    assert payload["user"]["email"] == "new.hire@example.com"
    assert payload["user"]["id"] == admin_conn.state.users.get(payload["user"]["id"]).id
    assert waits.calls == [30.0]  # one wait of exactly poll_interval between the two polls
    assert admin_conn.log.count(route=USERS_ROUTE) == 2
    assert admin_conn.log.writes() == []


@pytest.mark.asyncio
async def test_organization_user_trigger_fires_at_once_for_an_existing_member(admin_conn: EmulatorServer) -> None:
    admin_conn.add_org_user("member@example.com")
    waits = Waits()
    (event,) = await run_to_event(OrganizationUserTrigger(email="member@example.com"), waits)
    assert event.payload["user"]["email"] == "member@example.com"
    assert waits.calls == []
    assert admin_conn.log.count(route=USERS_ROUTE) == 1


@pytest.mark.asyncio
async def test_organization_user_trigger_picks_up_a_user_added_while_it_polls_in_real_time(
    admin_conn: EmulatorServer,
) -> None:
    trigger = OrganizationUserTrigger(email="late@example.com", poll_interval=0.05)
    task = asyncio.create_task(run_to_event(trigger))
    for _ in range(500):  # two polls answered "not a member" before the person joins
        if sum(1 for e in admin_conn.log.entries() if e.route == USERS_ROUTE and e.complete) >= 2:
            break
        await asyncio.sleep(0.01)
    assert not task.done()
    admin_conn.add_org_user("late@example.com")
    (event,) = await asyncio.wait_for(task, timeout=10)
    assert event.payload["user"]["email"] == "late@example.com"
    assert admin_conn.log.count(route=USERS_ROUTE) >= 3
