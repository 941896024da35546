"""The rate-limit sync's steps (:mod:`airflow_provider_openai_projects.domain.ratelimit_sync`),
driven once with the sync client and a writer thread and once with the async client and a
writer task, over real HTTP to the emulator: the same calls, the same report, the same lines."""

from __future__ import annotations

import asyncio
from collections import Counter
from typing import Any

from airflow_provider_openai_projects.client import OpenAIAdminClient
from airflow_provider_openai_projects.client.aio import AsyncOpenAIAdminClient
from airflow_provider_openai_projects.client.endpoints import endpoint
from airflow_provider_openai_projects.domain.ratelimit_policy import LimitChange, SyncPlan, parse_policy
from airflow_provider_openai_projects.domain.ratelimit_sync import SyncSteps, TaskWriter, ThreadWriter
from airflow_provider_openai_projects.emulator.server import EmulatorServer
from benchmarks import scenarios

ROUTE = endpoint("update_rate_limit").route


def _seed(emulator: EmulatorServer, unknown: bool = False) -> tuple[list[tuple[str, str | None]], dict[str, Any]]:
    emulator.reset()
    ids = scenarios.seed_projects(emulator, 3)
    policy: dict[str, Any] = scenarios.rate_limit_policy(emulator, changed_models=2)
    if unknown:
        policy["no-such-model"] = {"max_requests_per_1_minute": 1}
    emulator.log.clear()
    return [(project_id, None) for project_id in ids], policy


def _calls(emulator: EmulatorServer) -> Counter[str]:
    return Counter(f"{e.method} {e.route}" for e in emulator.log.entries())


def _in_worker(emulator: EmulatorServer, targets: Any, policy: Any) -> tuple[SyncSteps, Any, list[list[str]]]:
    lines: list[list[str]] = []
    client = OpenAIAdminClient(emulator.admin_key, base_url=emulator.base_url)
    steps = SyncSteps(parse_plan(policy), fail_on_unknown=True, note=lambda level, line: lines.append([level, line]))

    def update(change: LimitChange) -> Any:
        return client.update_rate_limit(change.project_id, change.rate_limit_id, **change.updates())

    stopped = steps.run(targets, client.list_rate_limits, ThreadWriter(lambda change: steps.write(change, update)))
    assert stopped is None
    return steps, steps.conclude(), lines


def _in_triggerer(emulator: EmulatorServer, targets: Any, policy: Any) -> tuple[SyncSteps, Any, list[list[str]]]:
    lines: list[list[str]] = []
    steps = SyncSteps(parse_plan(policy), fail_on_unknown=True, note=lambda level, line: lines.append([level, line]))

    async def run() -> Exception | None:
        async with AsyncOpenAIAdminClient(emulator.admin_key, base_url=emulator.base_url) as client:

            async def read(project_id: str) -> list[Any]:
                return [item async for item in client.iter_list("list_rate_limits", project_id)]

            async def update(change: LimitChange) -> Any:
                ids = {"project_id": change.project_id, "rate_limit_id": change.rate_limit_id}
                return await client.request("POST", ROUTE, path_params=ids, json=change.updates(), idempotent=True)

            return await steps.arun(targets, read, TaskWriter(lambda change: steps.awrite(change, update)))

    assert asyncio.run(run()) is None
    return steps, steps.conclude(), lines


def parse_plan(policy: Any) -> SyncPlan:
    return SyncPlan(parse_policy(policy, "rate_limits"))


def _outcome(emulator: EmulatorServer, targets: Any, run: Any, policy: Any) -> tuple[Any, ...]:
    """What a run did, with the seeding's project ids replaced by their order."""
    steps, unknown, lines = run(emulator, targets, policy)
    text = repr((steps.plan.report(), lines, str(unknown), sorted(_calls(emulator).items())))
    for n, (project_id, _) in enumerate(targets):
        text = text.replace(project_id, f"<project {n}>")
    return text, steps.plan.counts(), len(emulator.log.writes())


def test_the_worker_and_the_triggerer_drive_the_same_steps_to_the_same_calls_report_and_lines(
    emulator: EmulatorServer,
) -> None:
    targets, policy = _seed(emulator)
    in_worker = _outcome(emulator, targets, _in_worker, policy)
    targets, policy = _seed(emulator)
    in_triggerer = _outcome(emulator, targets, _in_triggerer, policy)
    assert in_worker == in_triggerer
    assert in_worker[1]["updated"] == in_worker[2] == 3 * 2


def test_an_unknown_model_concludes_with_the_same_error_and_no_write_on_both_paths(emulator: EmulatorServer) -> None:
    targets, policy = _seed(emulator, unknown=True)
    in_worker = _outcome(emulator, targets, _in_worker, policy)
    targets, policy = _seed(emulator, unknown=True)
    in_triggerer = _outcome(emulator, targets, _in_triggerer, policy)
    assert in_worker == in_triggerer
    assert in_worker[2] == 0
    assert "invalid rate_limits['no-such-model']: unknown model(s)" in in_worker[0]
