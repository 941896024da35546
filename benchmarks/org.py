"""The organization as code at scale: plan and apply an org file of many projects, beside the
same work done by the obvious script with the official SDK.

The organization: ``P`` projects ``team-NNNN``, each with the organization owner as owner and
one of ``U`` people as member; every person is an organization member. The file keeps every
project, adds a second member (an organization member already) to each, and sets
``gpt-4o*`` to 500 requests per minute (two models of the catalog match, both differ).
"""

from __future__ import annotations

import copy
from typing import Any

from airflow_provider_openai_projects.emulator.server import EmulatorServer
from benchmarks.harness import Measurement, measured
from benchmarks.scenarios import _row, pages

OWNER = "owner@example.com"
RATE_LIMITS = {"gpt-4o*": {"max_requests_per_1_minute": 500}}


def person(i: int) -> str:
    return f"person-{i:04d}@example.com"


def seed(emulator: EmulatorServer, projects: int, people: int) -> dict[str, Any]:
    """Seed the organization (no API call) and return the org file's document."""
    state = emulator.state
    owner = next(u.id for u in state.users if u.email == OWNER)
    ids = [state.add_user(person(i), None, "reader")["id"] for i in range(people)]
    document: dict[str, Any] = {"settings": {"max_destructive_changes": 0}, "projects": {}}
    for n in range(projects):
        project = state.create_project(f"team-{n:04d}")["id"]
        state.add_project_user(project, "owner", user_id=owner)
        state.add_project_user(project, "member", user_id=ids[n % people])
        document["projects"][f"team-{n:04d}"] = {
            "members": {OWNER: "owner", person(n % people): "member", person((n + 1) % people): "member"},
            "rate_limits": copy.deepcopy(RATE_LIMITS),
        }
    return document


def matching_models(emulator: EmulatorServer) -> int:
    return sum(1 for m in emulator.state.models if m.id.startswith("gpt-4o"))


def org_as_code(
    emulator: EmulatorServer, *, projects: int, people: int, rate_per_minute: float | None
) -> list[Measurement]:
    """Plan, apply, second apply (provider).

    Minimum reads of a plan = ``pages(P + 1)`` (every project, archived included, one list)
    ``+ P * (pages(3) + pages(M))`` (each project's members and rate limits, the only families
    the file declares) ``+ pages(U + 1)`` (the organization's people: some listed member is
    not in their project yet, so whether they are in the organization must be known).
    Minimum writes of the first apply = ``P * (1 + K)``: one member added, ``K`` matching
    models updated per project. The second apply reads the same minus the people (everyone
    listed is a member already) and writes nothing.
    """
    from airflow_provider_openai_projects.hooks.admin import OpenAIAdminHook
    from airflow_provider_openai_projects.orgfile import engine
    from airflow_provider_openai_projects.orgfile.loader import load_document

    document = seed(emulator, projects, people)
    spec = load_document(document, "org.yaml")
    models = len(emulator.state.models)
    k = matching_models(emulator)
    per_project_reads = pages(3) + pages(models)
    plan_reads = pages(projects + 1) + projects * per_project_reads + pages(people + 1)
    second_reads = pages(projects + 1) + projects * per_project_reads
    writes = projects * (1 + k)
    hook = OpenAIAdminHook()
    hook.get_conn()  # the connection is read once per task, not per call: not part of the measure
    note = f"{projects} projects, {people} people, {models} models; +1 member and {k} limits per project"
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
    model the glob matches (no diff). Run twice. Minimum as for the provider's apply."""
    import fnmatch

    import openai

    document = seed(emulator, projects, people)
    org = openai.OpenAI(
        admin_api_key=emulator.admin_key, api_key="unused", base_url=emulator.base_url
    ).admin.organization
    models = len(emulator.state.models)
    k = matching_models(emulator)
    plan_reads = pages(projects + 1) + projects * (pages(3) + pages(models)) + pages(people + 1)
    rows = []
    for variant, writes, reads in (
        ("apply", projects * (1 + k), plan_reads),
        ("second apply", 0, plan_reads - pages(people + 1)),
    ):
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
                "no plan, no diff of limits, no last-owner guard; default retries, no pacing",
                failed,
            )
        )
    return rows
