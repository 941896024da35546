"""``openai_org_as_code`` on a real deployment: a person approves or rejects the plan through the
REST API (the route behind the Airflow UI's approval form), as on Airflow 3.2 and 3.3 alike.

The approval task (the standard provider's ``ApprovalOperator``) waits for a response: in the
triggerer on Airflow 3.2, parked as ``awaiting_input`` on 3.3. ``dag.test()`` cannot give one
on 3.2 (its inline trigger reads no Human-in-the-loop detail), so this is where the approval
is proven on both versions. Runs over the same deployment as the example-DAG tests (see
``conftest.py``).
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest

from .harness import POOL, AirflowApi, Deployment, DeploymentError, EmulatorControl, wait_for

pytestmark = [pytest.mark.deployment, pytest.mark.timeout(900)]

DAG_ID = "openai_org_as_code"
OWNER = "owner@example.com"
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


def _answer_until_finished(api: AirflowApi, deployment: Deployment, run_id: str, choice: str) -> list[str]:
    """Give ``choice`` to every question the run asks until it finishes; the bodies answered.

    Each question is answered once its task is parked (awaiting input on 3.3, deferred on
    3.2: an answer to a running task resumes nothing) and it has waited :data:`READING_TIME`
    (a person reads the plan first): Airflow 3.3 loses a try whose answer lands within a second of the task
    pausing (the executor's report of the paused workload then meets the resumed task, which
    is marked up for retry). A retried try asks again and gets the same answer."""
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
                api.patch(_hitl_path(run_id), {"chosen_options": [choice], "params_input": {}})
        return None

    assert wait_for(f"run {run_id} to finish", finished, timeout=RUN_TIMEOUT, interval=1) == "success"
    return bodies


def _writes_since(control: EmulatorControl, seq: int) -> list[dict[str, Any]]:
    return [e for e in control.requests() if e["seq"] > seq and e["method"] in ("POST", "DELETE")]


def _last_seq(control: EmulatorControl) -> int:
    return max((entry["seq"] for entry in control.requests()), default=0)


def _states(api: AirflowApi, run_id: str) -> dict[str, str]:
    return {ti["task_id"]: ti["state"] for ti in api.task_instances(DAG_ID, run_id)}


@pytest.mark.parametrize("choice", ["Reject", "Approve"])
def test_a_person_approves_or_rejects_the_plan_through_the_rest_api(
    airflow_api: AirflowApi, deployment: Deployment, emulator_control: EmulatorControl, choice: str
) -> None:
    if not any(u["email"] == OWNER for u in emulator_control.state()["users"]):
        emulator_control.add_user(OWNER, role="owner")
    _ensure_pool(airflow_api)
    airflow_api.unpause(DAG_ID)
    project = f"team-{choice.lower()}d"
    seq = _last_seq(emulator_control)

    run_id = airflow_api.trigger(DAG_ID, {"org_file": str(_org_file(deployment, project))})
    wait_for("the approval's question", lambda: _pending_approval(airflow_api, run_id), timeout=RUN_TIMEOUT)
    assert _writes_since(emulator_control, seq) == [], "nothing is written before the approval"

    bodies = _answer_until_finished(airflow_api, deployment, run_id, choice)

    assert bodies, "the run asked for approval"
    assert project in bodies[0], bodies[0]
    assert "max_requests_per_1_minute" in bodies[0], bodies[0]
    states = _states(airflow_api, run_id)
    assert states["approve"] == "success", states
    created = [p for p in emulator_control.state()["projects"] if p["name"] == project]
    if choice == "Reject":
        assert (states["apply"], states["report"]) == ("skipped", "skipped"), states
        assert _writes_since(emulator_control, seq) == []
        assert created == []
    else:
        assert (states["apply"], states["report"]) == ("success", "success"), states
        assert len(created) == 1
        # The project, its owner and the two matching models' limits: the plan's writes, no more.
        assert len(_writes_since(emulator_control, seq)) == 4
