"""The benchmark scenarios, written the way the provider is meant to be used.

Each scenario seeds the emulator's state directly (not through the API, so set-up costs
no calls), runs the provider's operators against it over HTTP, and returns
:class:`~benchmarks.harness.Measurement` rows. Every row carries the minimum number of
calls and writes the job needs; the formula is in each function's docstring.
``tests/performance`` runs these functions at a small size and asserts calls == minimum.
"""

from __future__ import annotations

import math
from typing import Any

import pendulum

from airflow_provider_openai_projects.emulator.server import EmulatorServer
from benchmarks.harness import Measurement, measured, task_context

PAGE = 100


def pages(items: int) -> int:
    """List requests needed to read ``items`` items (one, even for an empty list)."""
    return max(1, math.ceil(items / PAGE))


# -- rate-limit sync ------------------------------------------------------------------------


def seed_projects(emulator: EmulatorServer, count: int, prefix: str = "team") -> list[str]:
    return [emulator.state.create_project(f"{prefix}-{i:04d}")["id"] for i in range(count)]


def rate_limit_policy(emulator: EmulatorServer, changed_models: int) -> dict[str, dict[str, int]]:
    """The full desired state of every model's request and token limits, ``changed_models``
    of them different from the emulator's defaults."""
    policy: dict[str, dict[str, int]] = {}
    for n, model in enumerate(emulator.state.models):
        rpm = int(model.limits["max_requests_per_1_minute"])
        tpm = int(model.limits["max_tokens_per_1_minute"])
        if n < changed_models:
            rpm //= 2
        policy[model.id] = {"max_requests_per_1_minute": rpm, "max_tokens_per_1_minute": tpm}
    return policy


def rate_limit_sync(
    emulator: EmulatorServer, *, projects: int, changed_models: int, rate_per_minute: float | None
) -> list[Measurement]:
    """First run, second run (nothing to change), dry run, over every active project.

    Minimum calls = ``pages(P) + P * pages(M) + W`` with ``P`` active projects (the seeded
    ones and the default project), ``M`` models per project, ``W = P * changed_models``
    writes on the first run and 0 after (a dry run writes nothing either). Every limit must
    be read once, every differing one written once; there is no bulk endpoint.
    """
    from airflow_provider_openai_projects.operators import SyncRateLimitsOperator

    seed_projects(emulator, projects)
    active = projects + 1
    models = len(emulator.state.models)
    policy = rate_limit_policy(emulator, changed_models)
    reads = pages(active) + active * pages(models)
    rows = []
    for variant, dry_run, writes in (
        ("first run", False, active * changed_models),
        ("second run", False, 0),
        ("dry run", True, 0),
    ):
        op = SyncRateLimitsOperator(task_id="sync", rate_limits=policy, dry_run=dry_run)
        with measured(emulator) as cost:
            op.execute(task_context())
        rows.append(
            _row(
                "rate-limit sync",
                variant,
                "provider",
                cost,
                reads + writes,
                writes,
                rate_per_minute,
                f"{projects} projects x {models} models, {changed_models} models changed",
            )
        )
    return rows


# -- key rotation ----------------------------------------------------------------------------


def rotation(
    emulator: EmulatorServer, *, accounts: int, projects: int, rate_per_minute: float | None
) -> list[Measurement]:
    """Rotate ``accounts`` service accounts spread over ``projects`` projects, deleting the
    previous generation of each (``delete_previous=True, keep_previous=0``).

    Set-up (not measured): every account's first generation, made by the same operator.
    Minimum calls = ``A * 4``: per account one read of the project's service accounts
    (the crash-safety check: a generation created but never stored is an orphan to find),
    one create, one verification of the new key (``GET /v1/models``), one delete of the
    previous generation. Minimum writes = ``A * 2`` (create, delete).
    """
    from airflow_provider_openai_projects.operators import RotateServiceAccountOperator
    from airflow_provider_openai_projects.sinks.memory import InMemoryKeySink

    project_ids = seed_projects(emulator, projects, prefix="svc")
    sink = InMemoryKeySink()
    entries = [(project_ids[i % projects], f"app-{i:04d}") for i in range(accounts)]

    def rotate_all(when: pendulum.DateTime, delete_previous: bool) -> None:
        context = task_context(run_id=f"scheduled__{when.isoformat()}", run_after=when)
        for project_id, name in entries:
            RotateServiceAccountOperator(
                task_id="rotate",
                project_id=project_id,
                service_account_name=name,
                key_sink=sink,
                delete_previous=delete_previous,
                keep_previous=0,
                verify_backoff=0,
            ).execute(context)

    first = pendulum.datetime(2026, 11, 1, tz="UTC")
    rotate_all(first, delete_previous=False)
    with measured(emulator) as cost:
        rotate_all(first.add(weeks=1), delete_previous=True)
    return [
        _row(
            "key rotation",
            "rotate + delete previous",
            "provider",
            cost,
            accounts * 4,
            accounts * 2,
            rate_per_minute,
            f"{accounts} accounts in {projects} projects",
        )
    ]


# -- offboarding -----------------------------------------------------------------------------


def _seed_offboarding(
    emulator: EmulatorServer, projects: int, member_of: int, sole_owner_of: int, groups: int, through_group: int
) -> None:
    """The leaver, the successor, the projects and (with ``groups``) the leaver's group and its projects."""
    state = emulator.state
    leaver = state.add_user("leaver@example.com", "Leaver", "reader")
    state.add_user("successor@example.com", "Successor", "reader")
    project_ids = seed_projects(emulator, projects, prefix="org")
    for n, project_id in enumerate(project_ids[:member_of]):
        state.add_project_user(project_id, "owner" if n < sole_owner_of else "member", user_id=leaver["id"])
        if n % 10 == 0:
            state.create_user_api_key(project_id, leaver["id"], f"key-{n}")
    group_ids = [state.create_group(f"group-{n}")["id"] for n in range(groups)]
    if group_ids:
        state.add_group_user(group_ids[0], leaver["id"])
        role = next(r["id"] for r in state.list_roles(limit=1000)["data"] if r["name"] == "Project Member")
        for project_id in project_ids[member_of : member_of + through_group]:
            state.add_project_group(project_id, group_ids[0], role)


def offboarding(
    emulator: EmulatorServer,
    *,
    projects: int,
    member_of: int,
    sole_owner_of: int,
    rate_per_minute: float | None,
    groups: int = 0,
    through_group: int = 0,
) -> list[Measurement]:
    """Offboard a person who is in ``member_of`` of ``projects`` projects and the only owner
    of ``sole_owner_of`` of them, handing those to a successor. With ``groups`` the
    organization has that many groups, the person in the first, which was added to
    ``through_group`` projects the person is not a direct member of.

    Minimum calls = ``1`` (find the person) ``+ 1`` (their pending invites) ``+ pages(P)``
    (active projects, with the default one) ``+ P`` (each project's users: there is no
    "projects of a user" endpoint) ``+ 1 + G`` (the groups, 1000 a page, and each group's
    members: there is no "groups of a user" endpoint) ``+ (P if in a group)`` (each
    project's groups: which projects the person reaches through one) ``+ 1`` (the
    person's roles, to report the directly assigned ones) ``+ 1`` (find the successor)
    ``+ M + T`` (the API keys of each membership and of each project reached only through
    a group, to report the keys that stop working) ``+ S`` (successor made owner) ``+ 1``
    (remove from the organization: it also takes the person out of their groups and
    drops their role assignments). Minimum writes = ``S + 1``.
    """
    from airflow_provider_openai_projects.operators import OffboardUserOperator

    _seed_offboarding(emulator, projects, member_of, sole_owner_of, groups, through_group)
    active = projects + 1
    writes = sole_owner_of + 1
    group_reads = 1 + groups + (active if groups else 0)
    minimum = 1 + 1 + pages(active) + active + group_reads + 1 + 1 + member_of + through_group + writes
    op = OffboardUserOperator(task_id="offboard", email="leaver@example.com", successor_owner="successor@example.com")
    with measured(emulator) as cost:
        op.execute(task_context())
    variant = f"member of {member_of}, sole owner of {sole_owner_of}"
    notes = f"{projects} projects; groups: 1 page, the person's roles: 1 read"
    if groups:
        variant += f", {through_group} more through 1 of {groups} groups"
        notes = (
            f"{projects} projects; + {groups} group member lists, {active} project-group lists, "
            f"{through_group} key lists"
        )
    return [
        _row(
            "offboarding",
            variant,
            "provider",
            cost,
            minimum,
            writes,
            rate_per_minute,
            notes,
        )
    ]


# -- onboarding ------------------------------------------------------------------------------


def onboarding(emulator: EmulatorServer, *, projects: int, rate_per_minute: float | None) -> list[Measurement]:
    """Onboard a person into ``projects`` new projects, the way ``openai_onboarding`` does:
    ensure the projects (one look, creates), invite, see the invite accepted, add to each.

    Minimum calls = ``pages(existing) + N`` (look once, create each project) ``+ 3`` (is
    the person a member? a pending invite? invite) ``+ 1`` (see them a member after
    accepting) ``+ 2N`` (each project's users, add). Minimum writes = ``2N + 1``.
    """
    from airflow_provider_openai_projects.operators import (
        AddProjectUserOperator,
        EnsureProjectsOperator,
        InviteUserOperator,
    )

    email = "newcomer@example.com"
    names = [f"onboard-{i:03d}" for i in range(projects)]
    context = task_context()
    with measured(emulator) as cost:
        ensured = EnsureProjectsOperator(task_id="ensure", names=names).execute(context)
        invite = InviteUserOperator(task_id="invite", email=email).execute(context)
        emulator.accept_invite(invite["invite"]["id"])  # the person accepts (not an API call)
        _wait_until_member(email)
        for project in ensured:
            AddProjectUserOperator(task_id="add", project_id=project["id"], email=email, role="member").execute(context)
    minimum = pages(1) + projects + 3 + 1 + 2 * projects
    return [
        _row(
            "onboarding",
            f"1 person into {projects} new projects",
            "provider",
            cost,
            minimum,
            2 * projects + 1,
            rate_per_minute,
            "",
        )
    ]


def _wait_until_member(email: str) -> Any:
    """What ``OrganizationUserSensor`` does on its poke: one look at the organization's users."""
    from airflow_provider_openai_projects.hooks.admin import OpenAIAdminHook

    users = OpenAIAdminHook().list_users(emails=[email])
    assert users, f"{email} should be a member after accepting"
    return users[0]


def _row(
    scenario: str,
    variant: str,
    client: str,
    cost: Any,
    min_calls: int,
    min_writes: int,
    rate_per_minute: float | None,
    notes: str,
    failed_operations: int = 0,
) -> Measurement:
    return Measurement(
        scenario=scenario,
        variant=variant,
        client=client,
        calls=cost.calls,
        min_calls=min_calls,
        writes=cost.writes,
        min_writes=min_writes,
        throttled=cost.throttled,
        seconds=cost.seconds,
        rate_per_minute=rate_per_minute,
        notes=notes,
        failed_operations=failed_operations,
    )
