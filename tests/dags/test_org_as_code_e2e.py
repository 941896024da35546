"""``openai_org_as_code`` end to end with ``dag.test()`` against the emulator: plan, a human
approval in the Human-in-the-loop operator (answered from another thread, as the UI would),
apply, report; the asset event of the org file; an in-sync run applies nothing; automatic
approval only as a deployment setting and only for a plan with no risky change; no run
parameter skips the approval; the user who triggered cannot approve."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from airflow_provider_openai_projects.emulator.server import EmulatorServer

from .conftest import Approver, dag_test_resumes_human_in_the_loop_tasks, run_dag, set_variable, task_states, xcom

ORG = """
projects:
  team-search:
    members:
      owner@example.com: owner
    rate_limits:
      "gpt-4o*": {max_requests_per_1_minute: 500}
"""


@pytest.fixture
def dag(example_dags: dict[str, Any]) -> Any:
    return example_dags["openai_org_as_code"]


NO_RISK = """
projects:
  team-search:
    rate_limits:
      "gpt-4o*": {max_requests_per_1_minute: 500}
"""


@pytest.fixture
def org_file(tmp_path: Path) -> Path:
    path = tmp_path / "org.yaml"
    path.write_text(ORG)
    return path


def asset_events(uri: str) -> list[Any]:
    from airflow.models.asset import AssetEvent, AssetModel
    from airflow.utils.session import create_session
    from sqlalchemy import select

    with create_session() as session:
        return list(
            session.scalars(
                select(AssetEvent.extra)
                .join(AssetModel, AssetEvent.asset_id == AssetModel.id)
                .where(AssetModel.uri == uri)
            )
        )


def test_a_no_risk_plan_is_approved_automatically_when_the_deployment_allows_it_and_applied(
    org: EmulatorServer, dag: Any, org_file: Path
) -> None:
    org.state.create_project("team-search")
    org_file.write_text(NO_RISK)
    set_variable("openai_org_auto_approve", "no_risk")
    uri = dag.task_dict["apply"].outlets[0].uri
    events_before = len(asset_events(uri))
    org.log.clear()

    run = run_dag(dag, {"org_file": str(org_file)})

    states = task_states(run)
    assert run.state == "success", states
    assert (states["auto_approve"], states["apply"]) == ("success", "success")
    assert states["approve"] == "skipped"
    assert xcom(run, "auto_approve")["digest"] == xcom(run, "plan")["digest"]
    assert xcom(run, "report") == {"applied": 2, "writes": 2, "in_sync": False}
    assert len(org.log.writes()) == 2
    assert len(asset_events(uri)) == events_before + 1

    org.log.clear()
    again = run_dag(dag, {"org_file": str(org_file)})
    assert task_states(again)["apply"] == "skipped"
    assert xcom(again, "report")["in_sync"] is True
    assert org.log.writes() == []


def test_the_org_files_name_is_printed_escaped_in_the_in_sync_report(
    dag: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    """The file's name comes from the run's ``org_file``: an ESC or a bidi override in it is
    printed as an escape (the task's own output, before any log handler)."""

    class InSyncRun:  # what the report pulls in an in-sync run: the plan's result, no apply
        @staticmethod
        def xcom_pull(task_ids: str) -> Any:
            return {"summary": {"source": "/dags/org\x1b[2J\u202e.yaml"}} if task_ids == "plan" else None

    assert dag.task_dict["report"].python_callable(ti=InSyncRun()) == {"applied": 0, "writes": 0, "in_sync": True}

    printed = capsys.readouterr().out
    assert printed == "In sync: /dags/org\\x1b[2J\\u202e.yaml matches the organization; nothing applied.\n"


@pytest.mark.skipif(
    not dag_test_resumes_human_in_the_loop_tasks(),
    reason="Airflow 3.2's dag.test() cannot resume a Human-in-the-loop task (its inline trigger reads no HITL "
    "detail); on 3.2 the approval is proven on a real deployment: tests/deployment/test_org_approval_deployed.py",
)
@pytest.mark.parametrize("choice", ["Approve", "Reject"])
def test_a_human_approves_or_rejects_the_plan_shown_in_the_approval(
    org: EmulatorServer, dag: Any, org_file: Path, choice: str
) -> None:
    org.state.create_project("team-search")
    org.log.clear()

    with Approver(dag.dag_id, choice) as approver:
        run = run_dag(dag, {"org_file": str(org_file)})

    states = task_states(run)
    assert approver.body is not None
    assert "max\\_requests\\_per\\_1\\_minute 5000 \\-\\> 500" in approver.body
    assert "| critical: owners |" in approver.body
    if choice == "Approve":
        assert states["approve"] == "success", states
        assert states["apply"] == "success"
        assert xcom(run, "approve")["digest"] == xcom(run, "plan")["digest"]
        assert len(org.log.writes()) == 3  # owner added, gpt-4o and gpt-4o-mini limits
    else:  # visible as rejected: the approval failed ("rejected by Reviewer"), apply never ran
        assert (states["approve"], states["apply"]) == ("failed", "upstream_failed"), states
        assert org.log.writes() == []


@pytest.mark.skipif(
    not dag_test_resumes_human_in_the_loop_tasks(),
    reason="Airflow 3.2's dag.test() cannot resume a Human-in-the-loop task; see the deployment test",
)
def test_no_run_parameter_skips_the_approval_and_a_risky_plan_is_never_automatic(
    org: EmulatorServer, dag: Any, org_file: Path
) -> None:
    """The old bypass (``auto_approve`` in the run's conf) and a risky plan (an owner added)
    under ``no_risk``: both wait for a person; rejected here, nothing is written."""
    org.state.create_project("team-search")
    set_variable("openai_org_auto_approve", "no_risk")
    org.log.clear()

    with Approver(dag.dag_id, "Reject") as approver:
        run = run_dag(dag, {"org_file": str(org_file), "auto_approve": True})

    states = task_states(run)
    assert approver.body is not None
    assert "critical: owners" in approver.body
    assert (states["auto_approve"], states["approve"], states["apply"]) == ("skipped", "failed", "upstream_failed")
    assert run.state == "failed"
    assert org.log.writes() == []


@pytest.mark.skipif(
    not dag_test_resumes_human_in_the_loop_tasks(),
    reason="Airflow 3.2's dag.test() cannot resume a Human-in-the-loop task; see the deployment test",
)
def test_the_user_who_triggered_the_run_cannot_approve_it(org: EmulatorServer, dag: Any, org_file: Path) -> None:
    org.state.create_project("team-search")
    org.log.clear()

    with Approver(dag.dag_id, "Approve", user="dag_test"):  # dag.test() runs are triggered by "dag_test"
        run = run_dag(dag, {"org_file": str(org_file)})

    states = task_states(run)
    assert (states["approve"], states["apply"]) == ("failed", "upstream_failed"), states
    assert org.log.writes() == []


PLAN_URI_DAG = """
from airflow.sdk import DAG

from airflow_provider_openai_projects.operators import OrgApplyOperator, OrgPlanOperator
from airflow_provider_openai_projects.operators.org_approval import OrgApprovalOperator

with DAG("org_as_code_plan_uri", schedule=None):
    plan = OrgPlanOperator(task_id="plan", org_file="{org_file}", plan_uri="{uri}")
    approve = OrgApprovalOperator(task_id="approve", plan_uri="{uri}")
    apply = OrgApplyOperator(task_id="apply", plan_uri="{uri}", approval_task_ids=["approve"])
    plan >> approve >> apply
"""


@pytest.mark.skipif(
    not dag_test_resumes_human_in_the_loop_tasks(),
    reason="Airflow 3.2's dag.test() cannot resume a Human-in-the-loop task; see the deployment test",
)
def test_a_plan_saved_to_plan_uri_is_shown_approved_and_applied_by_its_digest(
    org: EmulatorServer, org_file: Path, tmp_path: Path
) -> None:
    """``plan_uri`` instead of XCom: the approval reads the same saved plan the apply reads
    (it used to read only the XCom, and failed on ``None``); the apply applies its digest."""
    from airflow.dag_processing.bundles.manager import DagBundlesManager
    from airflow.dag_processing.dagbag import DagBag, sync_bag_to_db

    org.state.create_project("team-search")
    org.log.clear()
    dag_file = tmp_path / "org_as_code_plan_uri.py"
    dag_file.write_text(PLAN_URI_DAG.format(org_file=str(org_file), uri=f"file://{tmp_path}/plans/plan.json"))
    bag = DagBag(dag_folder=str(dag_file))
    assert bag.import_errors == {}
    DagBundlesManager().sync_bundles_to_db()
    sync_bag_to_db(bag, "dags-folder", None)  # dag.test() runs only serialized DAGs
    dag = bag.dags["org_as_code_plan_uri"]

    with Approver(dag.dag_id, "Approve") as approver:
        run = run_dag(dag)

    states = task_states(run)
    assert (states["approve"], states["apply"]) == ("success", "success"), states
    assert approver.body is not None
    assert xcom(run, "plan")["digest"] in approver.body
    assert xcom(run, "approve")["digest"] == xcom(run, "plan")["digest"]
    assert len(org.log.writes()) == 3  # owner added, gpt-4o and gpt-4o-mini limits
