"""The progress count of a plan is exact for every family: ``expected_reads`` equals the
reads the emulator logs, and is known before the first per-project read."""

from __future__ import annotations

import copy

from airflow_provider_openai_projects.client import OpenAIAdminClient
from airflow_provider_openai_projects.emulator.server import EmulatorServer
from airflow_provider_openai_projects.orgfile import engine
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
