"""``openai_org_as_code`` on a real deployment: a person approves or rejects the plan through the
REST API (the route behind the Airflow UI's approval form), as on Airflow 3.2 and 3.3 alike.

Approvers are assigned (Variable ``openai_org_approvers``: the user ``approver``); the runs are
triggered by the harness's user (``Anonymous``, the simple auth manager's all-admins user), so
an approval by it is a self-approval, refused; ``approver`` answers with a token of its own
(signed with the deployment's JWT secret, as the api-server signs a login's). A plan XCom
substituted between the question and the answer (another validly signed plan) is refused
by apply with no write.

The approval task (the standard provider's ``ApprovalOperator``) waits for a response: in the
triggerer on Airflow 3.2, parked as ``awaiting_input`` on 3.3. ``dag.test()`` cannot give one
on 3.2 (its inline trigger reads no Human-in-the-loop detail), so this is where the approval
is proven on both versions. Runs over the same deployment as the example-DAG tests (see
``conftest.py``).
"""

from __future__ import annotations

import json
import time
import uuid
from pathlib import Path
from typing import Any

import jwt
import pytest

from .harness import POOL, AirflowApi, Deployment, DeploymentError, EmulatorControl, wait_for

pytestmark = [pytest.mark.deployment, pytest.mark.timeout(900)]

DAG_ID = "openai_org_as_code"
OWNER = "owner@example.com"
APPROVER = "approver"
RUN_TIMEOUT = 240.0
READING_TIME = 5.0
"""Seconds a question waits before it is answered (see :func:`_answer_until_finished`)."""


def _org_file(deployment: Deployment, project: str) -> Path:
    path = deployment.dags_folder / f"org-{project}.yaml"  # OrgPlanOperator reads only from the DAGs' folder
    path.write_text(
        f"""
projects:
  {project}:
    members:
      {OWNER}: owner
    rate_limits:
      "gpt-4o*": {{max_requests_per_1_minute: 500}}
"""
    )
    return path


def _ensure_pool(api: AirflowApi) -> None:
    try:
        api.post("/pools", {"name": POOL, "slots": 2, "include_deferred": False})
    except DeploymentError as error:
        if "409" not in str(error):
            raise


def _hitl_path(run_id: str) -> str:
    return f"/dags/{DAG_ID}/dagRuns/{run_id}/taskInstances/approve/-1/hitlDetails"


def _pending_approval(api: AirflowApi, run_id: str) -> dict[str, Any] | None:
    """The approval's detail while it waits for a response (its body shows the plan), else ``None``."""
    try:
        detail = dict(api.get(_hitl_path(run_id)))
    except DeploymentError:  # 404 until the approval task has registered its question
        return None
    return None if detail["response_received"] else detail


def _as_user(api: AirflowApi, deployment: Deployment, user: str) -> AirflowApi:
    """The REST API as ``user``: the harness's token re-issued for that subject, signed with
    the deployment's JWT secret (what the api-server's login would give that user)."""
    token = str(api.session.headers["Authorization"]).removeprefix("Bearer ")
    header = jwt.get_unverified_header(token)
    claims = jwt.decode(token, options={"verify_signature": False})
    claims.update({"sub": user, "jti": uuid.uuid4().hex})
    extra = {"kid": header["kid"]} if "kid" in header else None
    other = AirflowApi(deployment.api_url)
    signed = jwt.encode(claims, deployment._secret("jwt"), algorithm=header["alg"], headers=extra)
    other.session.headers["Authorization"] = f"Bearer {signed}"
    return other


def _assign_approvers(api: AirflowApi) -> None:
    body = {"key": "openai_org_approvers", "value": json.dumps([APPROVER])}
    try:
        api.post("/variables", body)
    except DeploymentError as error:
        if "409" not in str(error):
            raise
        api.patch("/variables/openai_org_approvers", body)


def _answer_until_finished(
    api: AirflowApi, deployment: Deployment, run_id: str, choice: str, answerer: AirflowApi | None = None
) -> tuple[str, list[str]]:
    """Give ``choice`` to every question the run asks until it finishes; the bodies answered.

    Each question is answered once its task is parked (awaiting input on 3.3, deferred on
    3.2: an answer to a running task resumes nothing) and it has waited :data:`READING_TIME`
    (a person reads the plan first): Airflow 3.3 loses a try whose answer lands within a second of the task
    pausing (the executor's report of the paused workload then meets the resumed task, which
    is marked up for retry). A retried try asks again and gets the same answer. Returns the
    run's final state and the bodies answered."""
    answerer = answerer or api
    bodies: list[str] = []
    first_seen: dict[int, float] = {}

    def finished() -> str | None:
        deployment.check_alive()
        state = api.run_state(DAG_ID, run_id)
        if state in ("success", "failed"):
            return state
        detail = _pending_approval(api, run_id)
        if detail is not None:
            asked_at = first_seen.setdefault(int(detail["task_instance"]["try_number"]), time.monotonic())
            parked = api.task_instance(DAG_ID, run_id, "approve")["state"] in ("awaiting_input", "deferred")
            if parked and time.monotonic() - asked_at >= READING_TIME:
                assert detail["options"] == ["Approve", "Reject"]
                bodies.append(str(detail["body"]))
                answerer.patch(_hitl_path(run_id), {"chosen_options": [choice], "params_input": {}})
        return None

    return wait_for(f"run {run_id} to finish", finished, timeout=RUN_TIMEOUT, interval=1), bodies


def _writes_since(control: EmulatorControl, seq: int) -> list[dict[str, Any]]:
    return [e for e in control.requests() if e["seq"] > seq and e["method"] in ("POST", "DELETE")]


def _last_seq(control: EmulatorControl) -> int:
    return max((entry["seq"] for entry in control.requests()), default=0)


def _states(api: AirflowApi, run_id: str) -> dict[str, str]:
    return {ti["task_id"]: ti["state"] for ti in api.task_instances(DAG_ID, run_id)}


def _prepare(api: AirflowApi, control: EmulatorControl) -> None:
    if not any(u["email"] == OWNER for u in control.state()["users"]):
        control.add_user(OWNER, role="owner")
    _ensure_pool(api)
    _assign_approvers(api)
    api.unpause(DAG_ID)


@pytest.mark.parametrize("choice", ["Reject", "Approve"])
def test_an_assigned_approver_approves_or_rejects_the_plan_through_the_rest_api(
    airflow_api: AirflowApi, deployment: Deployment, emulator_control: EmulatorControl, choice: str
) -> None:
    _prepare(airflow_api, emulator_control)
    project = f"team-{choice.lower()}d"
    seq = _last_seq(emulator_control)

    run_id = airflow_api.trigger(DAG_ID, {"org_file": str(_org_file(deployment, project))})
    question = wait_for("the approval's question", lambda: _pending_approval(airflow_api, run_id), timeout=RUN_TIMEOUT)
    assert _writes_since(emulator_control, seq) == [], "nothing is written before the approval"
    assert [user["id"] for user in question["assigned_users"]] == [APPROVER]
    assert question["subject"] == f"Apply the plan of org-{project}.yaml to the OpenAI organization?"

    state, bodies = _answer_until_finished(
        airflow_api, deployment, run_id, choice, _as_user(airflow_api, deployment, APPROVER)
    )

    assert bodies, "the run asked for approval"
    assert project.replace("-", "\\-") in bodies[0], bodies[0]
    assert "| critical: owners |" in bodies[0], bodies[0]
    assert "max\\_requests\\_per\\_1\\_minute" in bodies[0], bodies[0]
    states = _states(airflow_api, run_id)
    created = [p for p in emulator_control.state()["projects"] if p["name"] == project]
    if choice == "Reject":  # visible as rejected: the approval fails saying by whom
        assert state == "failed"
        assert (states["approve"], states["apply"]) == ("failed", "upstream_failed"), states
        assert _writes_since(emulator_control, seq) == []
        assert created == []
    else:
        assert state == "success"
        assert (states["approve"], states["apply"], states["report"]) == ("success", "success", "success"), states
        assert len(created) == 1
        # The project, its owner and the two matching models' limits: the plan's writes, no more.
        assert len(_writes_since(emulator_control, seq)) == 4


def test_a_self_approval_and_a_substituted_plan_apply_nothing(
    airflow_api: AirflowApi, deployment: Deployment, emulator_control: EmulatorControl
) -> None:
    _prepare(airflow_api, emulator_control)
    approver = _as_user(airflow_api, deployment, APPROVER)
    seq = _last_seq(emulator_control)

    # The user who triggered approves their own run (the api-server lets every user answer in
    # all-admins mode; the approval refuses it).
    own = airflow_api.trigger(DAG_ID, {"org_file": str(_org_file(deployment, "team-self"))})
    state, _ = _answer_until_finished(airflow_api, deployment, own, "Approve")
    assert state == "failed"
    assert (_states(airflow_api, own)["approve"], _states(airflow_api, own)["apply"]) == ("failed", "upstream_failed")
    assert _writes_since(emulator_control, seq) == []

    # A plan asked about, then swapped in XCom for another validly signed plan (the first run's).
    other_plan = airflow_api.get(f"/dags/{DAG_ID}/dagRuns/{own}/taskInstances/plan/xcomEntries/plan", deserialize=True)[
        "value"
    ]
    run_id = airflow_api.trigger(DAG_ID, {"org_file": str(_org_file(deployment, "team-swapped"))})
    wait_for("the approval's question", lambda: _pending_approval(airflow_api, run_id), timeout=RUN_TIMEOUT)
    airflow_api.patch(
        f"/dags/{DAG_ID}/dagRuns/{run_id}/taskInstances/plan/xcomEntries/plan", {"value": other_plan, "map_index": -1}
    )
    state, _ = _answer_until_finished(airflow_api, deployment, run_id, "Approve", approver)

    states = _states(airflow_api, run_id)
    assert state == "failed"
    # The plan is sealed for its run: the apply refuses the other run's plan; or, when 3.3
    # retried the approval after the swap (see _answer_until_finished), the approval refuses
    # to ask about it and nothing runs after it.
    assert (states["approve"], states["apply"]) in (("success", "failed"), ("failed", "upstream_failed")), states
    assert _writes_since(emulator_control, seq) == []
    assert not [p for p in emulator_control.state()["projects"] if p["name"] in ("team-self", "team-swapped")]
