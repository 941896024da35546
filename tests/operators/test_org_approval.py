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
    parse_approvers,
)
from airflow_provider_openai_projects.orgfile.digest import approved_digest, key_of

from .conftest import FakeTaskInstance, make_context

DIGEST = "sha256:" + "ab" * 32


@dataclass
class AskedTaskInstance(FakeTaskInstance):
    pulled: dict[str, Any] = field(default_factory=lambda: {ASKED_XCOM_KEY: DIGEST})

    def xcom_pull(self, task_ids: str, key: str = "return_value") -> Any:
        return self.pulled.get(key)


@dataclass
class TriggeredRun:
    run_id: str
    triggering_user_name: str | None


def answer(choice: str, by: str, triggered_by: str | None = "alice") -> dict[str, Any]:
    operator = OrgApprovalOperator(task_id="approve", plan_task_id="plan", approvers=["alice", "bob", "carol"])
    context = make_context()
    context["ti"] = AskedTaskInstance()
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
