"""``testing.dashboard_change``: a person's change in the dashboard, as a user's test makes it."""

from __future__ import annotations

import pytest

from airflow_provider_openai_projects.emulator.server import EmulatorServer
from airflow_provider_openai_projects.testing import DashboardChangeError, dashboard_change


def test_a_change_returns_the_api_s_answer_and_is_recorded_as_the_person_s(
    openai_admin_emulator: EmulatorServer,
) -> None:
    project = openai_admin_emulator.state.create_project("team")
    owner = openai_admin_emulator.state._owners()[0]

    answer = dashboard_change(
        openai_admin_emulator, owner.id, "POST", f"/v1/organization/projects/{project['id']}", {"name": "by hand"}
    )

    assert (answer["id"], answer["name"]) == (project["id"], "by hand")
    [event] = openai_admin_emulator.state.audit_events
    assert (event.type, event.actor["session"]["user"]["id"]) == ("project.updated", owner.id)  # type: ignore[index]
    assert openai_admin_emulator.log.entries() == []  # not an API call


def test_a_refused_change_raises_with_the_emulator_s_answer_and_changes_nothing(
    openai_admin_emulator: EmulatorServer,
) -> None:
    project = openai_admin_emulator.state.create_project("team")
    reader = openai_admin_emulator.add_org_user("reader@example.com")
    path = f"/v1/organization/projects/{project['id']}"

    with pytest.raises(DashboardChangeError) as refused:
        dashboard_change(openai_admin_emulator, reader["id"], "POST", path, {"name": "not mine"})

    assert refused.value.status == 403
    assert refused.value.body["error"]["param"] == "user_id"
    assert "403" in str(refused.value)
    assert openai_admin_emulator.state.get_project(project["id"])["name"] == "team"
    assert openai_admin_emulator.state.audit_events == []
