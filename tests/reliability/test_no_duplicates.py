"""Guarantee 1, no duplicates: a create whose response is lost never makes a second object.

For every create path of the provider (a project, a team's projects, a service account, a
rotated generation, an invite, a project membership, an offboarded owner's successor), the
create's response is lost in every way the API can lose it (500/502/503, a dropped
connection, a read timeout; after the change was applied, or before it) and the provider
recovers either within the same try (it looks again and finds what it made) or through
Airflow's retry (its look-again fails too, so the try fails and a second ``execute`` with
the same DAG-run context finishes the job). The emulator's state is then counted: each
intended object exists exactly once. Then random faults on random write and lookup routes,
a final clean re-run, and the same count.

The connection has ``max_retries=0``: every failure the client would otherwise retry
reaches the operator (or Airflow's retry), which is the path under test.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pendulum
import pytest
from airflow.sdk import BaseOperator
from airflow.sdk.exceptions import AirflowFailException

from airflow_provider_openai_projects.domain.key_generations import generation_from_run, pending_entry_name
from airflow_provider_openai_projects.emulator.faults import FaultRule
from airflow_provider_openai_projects.emulator.server import EmulatorServer
from airflow_provider_openai_projects.operators.invites import InviteUserOperator
from airflow_provider_openai_projects.operators.offboarding import OffboardUserOperator
from airflow_provider_openai_projects.operators.project_users import AddProjectUserOperator
from airflow_provider_openai_projects.operators.projects import CreateProjectOperator, EnsureProjectsOperator
from airflow_provider_openai_projects.operators.rotation import RotateServiceAccountOperator
from airflow_provider_openai_projects.operators.service_accounts import CreateServiceAccountOperator
from airflow_provider_openai_projects.sinks.memory import InMemoryKeySink
from tests.operators.conftest import make_context
from tests.reliability.conftest import Ledger
from tests.reliability.harness import (
    LOST_RESPONSES,
    READ_TIMEOUT,
    LostResponse,
    accounts_named,
    active_projects_named,
    armed,
    as_a_new_task_process,
    connect,
    duplicates,
    injected_faults,
    invites_for,
    let_first_through,
    memberships_of,
    project_of,
    role_in,
    run_like_airflow,
)

RUN_ID = "scheduled__2026-11-26T08:00:00+00:00"
RUN_AFTER = "2026-11-26T08:00:00Z"
PREVIOUS_RUN_ID = "scheduled__2026-11-19T08:00:00+00:00"
PREVIOUS_RUN_AFTER = "2026-11-19T08:00:00Z"
ENTRY = "openai_team_api_key"
BOT_ENTRY = "openai_etl_bot_api_key"
NEW_HIRE = "new.hire@example.com"


def this_run() -> Any:
    return make_context(run_id=RUN_ID, run_after=RUN_AFTER)


def generation_name(logical: str, run_id: str = RUN_ID, run_after: str = RUN_AFTER) -> str:
    after = pendulum.parse(run_after)
    assert isinstance(after, pendulum.DateTime)
    return f"{logical}--{generation_from_run(after, run_id)}"


@dataclass
class CreatePath:
    """One create path, set up in the emulator: the task, the create to fault, where the
    operator looks again after an ambiguous failure, and what must then exist exactly once."""

    make: Callable[[], BaseOperator]
    create: str
    lookup: str
    counts: Callable[[], dict[str, int]]
    check: Callable[[], None] = lambda: None
    context: Any = field(default_factory=this_run)
    #: GETs of ``lookup`` the operator makes before its create (its look before creating).
    looks_before: int = 1


def stored_key_works(emulator: EmulatorServer, sink: InMemoryKeySink, entry: str, account_ids: list[str]) -> None:
    """The sink's entry holds the key of the one account and the key works."""
    stored = sink.load(entry)
    assert stored is not None, f"no key stored at {entry!r}"
    assert [stored.metadata["service_account_id"]] == account_ids
    assert emulator.use_key(stored.value) == 200


def create_project(emulator: EmulatorServer) -> CreatePath:
    return CreatePath(
        make=lambda: CreateProjectOperator(task_id="create_project", name="Reliability"),
        create="/organization/projects",
        lookup="/organization/projects",
        counts=lambda: {"Reliability": active_projects_named(emulator, "Reliability")},
    )


def ensure_projects(emulator: EmulatorServer) -> CreatePath:
    names = ["Team A", "Team B", "Team C"]
    emulator.state.create_project("Team B")
    return CreatePath(
        make=lambda: EnsureProjectsOperator(task_id="ensure_projects", names=names),
        create="/organization/projects",
        lookup="/organization/projects",
        counts=lambda: {n: active_projects_named(emulator, n) for n in names},
    )


def create_service_account(emulator: EmulatorServer) -> CreatePath:
    project_id = emulator.state.create_project("Bots")["id"]
    sink = InMemoryKeySink()
    path = f"/organization/projects/{project_id}/service_accounts"
    return CreatePath(
        make=lambda: CreateServiceAccountOperator(
            task_id="create_service_account", project_id=project_id, name="etl-bot", key_sink=sink
        ),
        create=path,
        lookup=path,
        counts=lambda: {"etl-bot": len(accounts_named(emulator, project_id, "etl-bot"))},
        check=lambda: stored_key_works(emulator, sink, BOT_ENTRY, accounts_named(emulator, project_id, "etl-bot")),
    )


def rotate_service_account(emulator: EmulatorServer) -> CreatePath:
    project_id = emulator.state.create_project("Rotated")["id"]
    sink = InMemoryKeySink()
    path = f"/organization/projects/{project_id}/service_accounts"
    name = generation_name("team")

    def check() -> None:
        stored_key_works(emulator, sink, ENTRY, accounts_named(emulator, project_id, name))
        assert sink.load(pending_entry_name(ENTRY)) is None

    return CreatePath(
        make=lambda: RotateServiceAccountOperator(
            task_id="rotate", project_id=project_id, service_account_name="team", key_sink=sink, verify_backoff=0
        ),
        create=path,
        lookup=path,
        counts=lambda: {name: len(accounts_named(emulator, project_id, name))},
        check=check,
    )


def invite_user(emulator: EmulatorServer) -> CreatePath:
    project_id = emulator.state.create_project("Onboarding")["id"]
    return CreatePath(
        make=lambda: InviteUserOperator(
            task_id="invite", email=NEW_HIRE, projects=[{"id": project_id, "role": "member"}]
        ),
        create="/organization/invites",
        lookup="/organization/invites",
        counts=lambda: {NEW_HIRE: invites_for(emulator, NEW_HIRE)},
    )


def add_project_user(emulator: EmulatorServer) -> CreatePath:
    project_id = emulator.state.create_project("Members")["id"]
    user_id = emulator.add_org_user("member@example.com")["id"]
    path = f"/organization/projects/{project_id}/users"

    def check() -> None:
        assert role_in(emulator, project_id, user_id) == "member"

    return CreatePath(
        make=lambda: AddProjectUserOperator(task_id="add", project_id=project_id, user_id=user_id, role="member"),
        create=path,
        lookup=path,
        counts=lambda: {user_id: memberships_of(emulator, project_id, user_id)},
        check=check,
    )


def offboard_successor(emulator: EmulatorServer) -> CreatePath:
    project_id = emulator.state.create_project("Owned")["id"]
    leaver = emulator.add_org_user("leaver@example.com")["id"]
    successor = emulator.add_org_user("successor@example.com")["id"]
    emulator.state.add_project_user(project_id, "owner", user_id=leaver)
    path = f"/organization/projects/{project_id}/users"

    def check() -> None:
        assert role_in(emulator, project_id, successor) == "owner"
        assert emulator.state.users.get(leaver) is None

    return CreatePath(
        make=lambda: OffboardUserOperator(
            task_id="offboard", email="leaver@example.com", successor_owner="successor@example.com"
        ),
        create=path,
        lookup=path,
        counts=lambda: {successor: memberships_of(emulator, project_id, successor)},
        check=check,
    )


CREATE_PATHS: dict[str, Callable[[EmulatorServer], CreatePath]] = {
    "CreateProject": create_project,
    "EnsureProjects": ensure_projects,
    "CreateServiceAccount": create_service_account,
    "RotateServiceAccount": rotate_service_account,
    "InviteUser": invite_user,
    "AddProjectUser": add_project_user,
    "OffboardUser-successor": offboard_successor,
}


@pytest.mark.parametrize("recovery", ["same-try", "airflow-retry"])
@pytest.mark.parametrize("fault", LOST_RESPONSES, ids=lambda f: f.id)
@pytest.mark.parametrize("operator", list(CREATE_PATHS))
def test_a_lost_create_response_never_leads_to_a_second_object(
    emulator: EmulatorServer,
    monkeypatch: pytest.MonkeyPatch,
    ledger: Ledger,
    operator: str,
    fault: LostResponse,
    recovery: str,
) -> None:
    connect(monkeypatch, emulator, max_retries=0, **({"timeout": READ_TIMEOUT} if fault.needs_read_timeout else {}))
    target = CREATE_PATHS[operator](emulator)
    emulator.log.clear()
    if recovery == "airflow-retry":
        # The look-again after the lost response fails too: the try fails, Airflow retries.
        let_first_through(emulator, "GET", target.lookup, target.looks_before)
        emulator.faults.add(fault.rule("POST", target.create))
        emulator.faults.add(FaultRule(method="GET", path=target.lookup, status=503))
    else:
        emulator.faults.add(fault.rule("POST", target.create))

    _, failed_tries = run_like_airflow(target.make, target.context, tries=2, ledger=ledger)

    ledger.add("faults_injected", injected_faults(emulator))
    counts = target.counts()
    ledger.add("duplicates_found", duplicates(counts.values()))
    assert counts == dict.fromkeys(counts, 1), f"each intended object exactly once, found {counts}"
    assert len(failed_tries) == (1 if recovery == "airflow-retry" else 0)
    assert armed(emulator, "POST", target.create) == 0, "the fault hit the create"
    target.check()

    emulator.log.clear()
    ledger.add("runs")
    target.make().execute(target.context)
    assert emulator.log.writes() == [], "once converged, a re-run writes nothing"


# -- random faults on random routes, then a clean re-run ----------------------------------

#: Writes the pipeline below makes (creates, and the deletes of its clean-ups and offboarding).
WRITE_ROUTES = (
    ("POST", "/organization/projects"),
    ("POST", "/organization/projects/*/service_accounts"),
    ("DELETE", "/organization/projects/*/service_accounts/*"),
    ("POST", "/organization/invites"),
    ("POST", "/organization/projects/*/users"),
    ("DELETE", "/organization/users/*"),
)
#: Reads an operator looks again with (a failure there fails the try: Airflow's retry path).
LOOKUP_ROUTES = (
    ("GET", "/organization/projects"),
    ("GET", "/organization/projects/*/service_accounts"),
    ("GET", "/organization/invites"),
    ("GET", "/organization/projects/*/users"),
    ("GET", "/models"),
)
RANDOM_READ_TIMEOUT = 1.0
TRIES = 3  # retries=2, as a DAG would set them


@dataclass
class Pipeline:
    """An onboarding-and-rotation day: every create path once, against one seeded organization."""

    emulator: EmulatorServer
    sink: InMemoryKeySink = field(default_factory=InMemoryKeySink)

    def __post_init__(self) -> None:
        state = self.emulator.state
        self.seeded_projects = len(list(state.projects))
        self.apps = str(state.create_project("Apps")["id"])
        self.owned = str(state.create_project("Owned")["id"])
        self.member = str(self.emulator.add_org_user("member@example.com")["id"])
        self.leaver = str(self.emulator.add_org_user("leaver@example.com")["id"])
        self.successor = str(self.emulator.add_org_user("successor@example.com")["id"])
        state.add_project_user(self.owned, "owner", user_id=self.leaver)
        # Last week's rotation: the previous generation this run replaces and deletes.
        RotateServiceAccountOperator(
            task_id="rotate", project_id=self.apps, service_account_name="team", key_sink=self.sink, verify_backoff=0
        ).execute(make_context(run_id=PREVIOUS_RUN_ID, run_after=PREVIOUS_RUN_AFTER))

    def steps(self) -> dict[str, Callable[[], BaseOperator]]:
        apps, sink = self.apps, self.sink
        return {
            "ensure_projects": lambda: EnsureProjectsOperator(task_id="ensure", names=["Alpha", "Beta"]),
            "create_project": lambda: CreateProjectOperator(task_id="create_project", name="Gamma"),
            "create_service_account": lambda: CreateServiceAccountOperator(
                task_id="create_service_account", project_id=apps, name="etl-bot", key_sink=sink
            ),
            "rotate": lambda: RotateServiceAccountOperator(
                task_id="rotate",
                project_id=apps,
                service_account_name="team",
                key_sink=sink,
                verify_backoff=0,
                delete_previous=True,
                keep_previous=0,
            ),
            "invite": lambda: InviteUserOperator(task_id="invite", email=NEW_HIRE, projects=[]),
            "add_member": lambda: AddProjectUserOperator(
                task_id="add_member", project_id=apps, user_id=self.member, role="member"
            ),
            "offboard": lambda: OffboardUserOperator(
                task_id="offboard", email="leaver@example.com", successor_owner="successor@example.com"
            ),
        }

    def counts(self) -> dict[str, int]:
        """How many of each intended object exist (each must be 1)."""
        emulator, apps = self.emulator, self.apps
        return {
            **{f"project {n}": active_projects_named(emulator, n) for n in ("Alpha", "Beta", "Gamma")},
            "service account etl-bot": len(accounts_named(emulator, apps, "etl-bot")),
            "generation of this run": len(accounts_named(emulator, apps, generation_name("team"))),
            f"invite {NEW_HIRE}": invites_for(emulator, NEW_HIRE),
            "member of Apps": memberships_of(emulator, apps, self.member),
            "successor owner of Owned": memberships_of(emulator, self.owned, self.successor),
        }

    def assert_exactly_the_intended_objects(self) -> None:
        emulator, apps = self.emulator, self.apps
        assert len(list(emulator.state.projects)) == self.seeded_projects + 2 + 3, "no other project"
        names = sorted(a.name for a in project_of(emulator, apps).service_accounts)
        assert names == sorted(["etl-bot", generation_name("team")]), "no orphan, no previous generation"
        assert len(list(emulator.state.invites)) == 1
        stored_key_works(emulator, self.sink, BOT_ENTRY, accounts_named(emulator, apps, "etl-bot"))
        stored_key_works(emulator, self.sink, ENTRY, accounts_named(emulator, apps, generation_name("team")))
        assert self.sink.names() == sorted([BOT_ENTRY, ENTRY]), "no pending entry left"
        assert role_in(emulator, apps, self.member) == "member"
        assert role_in(emulator, self.owned, self.successor) == "owner"
        assert emulator.state.users.get(self.leaver) is None


def random_rules(rng: random.Random) -> list[FaultRule]:
    rules = []
    for _ in range(rng.randint(1, 4)):
        if rng.random() < 0.75:
            method, path = rng.choice(WRITE_ROUTES)
            fault = rng.choice(LOST_RESPONSES)
            rules.append(fault.rule(method, path, times=rng.randint(1, 2), slow=2 * RANDOM_READ_TIMEOUT))
        else:
            method, path = rng.choice(LOOKUP_ROUTES)
            rules.append(FaultRule(method=method, path=path, status=rng.choice([500, 502, 503]), times=1))
    return rules


def test_random_faults_then_a_clean_rerun_leave_each_intended_object_exactly_once(
    emulator: EmulatorServer, monkeypatch: pytest.MonkeyPatch, ledger: Ledger, repetitions: int
) -> None:
    connect(monkeypatch, emulator, max_retries=0, timeout=RANDOM_READ_TIMEOUT)
    for repetition in range(repetitions):
        rng = random.Random(f"no-duplicates-{repetition}")
        emulator.reset()
        as_a_new_task_process()
        pipeline = Pipeline(emulator)
        rules = random_rules(rng)
        emulator.log.clear()
        for rule in rules:
            emulator.faults.add(rule)
        where = f"repetition {repetition}, rules {[(r.method, r.path, r.describe(), r.times) for r in rules]}"

        succeeded: set[str] = set()
        for name, make in pipeline.steps().items():
            try:
                run_like_airflow(make, this_run(), tries=TRIES, ledger=ledger)
            except AirflowFailException as error:
                raise AssertionError(f"{where}: {name} failed for good (no retry would help): {error}") from error
            except Exception:  # noqa: S112 (every try failed: the clean re-run below must finish the job)
                continue
            succeeded.add(name)
        ledger.add("faults_injected", injected_faults(emulator))

        emulator.faults.clear()
        for name, make in pipeline.steps().items():
            emulator.log.clear()
            ledger.add("runs")
            make().execute(this_run())
            if name in succeeded:
                assert emulator.log.writes() == [], f"{where}: {name} had converged, its re-run must not write"

        counts = pipeline.counts()
        ledger.add("duplicates_found", duplicates(counts.values()))
        assert counts == dict.fromkeys(counts, 1), f"{where}: {counts}"
        pipeline.assert_exactly_the_intended_objects()
