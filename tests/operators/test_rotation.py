"""Key rotation against the emulator: the protocol, its resumability, and what it never touches.

Every failure test interrupts the rotation at one protocol step (a sink that fails, a fault
injected into the API), checks that the current key is still intact, then re-runs the same
DAG run and checks that it converges: exactly one account of the run's generation, its key
in the current entry and working, no pending entry, no orphan, nothing outside the logical
account's names touched.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta, timezone
from typing import Any, Literal

import pytest
from airflow.sdk._shared.secrets_masker import redact
from airflow.sdk.exceptions import AirflowFailException

from airflow_provider_openai_projects.client import ServerError
from airflow_provider_openai_projects.domain.key_generations import (
    default_secret_variable,
    generation_from_run,
    generation_of,
    plan_revoke,
    redacted,
    slug,
)
from airflow_provider_openai_projects.emulator.faults import FaultRule
from airflow_provider_openai_projects.emulator.server import EmulatorServer
from airflow_provider_openai_projects.operators.rotation import (
    DeleteServiceAccountGenerationsOperator,
    KeyVerificationError,
    RotateServiceAccountOperator,
)
from airflow_provider_openai_projects.sinks.memory import InMemoryKeySink

from .conftest import make_context

LOGICAL = "team"
ENTRY = "openai_team_api_key"
PENDING = "openai_team_api_key_pending"
SERVICE_ACCOUNTS = "/organization/projects/*/service_accounts"
LIST_ROUTE = "GET /organization/projects/{project_id}/service_accounts"
CREATE_ROUTE = "POST /organization/projects/{project_id}/service_accounts"
DELETE_ROUTE = "DELETE /organization/projects/{project_id}/service_accounts/{service_account_id}"
MODELS_ROUTE = "GET /models"
DECOYS = (
    "team",
    "team--x--20260101T000000Z-abcdef",
    "team---20260101T000000Z-abcdef",
    "team--",
    "teamX--20260101T000000Z-abcdef",
    "other--20260101T000000Z-abcdef",
    "Team--20260101T000000Z-abcdef",
)


class FlakySink(InMemoryKeySink):
    """An in-memory sink that raises once on the chosen operations (``fail("store", name)``)."""

    def __init__(self) -> None:
        super().__init__()
        self.failures: dict[tuple[str, str], BaseException] = {}

    def fail(self, operation: str, name: str, error: BaseException | None = None) -> None:
        self.failures[(operation, name)] = error or OSError(f"key sink unavailable: {operation} {name!r}")

    def _maybe_fail(self, operation: str, name: str) -> None:
        error = self.failures.pop((operation, name), None)
        if error is not None:
            raise error

    def store(self, name: str, value: str, metadata: Mapping[str, Any]) -> None:
        self._maybe_fail("store", name)
        super().store(name, value, metadata)

    def delete(self, name: str) -> None:
        self._maybe_fail("delete", name)
        super().delete(name)


class WorkerKilled(BaseException):
    """What a task sees when its worker is told to stop (not an ``Exception``)."""


@pytest.fixture
def flaky() -> FlakySink:
    return FlakySink()


@pytest.fixture
def project_id(admin_conn: EmulatorServer) -> str:
    return str(admin_conn.state.create_project("Team")["id"])


def run(day: int) -> Any:
    """The context of the weekly run on 2026-11-<day>."""
    return make_context(run_id=f"scheduled__2026-11-{day:02d}T08:00:00+00:00", run_after=f"2026-11-{day:02d}T08:00:00Z")


def generation(day: int) -> str:
    return generation_from_run(datetime(2026, 11, day, 8, tzinfo=UTC), f"scheduled__2026-11-{day:02d}T08:00:00+00:00")


def rotate(project_id: str, sink: InMemoryKeySink, context: Any, **kwargs: Any) -> dict[str, Any]:
    operator = RotateServiceAccountOperator(
        task_id="rotate",
        project_id=project_id,
        service_account_name=LOGICAL,
        key_sink=sink,
        verify_backoff=0,
        **kwargs,
    )
    result: dict[str, Any] = operator.execute(context)
    return result


def project_state(emulator: EmulatorServer, project_id: str) -> Any:
    project = emulator.state.projects.get(project_id)
    assert project is not None
    return project


def accounts(emulator: EmulatorServer, project_id: str) -> dict[str, str]:
    """service account id -> name, straight from the emulator's state."""
    return {a.id: a.name for a in project_state(emulator, project_id).service_accounts}


def logical_accounts(emulator: EmulatorServer, project_id: str) -> dict[str, str]:
    return {i: n for i, n in accounts(emulator, project_id).items() if generation_of(n, LOGICAL) is not None}


def add_decoys(emulator: EmulatorServer, project_id: str) -> set[str]:
    return {str(emulator.state.create_service_account(project_id, name)["id"]) for name in DECOYS}


def routes(emulator: EmulatorServer) -> list[str | None]:
    return [e.route for e in emulator.log.entries()]


def current_key(sink: InMemoryKeySink) -> tuple[str, Mapping[str, Any]]:
    stored = sink.load(ENTRY)
    assert stored is not None
    return stored.value, stored.metadata


def assert_converged(
    emulator: EmulatorServer,
    project_id: str,
    sink: InMemoryKeySink,
    day: int,
    previous: frozenset[str] | set[str] = frozenset(),
) -> str:
    """One account of the run's generation, its key current and working, no pending entry, and
    besides it exactly the ``previous`` generations (no orphan). Returns the account id."""
    name = f"{LOGICAL}--{generation(day)}"
    mine = logical_accounts(emulator, project_id)
    new = [i for i, n in mine.items() if n == name]
    assert len(new) == 1, f"expected exactly one {name!r}, found {new}"
    value, metadata = current_key(sink)
    assert metadata["service_account_id"] == new[0]
    assert metadata["generation"] == generation(day)
    assert emulator.use_key(value) == 200
    assert sink.load(PENDING) is None
    assert set(mine) == {new[0], *previous}, "a generation was left behind or deleted unasked"
    return new[0]


def assert_secret_kept(
    value: str, *, result: Any = None, context: Any = None, output: str = "", error: Any = None
) -> None:
    assert value not in redact(f"Authorization: Bearer {value}")
    assert value not in json.dumps(result)
    if context is not None:
        assert value not in json.dumps(context["ti"].xcom)
    assert value not in output
    assert value not in str(error)
    assert value not in repr(error)


# -- the protocol, end to end ------------------------------------------------------------


def test_rotate_creates_verifies_and_promotes_a_new_generation(
    admin_conn: EmulatorServer, project_id: str, sink: InMemoryKeySink, capsys: pytest.CaptureFixture[str]
) -> None:
    context = run(26)
    result = rotate(project_id, sink, context)
    assert routes(admin_conn) == [LIST_ROUTE, CREATE_ROUTE, MODELS_ROUTE]

    account_id = assert_converged(admin_conn, project_id, sink, 26)
    value, metadata = current_key(sink)
    api_key = next(k for k in project_state(admin_conn, project_id).api_keys if k.owner_id == account_id)
    assert dict(metadata) == {
        "project_id": project_id,
        "service_account_id": account_id,
        "service_account_name": f"team--{generation(26)}",
        "api_key_id": api_key.id,
        "generation": generation(26),
        "redacted_value": redacted(value),
        "created_at": project_state(admin_conn, project_id).service_accounts.get(account_id).created_at,
        "previous_generation": None,
        "previous_service_account_id": None,
        "verified": True,
    }
    assert result == {
        "project_id": project_id,
        "service_account_id": account_id,
        "service_account_name": f"team--{generation(26)}",
        "generation": generation(26),
        "api_key_id": api_key.id,
        "redacted_value": redacted(value),
        "secret_variable": ENTRY,
        "resumed": False,
        "verified": True,
        "deleted": [],
        "kept": [],
    }
    assert result["redacted_value"].startswith("sk-svcac...")
    assert context["ti"].xcom == {"project_id": project_id}
    assert_secret_kept(value, result=result, context=context, output="".join(capsys.readouterr()))


def test_rotate_rerun_of_the_same_run_writes_nothing(
    admin_conn: EmulatorServer, project_id: str, sink: InMemoryKeySink
) -> None:
    first = rotate(project_id, sink, run(26))
    admin_conn.log.clear()
    second = rotate(project_id, sink, run(26))
    assert admin_conn.log.writes() == []
    assert routes(admin_conn) == [LIST_ROUTE]
    assert second == {**first, "resumed": True}
    assert_converged(admin_conn, project_id, sink, 26)


def test_two_runs_make_two_generations_and_keep_the_previous_one_unless_asked(
    admin_conn: EmulatorServer, project_id: str, sink: InMemoryKeySink
) -> None:
    first = rotate(project_id, sink, run(19))
    old_value, _ = current_key(sink)
    second = rotate(project_id, sink, run(26))
    assert second["generation"] != first["generation"]
    assert_converged(admin_conn, project_id, sink, 26, previous={first["service_account_id"]})
    _, metadata = current_key(sink)
    assert metadata["previous_generation"] == generation(19)
    assert metadata["previous_service_account_id"] == first["service_account_id"]
    assert second["deleted"] == []
    assert admin_conn.use_key(old_value) == 200  # consumers that have not switched yet still work


def test_delete_previous_keeps_keep_previous_generations_and_deletes_the_rest(
    admin_conn: EmulatorServer, project_id: str, sink: InMemoryKeySink
) -> None:
    decoys = add_decoys(admin_conn, project_id)
    ids = [rotate(project_id, sink, run(day))["service_account_id"] for day in (5, 12, 19)]
    result = rotate(project_id, sink, run(26), delete_previous=True, keep_previous=1)
    assert result["kept"] == [ids[2]]
    assert result["deleted"] == [ids[1], ids[0]]
    assert_converged(admin_conn, project_id, sink, 26, previous={ids[2]})
    assert decoys <= set(accounts(admin_conn, project_id))

    admin_conn.log.clear()
    again = rotate(project_id, sink, run(26), delete_previous=True, keep_previous=1)
    assert admin_conn.log.writes() == []
    assert (again["deleted"], again["kept"]) == ([], [ids[2]])


def test_delete_previous_with_keep_previous_zero_leaves_only_the_new_generation_and_the_decoys(
    admin_conn: EmulatorServer, project_id: str, sink: InMemoryKeySink
) -> None:
    decoys = add_decoys(admin_conn, project_id)
    first = rotate(project_id, sink, run(19))
    old_value, _ = current_key(sink)
    result = rotate(project_id, sink, run(26), delete_previous=True, keep_previous=0)
    assert result["deleted"] == [first["service_account_id"]]
    new_id = assert_converged(admin_conn, project_id, sink, 26)
    assert set(accounts(admin_conn, project_id)) == decoys | {new_id}
    assert admin_conn.use_key(old_value) == 401


def test_revoke_keeps_the_generation_consumers_used_rather_than_a_newer_keyless_leftover(
    admin_conn: EmulatorServer, project_id: str, sink: InMemoryKeySink
) -> None:
    previous = rotate(project_id, sink, run(19))["service_account_id"]
    admin_conn.state.advance_clock(3600)
    leftover = admin_conn.state.create_service_account(project_id, f"{LOGICAL}--20261201T000000Z-ffffff")["id"]
    result = rotate(project_id, sink, run(26), delete_previous=True, keep_previous=1)
    assert result["kept"] == [previous]
    assert result["deleted"] == [leftover]
    assert_converged(admin_conn, project_id, sink, 26, previous={previous})


def test_verify_false_promotes_without_calling_models(
    admin_conn: EmulatorServer, project_id: str, sink: InMemoryKeySink
) -> None:
    result = rotate(project_id, sink, run(26), verify=False)
    assert admin_conn.log.count(route=MODELS_ROUTE) == 0
    assert result["verified"] is False
    assert current_key(sink)[1]["verified"] is False
    assert_converged(admin_conn, project_id, sink, 26)


def test_explicit_generation_overrides_the_run(
    admin_conn: EmulatorServer, project_id: str, sink: InMemoryKeySink
) -> None:
    result = rotate(project_id, sink, run(26), generation="2026-q4.1")
    assert result["service_account_name"] == "team--2026-q4.1"
    assert list(logical_accounts(admin_conn, project_id).values()) == ["team--2026-q4.1"]


def test_rotation_with_a_custom_entry_name_keeps_pending_beside_it(
    admin_conn: EmulatorServer, project_id: str, flaky: FlakySink
) -> None:
    flaky.fail("store", "vault/team_api_key")  # promotion fails: the key must wait in the pending entry
    with pytest.raises(OSError, match="unavailable"):
        rotate(project_id, flaky, run(26), secret_variable="vault/team_api_key")
    assert flaky.names() == ["vault/team_api_key_pending"]
    rotate(project_id, flaky, run(26), secret_variable="vault/team_api_key")
    assert flaky.names() == ["vault/team_api_key"]


# -- a failure after each step, then a re-run of the same DAG run ------------------------


def test_store_of_the_new_key_failing_deletes_the_new_account_then_rerun_converges(
    admin_conn: EmulatorServer, project_id: str, flaky: FlakySink
) -> None:
    previous = rotate(project_id, flaky, run(19))["service_account_id"]
    old_value, old_metadata = current_key(flaky)
    flaky.fail("store", PENDING)
    with pytest.raises(OSError, match="unavailable") as failure:
        rotate(project_id, flaky, run(26))
    assert set(logical_accounts(admin_conn, project_id)) == {previous}
    assert current_key(flaky) == (old_value, old_metadata)
    assert admin_conn.use_key(old_value) == 200
    assert "sk-" not in str(failure.value)

    rotate(project_id, flaky, run(26))
    assert_converged(admin_conn, project_id, flaky, 26, previous={previous})


def test_worker_killed_while_storing_the_new_key_still_deletes_the_new_account(
    admin_conn: EmulatorServer, project_id: str, flaky: FlakySink
) -> None:
    flaky.fail("store", PENDING, WorkerKilled())
    with pytest.raises(WorkerKilled):
        rotate(project_id, flaky, run(26))
    assert logical_accounts(admin_conn, project_id) == {}
    rotate(project_id, flaky, run(26))
    assert_converged(admin_conn, project_id, flaky, 26)


def test_account_left_keyless_between_create_and_store_is_replaced_on_rerun(
    no_retry_conn: EmulatorServer, project_id: str, flaky: FlakySink
) -> None:
    # The store fails and so does the clean-up delete: as if the worker died right after the
    # create. The account of this generation has no retrievable key: the re-run deletes it.
    previous = rotate(project_id, flaky, run(19))["service_account_id"]
    flaky.fail("store", PENDING)
    no_retry_conn.faults.add(FaultRule(method="DELETE", path=f"{SERVICE_ACCOUNTS}/*", status=503))
    with pytest.raises(OSError, match="unavailable"):
        rotate(project_id, flaky, run(26))
    orphans = [i for i, n in logical_accounts(no_retry_conn, project_id).items() if n.endswith(generation(26))]
    assert len(orphans) == 1

    result = rotate(project_id, flaky, run(26))
    assert result["deleted"] == orphans
    assert result["resumed"] is False
    assert_converged(no_retry_conn, project_id, flaky, 26, previous={previous})


def test_failure_after_store_before_verify_resumes_at_verify(
    no_retry_conn: EmulatorServer, project_id: str, sink: InMemoryKeySink
) -> None:
    previous = rotate(project_id, sink, run(19))["service_account_id"]
    old_value, _ = current_key(sink)
    no_retry_conn.faults.add(FaultRule(method="GET", path="/models", status=503))
    with pytest.raises(ServerError):
        rotate(project_id, sink, run(26))
    pending = sink.load(PENDING)
    assert pending is not None
    assert pending.metadata["generation"] == generation(26)
    assert current_key(sink)[0] == old_value
    assert no_retry_conn.use_key(old_value) == 200

    no_retry_conn.log.clear()
    result = rotate(project_id, sink, run(26))
    assert result["resumed"] is True
    assert result["service_account_id"] == pending.metadata["service_account_id"]
    assert no_retry_conn.log.count(route=CREATE_ROUTE) == 0
    assert_converged(no_retry_conn, project_id, sink, 26, previous={previous})
    assert_secret_kept(pending.value, result=result)


def test_key_refused_by_verification_deletes_the_new_account_and_keeps_the_current_key(
    admin_conn: EmulatorServer, project_id: str, sink: InMemoryKeySink, capsys: pytest.CaptureFixture[str]
) -> None:
    previous = rotate(project_id, sink, run(19))["service_account_id"]
    old_value, old_metadata = current_key(sink)
    admin_conn.faults.add(FaultRule(method="GET", path="/models", status=401, times=3))
    operator = RotateServiceAccountOperator(
        task_id="rotate",
        project_id=project_id,
        service_account_name=LOGICAL,
        key_sink=sink,
        verify_attempts=3,
        verify_backoff=0,
    )
    context = run(26)
    admin_conn.log.clear()
    with pytest.raises(KeyVerificationError, match="refused by GET /v1/models 3 time") as failure:
        operator.execute(context)
    assert operator.verify_waits == [0, 0]
    assert admin_conn.log.count(route=MODELS_ROUTE) == 3
    assert set(logical_accounts(admin_conn, project_id)) == {previous}
    assert sink.load(PENDING) is None
    assert current_key(sink) == (old_value, old_metadata)
    assert admin_conn.use_key(old_value) == 200
    assert "sk-svcacct-" not in str(failure.value)
    assert "sk-svcacct-" not in "".join(capsys.readouterr())

    rotate(project_id, sink, run(26))
    assert_converged(admin_conn, project_id, sink, 26, previous={previous})


def test_key_accepted_after_propagation_delay_is_promoted_with_backoff(
    admin_conn: EmulatorServer, project_id: str, sink: InMemoryKeySink
) -> None:
    admin_conn.faults.add(FaultRule(method="GET", path="/models", status=401, times=2))
    operator = RotateServiceAccountOperator(
        task_id="rotate",
        project_id=project_id,
        service_account_name=LOGICAL,
        key_sink=sink,
        verify_attempts=5,
        verify_backoff=0.01,
    )
    result = operator.execute(run(26))
    assert operator.verify_waits == [0.01, 0.02]
    assert result["verified"] is True
    assert admin_conn.log.count(route=MODELS_ROUTE) == 3
    assert_converged(admin_conn, project_id, sink, 26)


def test_failure_after_verify_before_promote_resumes_without_a_new_account(
    admin_conn: EmulatorServer, project_id: str, flaky: FlakySink
) -> None:
    previous = rotate(project_id, flaky, run(19))["service_account_id"]
    old_value, old_metadata = current_key(flaky)
    flaky.fail("store", ENTRY)
    with pytest.raises(OSError, match="unavailable: store 'openai_team_api_key'"):
        rotate(project_id, flaky, run(26))
    assert current_key(flaky) == (old_value, old_metadata)
    assert flaky.load(PENDING) is not None

    admin_conn.log.clear()
    result = rotate(project_id, flaky, run(26))
    assert result["resumed"] is True
    assert admin_conn.log.count(route=CREATE_ROUTE) == 0
    assert_converged(admin_conn, project_id, flaky, 26, previous={previous})


def test_failure_after_promote_before_clearing_pending_finishes_without_api_writes(
    admin_conn: EmulatorServer, project_id: str, flaky: FlakySink
) -> None:
    previous = rotate(project_id, flaky, run(19))["service_account_id"]
    flaky.fail("delete", PENDING)
    with pytest.raises(OSError, match="unavailable: delete"):
        rotate(project_id, flaky, run(26))
    assert current_key(flaky)[1]["generation"] == generation(26)

    admin_conn.log.clear()
    result = rotate(project_id, flaky, run(26))
    assert admin_conn.log.writes() == []
    assert result["resumed"] is True
    assert_converged(admin_conn, project_id, flaky, 26, previous={previous})


@pytest.mark.parametrize("when", ["before", "after"])
def test_failure_in_the_middle_of_revoking_finishes_on_rerun(
    no_retry_conn: EmulatorServer, project_id: str, sink: InMemoryKeySink, when: Literal["before", "after"]
) -> None:
    decoys = add_decoys(no_retry_conn, project_id)
    oldest = rotate(project_id, sink, run(12))["service_account_id"]
    newer = rotate(project_id, sink, run(19))["service_account_id"]
    no_retry_conn.faults.add(
        FaultRule(
            method="DELETE", path=f"/organization/projects/{project_id}/service_accounts/{newer}", status=503, when=when
        )
    )
    with pytest.raises(ServerError):
        rotate(project_id, sink, run(26), delete_previous=True, keep_previous=0)
    assert current_key(sink)[1]["generation"] == generation(26)  # promoted before anything was deleted

    no_retry_conn.log.clear()
    result = rotate(project_id, sink, run(26), delete_previous=True, keep_previous=0)
    assert no_retry_conn.log.count(route=CREATE_ROUTE) == 0
    assert oldest in result["deleted"]
    new_id = assert_converged(no_retry_conn, project_id, sink, 26)
    assert set(accounts(no_retry_conn, project_id)) == decoys | {new_id}


@pytest.mark.parametrize("fault", [{"status": 500}, {"drop": True}], ids=["500-after-create", "dropped-after-create"])
def test_lost_create_response_leaves_exactly_one_account_of_the_generation(
    admin_conn: EmulatorServer, project_id: str, sink: InMemoryKeySink, fault: dict[str, Any]
) -> None:
    admin_conn.faults.add(FaultRule(method="POST", path=SERVICE_ACCOUNTS, when="after", **fault))
    result = rotate(project_id, sink, run(26))
    assert admin_conn.log.count(route=CREATE_ROUTE) == 2
    assert len(result["deleted"]) == 1
    assert_converged(admin_conn, project_id, sink, 26)


def test_pending_key_abandoned_by_another_run_is_deleted_by_the_next_rotation(
    no_retry_conn: EmulatorServer, project_id: str, sink: InMemoryKeySink
) -> None:
    previous = rotate(project_id, sink, run(12))["service_account_id"]
    no_retry_conn.faults.add(FaultRule(method="GET", path="/models", status=503))
    with pytest.raises(ServerError):
        rotate(project_id, sink, run(19))  # never retried: its pending key is abandoned
    pending = sink.load(PENDING)
    assert pending is not None

    result = rotate(project_id, sink, run(26))
    assert result["deleted"] == [pending.metadata["service_account_id"]]
    assert no_retry_conn.use_key(pending.value) == 401
    assert_converged(no_retry_conn, project_id, sink, 26, previous={previous})


def test_rotate_refuses_an_entry_that_holds_another_accounts_key(
    admin_conn: EmulatorServer, project_id: str, sink: InMemoryKeySink
) -> None:
    sink.store(
        ENTRY,
        "sk-proj-someone-elses-key-0123456789abcdef",
        {"project_id": project_id, "service_account_name": "teamX--1"},
    )
    with pytest.raises(AirflowFailException, match=r"invalid secret_variable: .*refusing to overwrite"):
        rotate(project_id, sink, run(26))
    assert admin_conn.log.entries() == []


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"project_id": ""}, "project_id"),
        ({"service_account_name": ""}, "service_account_name"),
        ({"service_account_name": "team--blue"}, "service_account_name"),
        ({"service_account_name": "team-"}, "service_account_name"),
        ({"service_account_name": "x" * 129}, "service_account_name"),
        ({"service_account_name": "x" * 110}, "service_account_name"),  # too long with the generation
        ({"secret_variable": "has space"}, "secret_variable"),
        ({"keep_previous": -1}, "keep_previous"),
        ({"keep_previous": "1"}, "keep_previous"),
        ({"keep_previous": True}, "keep_previous"),
        ({"verify_attempts": 0}, "verify_attempts"),
        ({"verify_backoff": -1}, "verify_backoff"),
        ({"verify": "yes"}, "verify"),
        ({"delete_previous": 1}, "delete_previous"),
        ({"generation": "a--b"}, "generation"),
        ({"generation": "-a"}, "generation"),
        ({"generation": "two words"}, "generation"),
    ],
)
def test_rotate_rejects_bad_input_before_any_request(
    admin_conn: EmulatorServer, sink: InMemoryKeySink, kwargs: dict[str, Any], field: str
) -> None:
    arguments = {"project_id": "proj_abc", "service_account_name": LOGICAL, "key_sink": sink, **kwargs}
    with pytest.raises(AirflowFailException, match=f"invalid {field}"):
        RotateServiceAccountOperator(task_id="rotate", **arguments).execute(run(26))
    assert admin_conn.log.entries() == []
    assert sink.names() == []


@pytest.mark.parametrize("entry", ["../x", "a/../b", "./x", "a//b", "a/", "/a", "..", ".", "a/./b", "team/.."])
def test_rotate_refuses_a_path_like_entry_name_before_any_request_and_writes_nothing(
    admin_conn: EmulatorServer, sink: InMemoryKeySink, entry: str
) -> None:
    with pytest.raises(AirflowFailException, match=r"invalid secret_variable: .*segment"):
        RotateServiceAccountOperator(
            task_id="rotate", project_id="proj_abc", service_account_name=LOGICAL, secret_variable=entry, key_sink=sink
        ).execute(run(26))
    assert admin_conn.log.entries() == []
    assert sink.names() == []


def test_rotate_accepts_an_entry_name_with_slashes_and_dots_inside_its_segments(
    admin_conn: EmulatorServer, project_id: str, sink: InMemoryKeySink
) -> None:
    rotate(project_id, sink, run(26), secret_variable="team/search/svc.v1_api_key")
    assert sink.names() == ["team/search/svc.v1_api_key"]


def test_rotation_makes_three_calls_in_the_common_case_plus_one_per_deleted_generation(
    admin_conn: EmulatorServer, project_id: str, sink: InMemoryKeySink
) -> None:
    for day in (5, 12):
        rotate(project_id, sink, run(day))
    admin_conn.log.clear()
    rotate(project_id, sink, run(19))
    assert len(admin_conn.log.entries()) == 3
    admin_conn.log.clear()
    rotate(project_id, sink, run(26), delete_previous=True, keep_previous=1)
    assert routes(admin_conn) == [LIST_ROUTE, CREATE_ROUTE, MODELS_ROUTE, DELETE_ROUTE, DELETE_ROUTE]


# -- DeleteServiceAccountGenerationsOperator ------------------------------------------------


def delete_generations(project_id: str, sink: InMemoryKeySink, **kwargs: Any) -> dict[str, Any]:
    result: dict[str, Any] = DeleteServiceAccountGenerationsOperator(
        task_id="cleanup", project_id=project_id, service_account_name=LOGICAL, key_sink=sink, **kwargs
    ).execute(make_context())
    return result


def test_delete_generations_keeps_the_current_and_keep_previous_then_writes_nothing(
    admin_conn: EmulatorServer, project_id: str, sink: InMemoryKeySink
) -> None:
    decoys = add_decoys(admin_conn, project_id)
    ids = [rotate(project_id, sink, run(day))["service_account_id"] for day in (5, 12, 19, 26)]
    result = delete_generations(project_id, sink, keep_previous=1)
    assert result == {
        "project_id": project_id,
        "service_account_id": ids[3],
        "generation": generation(26),
        "deleted": [ids[1], ids[0]],
        "kept": [ids[2]],
    }
    assert_converged(admin_conn, project_id, sink, 26, previous={ids[2]})
    assert decoys <= set(accounts(admin_conn, project_id))

    admin_conn.log.clear()
    again = delete_generations(project_id, sink, keep_previous=1)
    assert admin_conn.log.writes() == []
    assert again["deleted"] == []


def test_delete_generations_spares_a_rotation_in_flight(
    no_retry_conn: EmulatorServer, project_id: str, sink: InMemoryKeySink
) -> None:
    current = rotate(project_id, sink, run(19))["service_account_id"]
    no_retry_conn.faults.add(FaultRule(method="GET", path="/models", status=503))
    with pytest.raises(ServerError):
        rotate(project_id, sink, run(26))
    pending = sink.load(PENDING)
    assert pending is not None
    result = delete_generations(project_id, sink, keep_previous=0)
    assert result["deleted"] == []
    assert set(logical_accounts(no_retry_conn, project_id)) == {current, pending.metadata["service_account_id"]}


def test_delete_generations_refuses_when_the_current_generation_is_unknown(
    admin_conn: EmulatorServer, project_id: str, sink: InMemoryKeySink
) -> None:
    admin_conn.state.create_service_account(project_id, f"{LOGICAL}--{generation(19)}")
    with pytest.raises(AirflowFailException, match=r"invalid secret_variable: .*no entry"):
        delete_generations(project_id, sink, keep_previous=0)
    assert admin_conn.log.entries() == []

    rotate(project_id, sink, run(26))
    _, metadata = current_key(sink)
    admin_conn.state.delete_service_account(project_id, metadata["service_account_id"])
    admin_conn.log.clear()
    with pytest.raises(AirflowFailException, match="does not exist"):
        delete_generations(project_id, sink, keep_previous=0)
    assert admin_conn.log.writes() == []
    assert len(logical_accounts(admin_conn, project_id)) == 1


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"project_id": ""}, "project_id"),
        ({"service_account_name": "a--b"}, "service_account_name"),
        ({"keep_previous": -1}, "keep_previous"),
        ({"secret_variable": "bad name"}, "secret_variable"),
    ],
)
def test_delete_generations_rejects_bad_input_before_any_request(
    admin_conn: EmulatorServer, sink: InMemoryKeySink, kwargs: dict[str, Any], field: str
) -> None:
    arguments = {"project_id": "proj_abc", "service_account_name": LOGICAL, "key_sink": sink, **kwargs}
    with pytest.raises(AirflowFailException, match=f"invalid {field}"):
        DeleteServiceAccountGenerationsOperator(task_id="cleanup", **arguments).execute(make_context())
    assert admin_conn.log.entries() == []


def test_template_fields_cover_every_input() -> None:
    assert set(RotateServiceAccountOperator.template_fields) >= {
        "project_id",
        "service_account_name",
        "secret_variable",
        "generation",
    }
    assert set(DeleteServiceAccountGenerationsOperator.template_fields) >= {
        "project_id",
        "service_account_name",
        "secret_variable",
    }


# -- the naming rules (pure functions) ------------------------------------------------------


def test_generation_is_stable_for_a_run_and_differs_between_runs() -> None:
    after = datetime(2026, 11, 26, 8, 0, tzinfo=UTC)
    same = generation_from_run(after, "scheduled__2026-11-26T08:00:00+00:00")
    assert same == generation_from_run(after, "scheduled__2026-11-26T08:00:00+00:00")
    assert same.startswith("20261126T080000Z-")
    assert len(same.split("-")[1]) == 6
    assert generation_from_run(after, "manual__2026-11-26T08:00:00+00:00") != same
    paris = after.astimezone(timezone(timedelta(hours=1)))
    assert generation_from_run(paris, "scheduled__2026-11-26T08:00:00+00:00") == same


@pytest.mark.parametrize(
    ("name", "token"),
    [
        ("team--20261126T080000Z-abcdef", "20261126T080000Z-abcdef"),
        ("team--2026-q4.1", "2026-q4.1"),
        ("team--x--20261126T080000Z-abcdef", None),
        ("team---x", None),
        ("team--", None),
        ("team", None),
        ("teamX--20261126T080000Z-abcdef", None),
        ("Team--20261126T080000Z-abcdef", None),
        ("other--team--20261126T080000Z-abcdef", None),
    ],
)
def test_only_names_of_the_exact_generation_form_belong_to_a_logical_account(name: str, token: str | None) -> None:
    assert generation_of(name, "team") == token


def test_revoke_plan_keeps_the_preferred_then_the_newest() -> None:
    accounts_ = [
        {"id": "a", "name": "team--1", "created_at": 100},
        {"id": "b", "name": "team--2", "created_at": 200},
        {"id": "c", "name": "team--3", "created_at": 200},
        {"id": "d", "name": "team--4", "created_at": 300},
    ]
    plan = plan_revoke(accounts_, protect=["d"], keep_previous=1)
    assert (plan.keep, plan.delete) == (["c"], ["b", "a"])
    plan = plan_revoke(accounts_, protect=["d", None], keep_previous=1, prefer=["a"])
    assert (plan.keep, plan.delete) == (["a"], ["c", "b"])
    plan = plan_revoke(accounts_, protect=["d"], keep_previous=0)
    assert (plan.keep, plan.delete) == ([], ["c", "b", "a"])
    plan = plan_revoke(accounts_, protect=[], keep_previous=10)
    assert (plan.keep, plan.delete) == (["d", "c", "b", "a"], [])


def test_redacted_form_shows_eight_then_four_characters_and_never_more() -> None:
    value = "sk-svcacct-" + "A" * 40 + "wxyz"
    assert redacted(value) == "sk-svcac...wxyz"
    assert redacted("sk-short") == "****"


def test_default_entry_names_are_slugs_with_a_sensitive_keyword() -> None:
    assert slug("Team Search / EU") == "team_search_eu"
    assert default_secret_variable("team") == "openai_team_api_key"
    assert default_secret_variable("***").startswith("openai_sa_")
