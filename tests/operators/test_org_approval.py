"""OrgApprovalOperator's answer (issue 17 point 3): the approval records the digest asked
about; a self-approval, an unassigned responder and a rejection apply nothing (the task
fails saying why). The question itself is asked by Airflow's HITL machinery: proven with
``dag.test()`` (tests/dags/test_org_as_code_e2e.py) and on a real deployment
(tests/deployment/test_org_approval_deployed.py)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import pytest
from airflow.sdk.exceptions import AirflowFailException

from airflow_provider_openai_projects.emulator.server import EmulatorServer
from airflow_provider_openai_projects.hooks.admin import OpenAIAdminHook
from airflow_provider_openai_projects.operators.org_approval import (
    ASKED_XCOM_KEY,
    OrgApprovalOperator,
    approval_policy,
    automatic_approval,
    parse_approvers,
)
from airflow_provider_openai_projects.orgfile.changes import Change, Plan
from airflow_provider_openai_projects.orgfile.digest import approved_digest, asked_record, key_of, seal

from .conftest import FakeTaskInstance, make_context

DIGEST = "sha256:" + "ab" * 32


@dataclass
class AskedTaskInstance(FakeTaskInstance):
    pulled: dict[str, Any] = field(default_factory=dict)

    def xcom_pull(self, task_ids: str, key: str = "return_value") -> Any:
        return self.pulled.get(key)


@dataclass
class TriggeredRun:
    run_id: str
    triggering_user_name: str | None


def answer(choice: str, by: str, triggered_by: str | None = "alice", asked: Any = None) -> dict[str, Any]:
    """The approval task's answer to ``choice`` by ``by``; ``asked``: what the XCom of the
    plan asked about holds by then (default: what the task recorded, :data:`DIGEST`)."""
    operator = OrgApprovalOperator(task_id="approve", plan_task_id="plan", approvers=["alice", "bob", "carol"])
    context = make_context()
    if asked is None:
        asked = asked_record(key_of(OpenAIAdminHook()), context["run_id"], DIGEST)
    context["ti"] = AskedTaskInstance(pulled={ASKED_XCOM_KEY: asked})
    context["dag_run"] = TriggeredRun(context["run_id"], triggered_by)
    event = {
        "chosen_options": [choice],
        "params_input": {},
        "responded_at": datetime.now(UTC),
        "responded_by_user": {"id": by, "name": by},
    }
    return {"record": operator.execute_complete(context, event), "run_id": context["run_id"]}


def test_an_assigned_approver_approves_and_the_record_holds_the_digest(admin_conn: EmulatorServer) -> None:
    result = answer("Approve", by="bob")

    assert result["record"]["approved_by"] == "bob"
    assert approved_digest(result["record"], key_of(OpenAIAdminHook()), result["run_id"]) == DIGEST
    assert admin_conn.admin_key not in str(result)


def test_the_user_who_triggered_cannot_approve(admin_conn: EmulatorServer) -> None:
    with pytest.raises(AirflowFailException, match="self-approval refused: alice triggered this run"):
        answer("Approve", by="alice", triggered_by="alice")


def test_a_user_not_assigned_cannot_approve(admin_conn: EmulatorServer) -> None:
    with pytest.raises(AirflowFailException, match="approval by mallory refused: not an assigned approver"):
        answer("Approve", by="mallory")


def test_a_rejection_fails_the_task_saying_by_whom(admin_conn: EmulatorServer) -> None:
    with pytest.raises(AirflowFailException, match="rejected by carol"):
        answer("Reject", by="carol")


def test_approvers_come_as_ids_or_objects_and_the_trigger_is_never_assigned() -> None:
    assert parse_approvers('["alice", {"id": "bob", "name": "Bob B."}]') == [
        {"id": "alice", "name": "alice"},
        {"id": "bob", "name": "Bob B."},
    ]
    assert parse_approvers("alice, bob") == [{"id": "alice", "name": "alice"}, {"id": "bob", "name": "bob"}]
    operator = OrgApprovalOperator(task_id="approve", plan_task_id="plan", approvers=["alice"])
    context = make_context()
    context["dag_run"] = TriggeredRun(context["run_id"], "alice")
    with pytest.raises(AirflowFailException, match="no approver left"):
        operator._assigned(context)


def test_an_answer_approves_only_the_plan_asked_about_whatever_the_xcom_says_later(
    admin_conn: EmulatorServer,
) -> None:
    """The digest the task kept while waiting is MAC'd: swapped for another plan's digest, or
    copied from another run, the answer approves nothing."""
    other = "sha256:" + "cd" * 32
    key = key_of(OpenAIAdminHook())
    run_id = make_context()["run_id"]
    for edited in (
        {**asked_record(key, run_id, DIGEST), "digest": other},
        asked_record(key, "manual__another-run", other),
        other,  # the bare digest the task used to keep
    ):
        with pytest.raises(AirflowFailException, match="does not match this run"):
            answer("Approve", by="bob", asked=edited)


def a_signed_plan(risky: bool, run_id: str) -> dict[str, Any]:
    role = {"role": "member"}
    action, before, after = ("remove", role, None) if risky else ("add", None, role)
    change = Change("members", action, "team-x", "bob@example.com", before, after, risky, 60)
    plan = Plan(source="org.yaml", desired={}, fingerprint="sha256:0", changes=[change], max_destructive_changes=5)
    return seal(plan, key_of(OpenAIAdminHook()), run_id=run_id)


def test_automatic_approval_passes_a_no_risk_plan_and_fails_at_once_on_any_other(admin_conn: EmulatorServer) -> None:
    """A plan with a risky change, and an edited one, fail the task without retry (never a
    record); a signed plan with no risky change is approved for its run."""
    key, run_id = key_of(OpenAIAdminHook()), "manual__1"
    safe = a_signed_plan(risky=False, run_id=run_id)

    record = automatic_approval(safe, run_id, "automatic")
    assert approved_digest(record, key, run_id) == safe["digest"]
    with pytest.raises(AirflowFailException, match="needs a person's approval"):
        automatic_approval(a_signed_plan(risky=True, run_id=run_id), run_id, "automatic")
    edited = {**safe, "changes": [{**safe["changes"][0], "action": "remove", "destructive": True}]}
    with pytest.raises(AirflowFailException, match="edited after it was made"):
        automatic_approval(edited, run_id, "automatic")
    with pytest.raises(AirflowFailException, match="made for another DAG run"):
        automatic_approval(safe, "manual__2", "automatic")


@pytest.mark.parametrize("value", ["sometimes", "Joiners_Movers", "always\x1b[2J"])
def test_an_unknown_approval_policy_fails_the_task_at_once_naming_the_variable(
    value: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AIRFLOW_VAR_OPENAI_TEST_POLICY", value)
    with pytest.raises(AirflowFailException) as raised:
        approval_policy("openai_test_policy", ["never", "joiners_movers"])
    message = str(raised.value)
    assert message.startswith("Variable openai_test_policy: one of never, joiners_movers, got ")
    assert "\x1b" not in message


def test_the_approval_policy_is_never_when_the_variable_is_unset_and_read_when_set(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("AIRFLOW_VAR_OPENAI_TEST_POLICY", raising=False)
    assert approval_policy("openai_test_policy", ["never", "joiners_movers"]) == "never"
    monkeypatch.setenv("AIRFLOW_VAR_OPENAI_TEST_POLICY", " joiners_movers ")
    assert approval_policy("openai_test_policy", ["never", "joiners_movers"]) == "joiners_movers"
