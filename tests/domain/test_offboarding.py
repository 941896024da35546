"""Offboarding's steps over a plain client (no Airflow): a plan saved as JSON and carried out
later makes the writes a direct run makes, and a refusal writes nothing."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator

import pytest

from airflow_provider_openai_projects.client import InvalidInputError, OpenAIAdminClient
from airflow_provider_openai_projects.domain.offboarding import Offboarding, OffboardingSteps
from airflow_provider_openai_projects.emulator.server import EmulatorServer

log = logging.getLogger(__name__)


@pytest.fixture
def client(emulator: EmulatorServer) -> Iterator[OpenAIAdminClient]:
    with OpenAIAdminClient(emulator.admin_key, base_url=emulator.base_url, max_retries=0) as admin:
        yield admin


def seed(emulator: EmulatorServer) -> tuple[str, str, str]:
    """lee owns ``legacy`` alone and is in ``team`` and a group; mgr is a member. (lee, mgr, legacy)."""
    state = emulator.state
    lee = state.add_user("lee@example.com", "Lee", "reader")["id"]
    mgr = state.add_user("mgr@example.com", "Mgr", "reader")["id"]
    legacy = state.create_project("legacy")["id"]
    team = state.create_project("team")["id"]
    state.add_project_user(legacy, "owner", user_id=lee)
    state.add_project_user(team, "member", user_id=lee)
    state.add_project_user(team, "owner", user_id=mgr)
    state.add_group_user(state.create_group("eng")["id"], lee)
    emulator.log.clear()
    return lee, mgr, legacy


@pytest.mark.parametrize("remove_from_organization", [True, False])
def test_a_plan_saved_as_json_and_carried_out_later_makes_the_direct_runs_writes(
    client: OpenAIAdminClient, emulator: EmulatorServer, remove_from_organization: bool
) -> None:
    runs = []
    for saved in (False, True):
        emulator.reset()
        _, mgr, legacy = seed(emulator)
        steps = OffboardingSteps(client, log, remove_from_organization=remove_from_organization)
        planned = steps.plan(None, "lee@example.com", ("email", "mgr@example.com"))
        assert emulator.log.writes() == []  # planning only reads
        if saved:
            planned = Offboarding.from_plan(json.loads(json.dumps(planned.to_plan())))
        steps.carry_out(planned)
        runs.append(([e.route for e in emulator.log.writes()], steps.writes))
        owners = [m.user_id for p in emulator.state.projects if p.id == legacy for m in p.users if m.role == "owner"]
        assert mgr in owners
    assert runs[0] == runs[1]
    assert runs[0][1] == len(runs[0][0])


def test_a_sole_owner_without_a_successor_is_refused_before_any_write(
    client: OpenAIAdminClient, emulator: EmulatorServer
) -> None:
    seed(emulator)
    with pytest.raises(InvalidInputError, match=r"only owner of 1 project\(s\): .*'legacy'"):
        OffboardingSteps(client, log).plan(None, "lee@example.com", None)
    assert emulator.log.writes() == []
