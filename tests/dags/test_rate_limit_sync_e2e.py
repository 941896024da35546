"""``openai_rate_limit_sync`` end to end: ``dag.test()`` against the emulator, with the policy
file shipped next to the DAG (``dags_examples/config/rate_limits.yaml``) or the Variable."""

from __future__ import annotations

from typing import Any

import pytest
import yaml

from airflow_provider_openai_projects.emulator.server import EmulatorServer

from .conftest import DAGS_FOLDER, set_variable, task_states, xcom
from .conftest import run_dag as run

UPDATE = "POST /organization/projects/{project_id}/rate_limits/{rate_limit_id}"
POLICY_FILE = DAGS_FOLDER / "config" / "rate_limits.yaml"
APPLY = {"dry_run": False}  # scheduled runs (no conf) only plan


@pytest.fixture
def dag(example_dags: dict[str, Any]) -> Any:
    return example_dags["openai_rate_limit_sync"]


def limits(org: EmulatorServer, project_id: str) -> dict[str, dict[str, int]]:
    project = org.state.projects.get(project_id)
    assert project is not None
    return {limit.model: dict(limit.limits) for limit in project.rate_limits}


@pytest.fixture
def projects(org: EmulatorServer) -> dict[str, str]:
    """Two projects the shipped policy targets (``team-*``) and one it does not."""
    return {name: org.state.create_project(name)["id"] for name in ("team-search", "team-research", "marketing")}


def test_rate_limit_sync_plans_then_applies_the_policy_file_and_a_rerun_changes_nothing(
    org: EmulatorServer, dag: Any, projects: dict[str, str], capfd: pytest.CaptureFixture[str]
) -> None:
    policy = yaml.safe_load(POLICY_FILE.read_text())
    assert policy["project_name_pattern"] == "team-*"
    untouched = {name: limits(org, pid) for name, pid in projects.items()}
    default_before = limits(org, org.state.default_project_id)
    org.log.clear()

    first = run(dag, APPLY)

    assert first.state == "success", task_states(first)
    for name in ("team-search", "team-research"):
        now = limits(org, projects[name])
        for model in ("gpt-5", "gpt-5-mini"):
            assert now[model]["max_requests_per_1_minute"] == 1000
            assert now[model]["max_tokens_per_1_minute"] == 200_000
        assert now["o3"]["max_requests_per_1_minute"] == 200
        assert now["dall-e-3"]["max_images_per_1_minute"] == 5
        assert now["gpt-4o"] == untouched[name]["gpt-4o"]  # not in the policy
    assert limits(org, projects["marketing"]) == untouched["marketing"]
    assert limits(org, org.state.default_project_id) == default_before
    # 2 projects x (gpt-5, gpt-5-mini, o3, dall-e-3): one update per limit that differs.
    assert org.log.count("POST", UPDATE) == 8
    plan = xcom(first, "plan")
    assert plan["dry_run"] is True
    assert plan["counts"]["planned"] == 8
    assert xcom(first, "apply")["counts"]["updated"] == 8
    output = capfd.readouterr()
    assert (output.out + output.err).count("DRY RUN: would set project team-") == 8

    org.log.clear()
    second = run(dag, APPLY)
    assert second.state == "success", task_states(second)
    assert org.log.writes() == []
    assert task_states(second)["apply"] == "skipped"  # the plan found nothing to change


def test_rate_limit_sync_dry_run_only_plans(org: EmulatorServer, dag: Any, projects: dict[str, str]) -> None:
    before = limits(org, projects["team-search"])
    org.log.clear()

    result = run(dag, {"dry_run": True})

    assert result.state == "success", task_states(result)
    assert org.log.writes() == []
    assert limits(org, projects["team-search"]) == before
    assert xcom(result, "plan")["counts"]["planned"] == 8
    assert task_states(result)["apply"] == "skipped"


def test_rate_limit_sync_takes_the_policy_from_the_variable_when_it_is_set(
    org: EmulatorServer, dag: Any, projects: dict[str, str]
) -> None:
    set_variable(
        "openai_rate_limit_policy",
        {"project_name_pattern": "marketing", "rate_limits": {"gpt-4o": {"max_requests_per_1_minute": 42}}},
    )
    before = limits(org, projects["team-search"])
    org.log.clear()

    result = run(dag, APPLY)

    assert result.state == "success", task_states(result)
    assert limits(org, projects["marketing"])["gpt-4o"]["max_requests_per_1_minute"] == 42
    assert limits(org, projects["team-search"]) == before
    assert [e.path for e in org.log.writes()] == [
        f"/organization/projects/{projects['marketing']}/rate_limits/rl-gpt-4o"
    ]


def test_rate_limit_sync_with_an_unknown_model_fails_in_the_plan_before_any_write(
    org: EmulatorServer, dag: Any, projects: dict[str, str]
) -> None:
    set_variable("openai_rate_limit_policy", {"rate_limits": {"gpt-99": {"max_requests_per_1_minute": 1}}})
    org.log.clear()

    result = run(dag, APPLY)

    assert result.state == "failed"
    states = task_states(result)
    assert states["plan"] == "failed"
    assert states["apply"] == "upstream_failed"
    assert org.log.writes() == []
