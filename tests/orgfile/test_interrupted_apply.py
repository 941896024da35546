"""An apply interrupted at each of its writes, then run again, converges with no duplicate,
for a file touching every family (create, update and removal of each where it has them).

For every k, the k-th write of the apply meets a fault in the emulator: its response is
lost (500 after it was applied), it fails (500 before it is applied) or the connection
drops after it was applied. The client does not retry, so the apply either recovers (a
create looks before it repeats) or stops; a second apply then finishes. Afterwards the
live state is the file's (a fresh plan is empty, the export is the uninterrupted run's),
no object exists twice, every needed write was applied exactly once, and the only extra
writes are the repeats of writes that failed before being applied. With a client that
retries as the hook does, a lost response costs at most that one write repeated, and the
single apply finishes.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from airflow_provider_openai_projects.client import OpenAIAdminClient
from airflow_provider_openai_projects.emulator.faults import FaultRule
from airflow_provider_openai_projects.emulator.server import EmulatorServer
from airflow_provider_openai_projects.orgfile import engine
from airflow_provider_openai_projects.orgfile.engine import ApplyError

from .conftest import spec
from .every_family import DOCUMENT, minimum_writes, seed_everything

WRITES = 35
"""The apply's writes from the seeded state (``every_family.minimum_writes``; checked below)."""

FAULTS: dict[str, dict[str, Any]] = {
    "lost-response": {"status": 500, "when": "after"},
    "failed-write": {"status": 500, "when": "before"},
    "dropped-connection": {"drop": True, "when": "after"},
}


@pytest.fixture
def retrying_client(emulator: EmulatorServer) -> Iterator[OpenAIAdminClient]:
    """A client that retries as the hook does (idempotent writes repeated after a 5xx)."""
    with OpenAIAdminClient(
        emulator.admin_key, base_url=emulator.base_url, max_retries=3, backoff_initial=0.01, backoff_max=0.02
    ) as admin:
        yield admin


@dataclass(frozen=True)
class Reference:
    """What the uninterrupted apply did: its writes' methods in order, and the export after it."""

    methods: list[str]
    exported: dict[str, Any]


_reference: list[Reference] = []


def reference(client: OpenAIAdminClient, emulator: EmulatorServer) -> Reference:
    """The uninterrupted run (made once per module, then the emulator is reset)."""
    if not _reference:
        seed_everything(emulator)
        engine.apply(client, spec(DOCUMENT))
        methods = [e.method for e in emulator.log.writes()]
        _reference.append(Reference(methods, engine.export(client)))
        emulator.reset()
    return _reference[0]


def arm_fault_at_write(emulator: EmulatorServer, methods: list[str], k: int, fault: dict[str, Any]) -> None:
    """Arm ``fault`` on the k-th write (0-based) of a run whose writes have ``methods``:
    rules match by method, so the earlier writes of the same method pass through first."""
    method = methods[k]
    earlier = methods[:k].count(method)
    if earlier:
        emulator.faults.add(FaultRule(method=method, path="*", latency=0.001, times=earlier))
    emulator.faults.add(FaultRule(method=method, path="*", **fault))


def duplicates(emulator: EmulatorServer) -> dict[str, list[Any]]:
    """Objects that exist more than once: by name, email or (project, group)."""
    state = emulator.state
    found = {
        "active projects": Counter(p.name for p in state.projects if not p.archived),
        "groups": Counter(g["name"] for g in state.list_groups()["data"]),
        "roles": Counter(r["name"] for r in state.list_roles()["data"]),
        "pending invites": Counter(i.email for i in state.invites if i.accepted_at is None),
        "project groups": Counter(
            (p.id, g["group_id"])
            for p in state.projects
            if not p.archived
            for g in state.list_project_groups(p.id, limit=100)["data"]
        ),
        "project members": Counter((p.id, m.user_id) for p in state.projects for m in p.users),
    }
    return {kind: [key for key, n in counts.items() if n > 1] for kind, counts in found.items()}


def test_the_uninterrupted_apply_makes_the_computed_minimum_of_writes(
    client: OpenAIAdminClient, emulator: EmulatorServer
) -> None:
    methods = reference(client, emulator).methods
    seed_everything(emulator)
    assert minimum_writes(emulator) == WRITES
    assert len(methods) == WRITES


@pytest.mark.parametrize("k", range(WRITES), ids=lambda k: f"write{k + 1}")
@pytest.mark.parametrize("fault", FAULTS.values(), ids=FAULTS.keys())
def test_an_apply_interrupted_at_a_write_converges_on_rerun_with_no_duplicate(
    client: OpenAIAdminClient, emulator: EmulatorServer, fault: dict[str, Any], k: int
) -> None:
    ref = reference(client, emulator)
    seed_everything(emulator)
    minimum = minimum_writes(emulator)
    arm_fault_at_write(emulator, ref.methods, k, fault)

    done_before_stop = 0
    try:
        engine.apply(client, spec(DOCUMENT))
    except ApplyError as error:
        done_before_stop = len(error.result.done)
    assert done_before_stop <= k  # a stopped apply stopped at (or before) the faulted change
    assert emulator.faults.stats()["injected"] >= 1
    emulator.faults.clear()
    engine.apply(client, spec(DOCUMENT))

    sent = emulator.log.writes()
    applied = [e for e in sent if e.applied]
    not_applied = [e for e in sent if not e.applied]
    assert len(applied) == minimum, [f"{e.method} {e.path} {e.status}" for e in applied]
    assert len(sent) == minimum + len(not_applied)  # the extra writes are repeats of failed ones only
    assert len(not_applied) == (1 if fault["when"] == "before" else 0)
    assert all(kind == [] for kind in duplicates(emulator).values()), duplicates(emulator)
    emulator.log.clear()
    assert engine.plan(client, spec(DOCUMENT)).in_sync
    assert engine.export(client) == ref.exported


@pytest.mark.parametrize("k", range(WRITES), ids=lambda k: f"write{k + 1}")
def test_an_apply_whose_client_retries_a_lost_response_converges_with_only_that_write_repeated(
    client: OpenAIAdminClient, retrying_client: OpenAIAdminClient, emulator: EmulatorServer, k: int
) -> None:
    """As the hook runs it: the client repeats an idempotent write whose response was lost
    (a create looks first instead); the one apply finishes, with at most that write twice."""
    ref = reference(client, emulator)
    seed_everything(emulator)
    minimum = minimum_writes(emulator)
    arm_fault_at_write(emulator, ref.methods, k, FAULTS["lost-response"])

    engine.apply(retrying_client, spec(DOCUMENT))

    assert emulator.faults.stats()["injected"] >= 1
    sent = emulator.log.writes()
    faulted = ref.methods[k]
    assert minimum <= len(sent) <= minimum + 1
    repeated = sent[k : k + 2] if len(sent) > minimum else []
    assert all(e.method == faulted for e in repeated)
    assert len({e.path for e in repeated}) <= 1  # the extra write is the faulted one, repeated
    assert all(kind == [] for kind in duplicates(emulator).values()), duplicates(emulator)
    emulator.log.clear()
    assert engine.plan(client, spec(DOCUMENT)).in_sync
    assert engine.export(client) == ref.exported
