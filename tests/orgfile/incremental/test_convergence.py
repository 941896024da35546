"""Property: for random sequences of changes (a person's, another admin key's, our own
applies), the incremental plan equals the plan of a full read, changes and fingerprint.

Hypothesis is not a dependency of the project: a seeded random loop with a bounded count
stands in for it (each seed is a reproducible sequence; a failure names seed and step).
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator

import pytest

from airflow_provider_openai_projects.client import OpenAIAdminClient
from airflow_provider_openai_projects.orgfile.engine import apply
from airflow_provider_openai_projects.orgfile.incremental.runner import apply_with_state
from airflow_provider_openai_projects.orgfile.loader import load_document
from airflow_provider_openai_projects.testing import dashboard_change

from .conftest import PROJECTS, Small, document

SEEDS = (1, 2, 3)
STEPS = 8
#: Every kind of step, across the seeds (held by the last test: no step left untried).
TRIED: set[str] = set()


@pytest.fixture
def settled(small: Small) -> Small:
    """The small organization whose file also manages each project's model and hosted-tool
    permissions (settings the spec records as ``project.updated`` with no field), applied and
    cached."""
    raw = document()
    for entry in raw["projects"].values():
        entry["model_permissions"] = {"mode": "deny_list", "model_ids": ["o3"]}
        entry["hosted_tools"] = {"web_search": False}
    small.spec = load_document(raw, "org.yaml")
    apply(small.client, small.spec)
    small.plan()
    small.emulator.log.clear()
    return small


@pytest.fixture
def other(small: Small) -> Iterator[OpenAIAdminClient]:
    """Another automation's admin key."""
    created = small.client.create_admin_api_key(name="other-automation")
    with OpenAIAdminClient(created["value"], base_url=small.emulator.base_url, max_retries=0) as client:
        yield client


def _steps(small: Small, other: OpenAIAdminClient) -> list[Callable[[random.Random], str]]:
    def project(rng: random.Random) -> str:
        return small.projects[rng.randrange(PROJECTS)]

    def members(project_id: str) -> set[str]:
        return {str(u["id"]) for u in small.client.list_project_users(project_id)}

    def person_rate_limit(rng: random.Random) -> str:
        where = project(rng)
        value = rng.choice([500, 700, 9000])
        path = f"/v1/organization/projects/{where}/rate_limits/rl-gpt-4o"
        dashboard_change(small.emulator, small.ada, "POST", path, {"max_requests_per_1_minute": value})
        return f"a person sets {where} gpt-4o to {value}"

    def person_member(rng: random.Random) -> str:
        where = project(rng)
        base = f"/v1/organization/projects/{where}/users"
        if small.bob in members(where):
            dashboard_change(small.emulator, small.ada, "DELETE", f"{base}/{small.bob}")
            return f"a person removes bob from {where}"
        dashboard_change(small.emulator, small.ada, "POST", base, {"user_id": small.bob, "role": "owner"})
        return f"a person adds bob to {where} as owner"

    def key_rate_limit(rng: random.Random) -> str:
        where = project(rng)
        other.update_rate_limit(where, "rl-gpt-4o", max_requests_per_1_minute=rng.choice([500, 1234]))
        return f"another key changes {where} gpt-4o"

    def key_member(rng: random.Random) -> str:
        where = project(rng)
        if small.bob in members(where) and rng.random() < 0.5:
            other.remove_project_user(where, small.bob)
            return f"another key removes bob from {where}"
        if small.bob in members(where):
            other.update_project_user(where, small.bob, role=rng.choice(["owner", "member"]))
            return f"another key changes bob's role in {where}"
        other.add_project_user(where, user_id=small.bob, role="member")
        return f"another key adds bob to {where}"

    def person_project(rng: random.Random) -> str:
        name = f"side-{rng.randrange(10**6)}"
        dashboard_change(small.emulator, small.ada, "POST", "/v1/organization/projects", {"name": name})
        return f"a person creates {name}"

    def person_settings(rng: random.Random) -> str:
        where = project(rng)
        models = rng.choice([[], ["o3", "gpt-4o"]])
        path = f"/v1/organization/projects/{where}/model_permissions"
        dashboard_change(small.emulator, small.ada, "POST", path, {"mode": "deny_list", "model_ids": models})
        return f"a person sets {where}'s denied models to {models}"

    def key_settings(rng: random.Random) -> str:
        where = project(rng)
        enabled = rng.choice([True, False])
        other.update_project_hosted_tool_permissions(where, web_search={"enabled": enabled})
        return f"another key sets {where}'s web search to {enabled}"

    def own_apply(rng: random.Random) -> str:
        apply_with_state(small.client, small.spec, small.state)
        return "our apply"

    return [
        person_rate_limit,
        person_member,
        key_rate_limit,
        key_member,
        person_project,
        person_settings,
        key_settings,
        own_apply,
    ]


@pytest.mark.parametrize("seed", SEEDS)
def test_the_incremental_plan_equals_the_full_plan_after_random_changes(
    settled: Small, other: OpenAIAdminClient, seed: int
) -> None:
    small = settled
    rng = random.Random(seed)
    steps = _steps(small, other)
    history: list[str] = []
    for _ in range(STEPS):
        for _ in range(rng.randint(1, 3)):
            step = rng.choice(steps)
            history.append(step(rng))
            TRIED.add(step.__name__)
        incremental = small.plan()
        full = small.full()
        assert incremental.full_read is None, history
        assert [c.to_dict() for c in incremental.plan.changes] == [c.to_dict() for c in full.changes], (seed, history)
        assert incremental.plan.fingerprint == full.fingerprint, (seed, history)


def test_every_kind_of_change_was_tried() -> None:
    """The sequences above made each kind of change (a person's, another key's, our own)."""
    if not TRIED:
        pytest.skip("run with the property above")
    assert {
        "person_rate_limit",
        "person_member",
        "key_rate_limit",
        "key_member",
        "person_project",
        "person_settings",
        "key_settings",
        "own_apply",
    } == TRIED
