"""The same jobs written the obvious way with the official ``openai`` SDK, for comparison.

"Obvious" means what a script author would write first: list everything with the SDK's
auto-pagination, update every limit the policy names (no diff), create a new service
account and delete the old one (no verification, no crash safety), default retries and
no pacing. The SDK is a test/benchmark dependency only; the provider never imports it.
"""

from __future__ import annotations

from typing import Any

import pendulum

from airflow_provider_openai_projects.emulator.server import EmulatorServer
from benchmarks.harness import Measurement, measured
from benchmarks.scenarios import _row, pages, rate_limit_policy, seed_projects


def _client(emulator: EmulatorServer) -> Any:
    import openai

    return openai.OpenAI(admin_api_key=emulator.admin_key, api_key="unused", base_url=emulator.base_url)


def rate_limit_sync(
    emulator: EmulatorServer, *, projects: int, changed_models: int, rate_per_minute: float | None
) -> list[Measurement]:
    """Update every limit the policy names in every project, twice (first and second run)."""
    import openai

    seed_projects(emulator, projects)
    active = projects + 1
    models = len(emulator.state.models)
    policy = rate_limit_policy(emulator, changed_models)
    org = _client(emulator).admin.organization
    reads = pages(active) + active * pages(models)
    rows = []
    for variant, writes in (("first run", active * changed_models), ("second run", 0)):
        failed = 0
        with measured(emulator) as cost:
            for project in org.projects.list(limit=100):
                for limit in org.projects.rate_limits.list_rate_limits(project.id, limit=100):
                    desired = policy.get(limit.model)
                    if desired is None:
                        continue
                    try:
                        org.projects.rate_limits.update_rate_limit(limit.id, project_id=project.id, **desired)
                    except openai.APIError:
                        failed += 1
        rows.append(
            _row(
                "rate-limit sync",
                variant,
                "openai SDK",
                cost,
                reads + writes,
                writes,
                rate_per_minute,
                "updates every limit; default retries, no pacing",
                failed,
            )
        )
    return rows


def rotation(
    emulator: EmulatorServer, *, accounts: int, projects: int, rate_per_minute: float | None
) -> list[Measurement]:
    """For each account: create its replacement, keep the key in memory, delete the old one."""
    import openai

    org = _client(emulator).admin.organization
    project_ids = seed_projects(emulator, projects, prefix="svc")
    old = [
        (project_ids[i % projects], emulator.state.create_service_account(project_ids[i % projects], f"app-{i:04d}"))
        for i in range(accounts)
    ]
    keys: dict[str, str] = {}
    failed = 0
    stamp = pendulum.now("UTC").format("YYYYMMDD")
    with measured(emulator) as cost:
        for project_id, account in old:
            try:
                new = org.projects.service_accounts.create(project_id, name=f"{account['name']}-{stamp}")
                keys[new.id] = new.api_key.value if new.api_key else ""
                org.projects.service_accounts.delete(account["id"], project_id=project_id)
            except openai.APIError:
                failed += 1
    keys.clear()
    return [
        _row(
            "key rotation",
            "rotate + delete previous",
            "openai SDK",
            cost,
            accounts * 4,
            accounts * 2,
            rate_per_minute,
            "no verification, no crash safety (key only in memory)",
            failed,
        )
    ]
