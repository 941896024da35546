"""The progress count of a plan is exact for every family: ``expected_reads`` equals the
reads the emulator logs, and is known before the first per-project read."""

from __future__ import annotations

import copy

import pytest

from airflow_provider_openai_projects.client import OpenAIAdminClient
from airflow_provider_openai_projects.emulator.server import EmulatorServer
from airflow_provider_openai_projects.orgfile import engine, read_count
from airflow_provider_openai_projects.orgfile.changes import Change
from airflow_provider_openai_projects.orgfile.handlers import HANDLERS, ApplyContext, PlanContext
from airflow_provider_openai_projects.orgfile.handlers.projects import oldest_active
from airflow_provider_openai_projects.orgfile.model import OrgSpec
from airflow_provider_openai_projects.orgfile.progress import Progress
from airflow_provider_openai_projects.orgfile.read_count import expected_reads, read_organization_lists
from airflow_provider_openai_projects.orgfile.reader import LiveReader

from .conftest import reads, spec
from .every_family import DOCUMENT, seed_everything


class Recorder(Progress):
    def __init__(self) -> None:
        self.steps: list[tuple[str, int, int]] = []

    def step(self, stage: str, done: int, total: int) -> None:
        if stage == "reading the organization":
            self.steps.append((stage, done, total))


def organization_wide_reads(emulator: EmulatorServer) -> int:
    """GETs of the organization-wide lists (projects, users, invites, groups, roles)."""
    wide = {"/organization/projects", "/organization/users", "/organization/invites"}
    wide |= {"/organization/groups", "/organization/roles"}
    return sum(1 for e in emulator.log.entries() if e.method == "GET" and e.path in wide)


def test_expected_reads_equals_the_reads_logged_for_a_file_of_every_family(
    client: OpenAIAdminClient, emulator: EmulatorServer
) -> None:
    seed_everything(emulator)
    recorder = Recorder()

    plan = engine.plan(client, spec(DOCUMENT), recorder)

    logged = reads(emulator)
    assert plan.reads == logged == 16
    # the count is final once the organization-wide lists are read, before any other read
    wide = organization_wide_reads(emulator)
    assert wide == 5
    assert [total for _stage, _done, total in recorder.steps[wide - 1 :]] == [logged] * (logged - wide + 1)
    assert recorder.steps[-1] == ("reading the organization", logged, logged)
    emulator.log.clear()
    reader = LiveReader(client)
    read_organization_lists(spec(DOCUMENT), reader)
    assert reads(emulator) == wide
    assert expected_reads(spec(DOCUMENT), reader) == logged


def test_expected_reads_is_exact_in_sync_and_when_projects_are_all_new(
    client: OpenAIAdminClient, emulator: EmulatorServer
) -> None:
    seed_everything(emulator)
    engine.apply(client, spec(DOCUMENT))
    for document in (DOCUMENT, {**copy.deepcopy(DOCUMENT), "projects": {"fresh": DOCUMENT["projects"]["team-new"]}}):
        emulator.log.clear()
        recorder = Recorder()
        plan = engine.plan(client, spec(document), recorder)
        assert plan.reads == reads(emulator) == recorder.steps[-1][2], document["projects"].keys()
        assert len({total for _stage, _done, total in recorder.steps[5:]}) <= 1


def test_expected_reads_counts_the_service_account_spend_and_certificate_keys(
    client: OpenAIAdminClient, emulator: EmulatorServer
) -> None:
    """The families that count their own reads: one per live scope declaring each key, the
    organization's certificates once; nothing for a project the plan creates."""
    seed_everything(emulator)
    document = copy.deepcopy(DOCUMENT)
    scoped = {"spend_limit": "none", "spend_alerts": [], "certificates": []}
    document["organization"].update(scoped)
    for name in ("team-search", "team-new"):  # live, and created by the plan
        document["projects"][name].update(
            scoped, service_accounts={"bot": {"sink": "variable", "entry": f"{name}-bot"}}
        )
    recorder = Recorder()

    plan = engine.plan(client, spec(document), recorder)

    # organization: its spend limit, its alerts, its certificates (the list names resolve
    # against); team-search: the same three and its service accounts; team-new: nothing.
    assert plan.reads == reads(emulator) == recorder.steps[-1][2] == 16 + 3 + 4


class ProjectObjectFamily:
    """A family added later (as a new handler module would be): reads one object per live
    project of the file and counts those reads itself (``count_reads``)."""

    family = "project_object"

    def plan(self, ctx: PlanContext) -> list[Change]:
        get = ctx.reader.client.get_project
        for name, project in ctx.projects.items():
            if project is not None:
                ctx.reader.read(f"{self.family}/{name}", ("id",), lambda pid=str(project["id"]): [get(pid)])
        return []

    def apply(self, change: Change, ctx: ApplyContext) -> int:
        return 0

    def count_reads(self, spec: OrgSpec, reader: LiveReader) -> int:
        live = reader.snapshot.get("projects", [])
        return sum(
            1 for name, p in spec.projects.items() if not p.wants_archived and oldest_active(live, name) is not None
        )


def test_a_family_added_later_counts_its_own_reads(
    client: OpenAIAdminClient, emulator: EmulatorServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    seed_everything(emulator)
    extended = (*HANDLERS, ProjectObjectFamily())
    monkeypatch.setattr(engine, "HANDLERS", extended)
    monkeypatch.setattr(read_count, "HANDLERS", extended)
    recorder = Recorder()

    plan = engine.plan(client, spec(DOCUMENT), recorder)

    assert plan.reads == reads(emulator) == recorder.steps[-1][2] == 16 + 2  # team-search, team-ads
