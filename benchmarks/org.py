"""The organization as code at scale: plan and apply an org file of many projects, beside the
same work done by the obvious script with the official SDK.

The organization: ``P`` projects ``team-NNNN``, each with the organization owner as owner and
one of ``U`` people as member; every person is an organization member. The file keeps every
project, adds a second member (an organization member already) to each, sets ``gpt-4o*`` to
500 requests per minute (``K`` models of the catalog match, all differ) and allows each
project only the ``gpt-4o*`` models (model permissions: one per project, all at the API's
initial "every model allowed").
"""

from __future__ import annotations

import copy
import os
import time
from typing import Any

from airflow_provider_openai_projects.emulator.server import EmulatorServer
from benchmarks.harness import Measurement, measured
from benchmarks.scenarios import _row, pages

OWNER = "owner@example.com"
RATE_LIMITS = {"gpt-4o*": {"max_requests_per_1_minute": 500}}
SECTION_TITLE = "## The organization as code"


def permissions(emulator: EmulatorServer) -> dict[str, Any]:
    """The model permissions every project of the file gets: the ``gpt-4o*`` models only."""
    return {"mode": "allow_list", "model_ids": [m.id for m in emulator.state.models if m.id.startswith("gpt-4o")]}


def person(i: int) -> str:
    return f"person-{i:04d}@example.com"


def seed(emulator: EmulatorServer, projects: int, people: int) -> dict[str, Any]:
    """Seed the organization (no API call) and return the org file's document."""
    state = emulator.state
    owner = next(u.id for u in state.users if u.email == OWNER)
    ids = [state.add_user(person(i), None, "reader")["id"] for i in range(people)]
    # Allowing only gpt-4o* narrows every project's access (risky: one object each).
    document: dict[str, Any] = {"settings": {"max_destructive_changes": projects}, "projects": {}}
    allowed = permissions(emulator)
    for n in range(projects):
        project = state.create_project(f"team-{n:04d}")["id"]
        state.add_project_user(project, "owner", user_id=owner)
        state.add_project_user(project, "member", user_id=ids[n % people])
        document["projects"][f"team-{n:04d}"] = {
            "members": {OWNER: "owner", person(n % people): "member", person((n + 1) % people): "member"},
            "rate_limits": copy.deepcopy(RATE_LIMITS),
            "model_permissions": copy.deepcopy(allowed),
        }
    return document


def matching_models(emulator: EmulatorServer) -> int:
    return sum(1 for m in emulator.state.models if m.id.startswith("gpt-4o"))


def minimum_reads(projects: int, people: int, models: int) -> int:
    """The list reads of a plan of the file (the same for the first and a second run):
    ``pages(P + 1)`` (every project, archived included, one list) ``+ P * (pages(3) +
    pages(M) + 1)`` (each project's members, rate limits and model permissions: the
    families the file declares) ``+ pages(U + 1)`` (the organization's people, read once
    because the file names people: whether someone listed is in the organization must be
    known before the project is read) ``+ 1`` (the pending invites, one list: a pending invite
    could give someone a role in a project whose members the file lists, so the plan shows it;
    there is none here)."""
    return pages(projects + 1) + projects * (pages(3) + pages(models) + 1) + pages(people + 1) + 1


def minimum_writes(projects: int, matching: int) -> int:
    """The writes of the first apply: per project one added member, the ``K`` matching
    limits and the model permissions: ``P * (1 + K + 1)``. A second apply writes none."""
    return projects * (1 + matching + 1)


def org_as_code(
    emulator: EmulatorServer, *, projects: int, people: int, rate_per_minute: float | None
) -> list[Measurement]:
    """Plan, apply, second apply (provider): reads :func:`minimum_reads` each, writes
    :func:`minimum_writes` then none."""
    from airflow_provider_openai_projects.hooks.admin import OpenAIAdminHook
    from airflow_provider_openai_projects.orgfile import engine
    from airflow_provider_openai_projects.orgfile.loader import load_document

    document = seed(emulator, projects, people)
    spec = load_document(document, "org.yaml")
    models = len(emulator.state.models)
    k = matching_models(emulator)
    plan_reads = second_reads = minimum_reads(projects, people, models)
    writes = minimum_writes(projects, k)
    hook = OpenAIAdminHook()
    hook.get_conn()  # the connection is read once per task, not per call: not part of the measure
    note = f"{projects} projects, {people} people, {models} models; per project +1 member, {k} limits, permissions"
    rows = []
    with measured(emulator) as cost:
        plan = engine.plan(hook, spec)
    assert len(plan.changes) == writes
    rows.append(_row("org as code", "plan", "provider", cost, plan_reads, 0, rate_per_minute, note))
    with measured(emulator) as cost:
        engine.apply(hook, spec)
    rows.append(_row("org as code", "apply", "provider", cost, plan_reads + writes, writes, rate_per_minute, note))
    with measured(emulator) as cost:
        engine.apply(hook, spec)
    rows.append(_row("org as code", "second apply", "provider", cost, second_reads, 0, rate_per_minute, note))
    return rows


def org_as_code_sdk(
    emulator: EmulatorServer, *, projects: int, people: int, rate_per_minute: float | None
) -> list[Measurement]:
    """The obvious script: list projects; per project in the file list its members, add the
    missing ones by email, remove the unlisted ones, list its rate limits and update every
    model the glob matches (no diff), set its model permissions (no read, no diff). Run
    twice. Minimum as for the provider's apply."""
    import fnmatch

    import openai

    document = seed(emulator, projects, people)
    org = openai.OpenAI(
        admin_api_key=emulator.admin_key, api_key="unused", base_url=emulator.base_url
    ).admin.organization
    models = len(emulator.state.models)
    k = matching_models(emulator)
    reads = minimum_reads(projects, people, models)
    rows = []
    for variant, writes in (("apply", minimum_writes(projects, k)), ("second apply", 0)):
        failed = 0
        with measured(emulator) as cost:
            for project in org.projects.list(limit=100):
                wanted = document["projects"].get(project.name)
                if wanted is None:
                    continue
                try:
                    live = {u.email: u for u in org.projects.users.list(project.id, limit=100)}
                    for email, role in wanted["members"].items():
                        if email not in live:
                            org.projects.users.create(project.id, role=role, email=email)
                        elif live[email].role != role:
                            org.projects.users.update(live[email].id, project_id=project.id, role=role)
                    for email, user in live.items():
                        if email not in wanted["members"]:
                            org.projects.users.delete(user.id, project_id=project.id)
                    for limit in org.projects.rate_limits.list_rate_limits(project.id, limit=100):
                        for glob, fields in wanted["rate_limits"].items():
                            if fnmatch.fnmatchcase(limit.model, glob):
                                org.projects.rate_limits.update_rate_limit(limit.id, project_id=project.id, **fields)
                    org.projects.model_permissions.update(project.id, **wanted["model_permissions"])
                except openai.APIError:
                    failed += 1
        rows.append(
            _row(
                "org as code",
                variant,
                "openai SDK",
                cost,
                reads + writes,
                writes,
                rate_per_minute,
                "no plan, no diff of limits or permissions, no last-owner guard; default retries, no pacing",
                failed,
            )
        )
    return rows


def render(
    rows: list[Measurement],
    rate: float,
    burst: int,
    load: tuple[tuple[float, float, float], tuple[float, float, float]],
    projects: int,
) -> list[str]:
    """The section "The organization as code" of docs/performance.md (``load``: the load
    averages at the start and the end of the run)."""
    when = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    start, end = ((f"{a:.1f} / {b:.1f} / {c:.1f}") for a, b, c in load)
    provider = [r for r in rows if r.client == "provider"]
    worst = max((r.ratio or 0.0 for r in provider), default=0.0)
    at_minimum = all((r.calls, r.writes) == (r.min_calls, r.min_writes) for r in provider)
    lines = [
        SECTION_TITLE,
        "",
        f"Run {when} (`python -m benchmarks --only-org`); load average {start} at the start, {end} at the end,",
        f"on {os.cpu_count()} CPUs shared with other jobs. The emulator throttles each endpoint to {rate:g} requests",
        f"per minute (bucket of {burst}); the provider's connection paces itself to the same rate, the SDK script",
        "uses the SDK's defaults. *Floor* is calls / rate; *min* are the formulas of `benchmarks/org.py`",
        "(`minimum_reads`, `minimum_writes`).",
        "",
        f"The file: {projects} projects, each with members (one to add), rate limits (`gpt-4o*`) and model",
        "permissions (allow only `gpt-4o*`). The plan reads the project list once, the organization's people",
        "once, then per project only the three things the file declares; the apply writes exactly the",
        "differences; a second apply reads the same and writes nothing. The SDK script (the obvious one: no",
        "plan, no diff) rewrites every matching limit and the permissions on every run.",
        "",
        "| run | client | calls | min calls | writes | min writes | 429s | wall s | floor s | wall / floor "
        "| failed ops |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        lines.append(
            f"| {r.variant} | {r.client} | {r.calls} | {r.min_calls} | {r.writes} | {r.min_writes} | {r.throttled} "
            f"| {r.seconds:.1f} | {r.floor_seconds or 0:.1f} | {r.ratio or 0:.2f} | {r.failed_operations} |"
        )
    lines += [
        "",
        f"Provider: calls and writes {'equal' if at_minimum else 'DO NOT equal'} the minimum; worst wall / floor "
        f"{worst:.2f} (target <= 1.1): "
        + ("met." if worst <= 1.1 else "not met in this run, on a machine loaded as the load average above says."),
        "",
    ]
    return lines
