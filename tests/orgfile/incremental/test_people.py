"""The incremental plan of a file with a ``people`` section: the reads an offboarding makes
(a leaver's roles, the projects' API keys) are ones the invalidation table has no row for,
so they are read afresh on every plan, never reused."""

from __future__ import annotations

from pathlib import Path

from airflow_provider_openai_projects.client import OpenAIAdminClient
from airflow_provider_openai_projects.emulator.server import EmulatorServer
from airflow_provider_openai_projects.orgfile.engine import plan
from airflow_provider_openai_projects.orgfile.incremental.runner import plan_with_state
from airflow_provider_openai_projects.orgfile.loader import load_document
from airflow_provider_openai_projects.testing import dashboard_change
from tests.orgfile.people.conftest import ROWS, document, seed, write_csv


def test_a_role_given_to_a_leaver_after_the_cache_is_in_the_offboarding_plan(
    emulator: EmulatorServer, client: OpenAIAdminClient, tmp_path: Path
) -> None:
    team = seed(emulator)
    roster = write_csv(tmp_path / "people.csv", ROWS)
    spec = load_document(
        document({"uri": roster}, leavers={"successor": "manager", "remove_from_organization": False}), "org.yaml"
    )
    state = tmp_path / "state.json"
    role = emulator.state.create_role("auditor", ["api.organization.projects.read"])["id"]
    boss = emulator.state.add_user("boss@example.com", "Boss", "owner")["id"]
    plan_with_state(client, spec, state)
    dashboard_change(emulator, boss, "POST", f"/v1/organization/users/{team.lee}/roles", {"role_id": role})

    result = plan_with_state(client, spec, state)

    assert result.full_read is None
    assert result.families["user_roles"].reused == 0
    assert result.families["project_api_keys"].reused == 0
    assert result.families["projects"].reused == 1  # the rest was followed through the log
    assert not any(key.startswith(("user_roles/", "project_api_keys/")) for key in result.cache.reads)
    full = plan(client, spec)
    assert [c.to_dict() for c in result.plan.changes] == [c.to_dict() for c in full.changes]
    [offboarding] = [c for c in result.plan.changes if c.target.get("kind") == "leaver"]
    assert role in {r["role_id"] for r in offboarding.target["offboarding"]["roles_unassigned"]}
    assert offboarding.before is not None
    assert (offboarding.before["roles"], offboarding.before["stays_in_organization"]) == (["auditor"], True)
    assert 'roles ["auditor"] -> -' in offboarding.describe()  # what the approver reads
