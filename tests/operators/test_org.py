"""OrgPlanOperator and OrgApplyOperator against the emulator through a real connection."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from airflow.sdk.exceptions import AirflowFailException

from airflow_provider_openai_projects.emulator.server import EmulatorServer
from airflow_provider_openai_projects.hooks.admin import OpenAIAdminHook
from airflow_provider_openai_projects.operators import OrgApplyOperator, OrgPlanOperator
from airflow_provider_openai_projects.operators.org import PLAN_XCOM_KEY, drift_report
from airflow_provider_openai_projects.orgfile.digest import approval_record, key_of

from .conftest import FakeTaskInstance, make_context

ORG = 'projects:\n  team-search:\n    rate_limits:\n      "gpt-4o*": {max_requests_per_1_minute: 500}\n'


@pytest.fixture(autouse=True)
def _org_root(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Org files are read only from the org root: here the Variable names the test's folder."""
    monkeypatch.setenv("AIRFLOW_VAR_OPENAI_ORG_ROOT", str(tmp_path))


@pytest.fixture
def org_file(tmp_path: Path, admin_conn: EmulatorServer) -> Path:
    admin_conn.state.create_project("team-search")
    admin_conn.log.clear()
    path = tmp_path / "org.yaml"
    path.write_text(ORG)
    return path


def test_plan_returns_the_summary_and_table_pushes_the_plan_and_never_writes(
    org_file: Path, admin_conn: EmulatorServer, context: Any
) -> None:
    result = OrgPlanOperator(task_id="plan", org_file=str(org_file)).execute(context)

    assert result["in_sync"] is False
    assert result["summary"]["changes"] == 2
    assert "max_requests_per_1_minute 5000 -> 500" in result["table"]
    assert len(context["ti"].xcom[PLAN_XCOM_KEY]["changes"]) == 2
    assert admin_conn.log.writes() == []


def test_plan_to_a_storage_path_then_apply_exactly_it(
    org_file: Path, admin_conn: EmulatorServer, context: Any, tmp_path: Path
) -> None:
    uri = (tmp_path / "plans" / "run.json").as_uri()
    OrgPlanOperator(task_id="plan", org_file=str(org_file), plan_uri=uri).execute(context)
    assert PLAN_XCOM_KEY not in context["ti"].xcom

    result = OrgApplyOperator(task_id="apply", plan_uri=uri).execute(context)

    assert result["applied"] == 2
    assert result["writes"] == 2
    assert len(admin_conn.log.writes()) == 2
    assert "sk-" not in json.dumps(result)


def test_apply_refuses_a_stale_plan_with_no_write(
    org_file: Path, admin_conn: EmulatorServer, context: Any, tmp_path: Path
) -> None:
    uri = (tmp_path / "plan.json").as_uri()
    OrgPlanOperator(task_id="plan", org_file=str(org_file), plan_uri=uri).execute(context)
    project = next(p.id for p in admin_conn.state.projects if p.name == "team-search")
    admin_conn.state.update_rate_limit(project, "rl-gpt-4o", {"max_requests_per_1_minute": 500})
    admin_conn.log.clear()

    with pytest.raises(AirflowFailException, match="stale"):
        OrgApplyOperator(task_id="apply", plan_uri=uri).execute(context)
    assert admin_conn.log.writes() == []


def test_plan_fails_on_drift_when_asked(org_file: Path, admin_conn: EmulatorServer, context: Any) -> None:
    with pytest.raises(AirflowFailException, match="drifted from the file"):
        OrgPlanOperator(task_id="plan", org_file=str(org_file), fail_on_changes=True).execute(context)
    assert admin_conn.log.writes() == []


def test_a_bad_file_fails_the_task_at_once_with_no_request(
    admin_conn: EmulatorServer, context: Any, tmp_path: Path
) -> None:
    bad = tmp_path / "org.yaml"
    bad.write_text("projects:\n  p:\n    members: {a@b.co: admin}\n")
    with pytest.raises(AirflowFailException, match=r"org.yaml: projects.p.members\['a@b.co'\]: 'admin' is not one of"):
        OrgPlanOperator(task_id="plan", org_file=str(bad)).execute(context)
    assert admin_conn.log.entries() == []


def test_apply_needs_exactly_one_plan_source() -> None:
    with pytest.raises(ValueError, match="exactly one"):
        OrgApplyOperator(task_id="apply")


# -- org_file is confined to the org root (issue 17, point 9) --------------------------------

SECRET = "pg-Pr0d-Passw0rd-7f3a9c"


@pytest.fixture
def secret_outside(tmp_path: Path) -> Path:
    """A one-line secret file next to (not inside) the org root ``tmp_path/dags``."""
    (tmp_path / "dags").mkdir()
    secret = tmp_path / "db_password"
    secret.write_text(SECRET + "\n")
    return secret


@pytest.mark.parametrize("how", ["dot-dot", "absolute", "symlink"])
def test_an_org_file_outside_the_org_root_is_refused_without_reading_or_quoting_it(
    how: str, secret_outside: Path, tmp_path: Path, admin_conn: EmulatorServer, context: Any
) -> None:
    root = tmp_path / "dags"
    if how == "symlink":
        (root / "org.yaml").symlink_to(secret_outside)
    org_file = {"dot-dot": "../db_password", "absolute": str(secret_outside), "symlink": "org.yaml"}[how]

    with pytest.raises(AirflowFailException) as raised:
        OrgPlanOperator(task_id="plan", org_file=org_file, org_root=str(root)).execute(context)

    assert "is outside the org files' folder" in str(raised.value)
    assert SECRET not in str(raised.value)
    assert admin_conn.log.entries() == []


def test_a_secret_file_inside_the_root_is_not_quoted_by_the_schema_error(
    tmp_path: Path, admin_conn: EmulatorServer, context: Any
) -> None:
    """The leak of issue 17: ``(top level): must be object, got str 'pg-Pr0d-Passw0rd-7f3a9c'``."""
    (tmp_path / "secret.yaml").write_text(SECRET + "\n")
    with pytest.raises(
        AirflowFailException, match=r"secret.yaml: \(top level\): must be object, got string$"
    ) as raised:
        OrgPlanOperator(task_id="plan", org_file="secret.yaml").execute(context)
    assert SECRET not in str(raised.value)
    assert admin_conn.log.entries() == []


def test_without_org_root_or_variable_the_dag_folder_is_the_root(
    tmp_path: Path, admin_conn: EmulatorServer, context: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from airflow.sdk import DAG

    monkeypatch.delenv("AIRFLOW_VAR_OPENAI_ORG_ROOT")
    dags = tmp_path / "dags"
    (dags / "config").mkdir(parents=True)
    (dags / "config" / "org.yaml").write_text("projects: {}\n")
    (tmp_path / "elsewhere.yaml").write_text("projects: {}\n")
    with DAG("org", schedule=None) as dag:
        inside = OrgPlanOperator(task_id="inside", org_file="config/org.yaml")
        outside = OrgPlanOperator(task_id="outside", org_file=str(tmp_path / "elsewhere.yaml"))
    dag.fileloc = str(dags / "org_dag.py")

    assert inside.execute(context)["in_sync"] is True
    with pytest.raises(AirflowFailException, match="is outside the org files' folder"):
        outside.execute(context)


def test_without_any_root_the_plan_is_refused_before_reading(
    tmp_path: Path, admin_conn: EmulatorServer, context: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("AIRFLOW_VAR_OPENAI_ORG_ROOT")
    (tmp_path / "org.yaml").write_text("projects: {}\n")
    with pytest.raises(AirflowFailException, match="no folder to read org files from"):
        OrgPlanOperator(task_id="plan", org_file=str(tmp_path / "org.yaml")).execute(context)
    assert admin_conn.log.entries() == []


def test_the_org_file_name_is_logged_and_reported_escaped(
    tmp_path: Path, admin_conn: EmulatorServer, context: Any
) -> None:
    admin_conn.state.create_project("team-search")
    name = "org\x1b[2J.yaml"
    (tmp_path / name).write_text(ORG)
    with pytest.raises(AirflowFailException) as raised:
        OrgPlanOperator(task_id="plan", org_file=name, fail_on_changes=True).execute(context)
    assert "\x1b" not in str(raised.value)
    assert "org\\x1b[2J.yaml: the live organization drifted" in str(raised.value)


# -- what is approved is what is applied (issue 17 points 1-3) -----------------------------


@dataclass
class RunTaskInstance(FakeTaskInstance):
    """A task instance that also reads the XComs of the run's other tasks."""

    others: dict[tuple[str, str], Any] = field(default_factory=dict)

    def xcom_pull(self, task_ids: str, key: str = "return_value") -> Any:
        return self.others.get((task_ids, key))


def planned(org_file: Path, context: Any, document: str | None = None) -> dict[str, Any]:
    """The signed plan OrgPlanOperator pushes for ``document`` (default: the fixture's file)."""
    if document is not None:
        org_file.write_text(document)
    OrgPlanOperator(task_id="plan", org_file=str(org_file)).execute(context)
    return dict(context["ti"].xcom.pop(PLAN_XCOM_KEY))


def apply_context(plan: dict[str, Any], approval: Any) -> Any:
    context = make_context()
    context["ti"] = RunTaskInstance(others={("plan", PLAN_XCOM_KEY): plan, ("approve", "return_value"): approval})
    return context


def apply_op() -> OrgApplyOperator:
    return OrgApplyOperator(task_id="apply", plan_task_id="plan", approval_task_ids=["approve", "auto_approve"])


def test_apply_applies_the_plan_with_the_approved_digest(
    org_file: Path, admin_conn: EmulatorServer, context: Any
) -> None:
    plan = planned(org_file, context)
    approval = approval_record(key_of(OpenAIAdminHook()), make_context()["run_id"], plan["digest"], "reviewer")

    result = apply_op().execute(apply_context(plan, approval))

    assert result["applied"] == 2


def test_a_substituted_xcom_plan_is_not_applied(org_file: Path, admin_conn: EmulatorServer, context: Any) -> None:
    approved = planned(org_file, context)
    # Another plan, validly signed (a rate-limit update was approved; a member removal is swapped in).
    admin_conn.state.add_user("bob@example.com", "Bob", "reader")
    project = next(p.id for p in admin_conn.state.projects if p.name == "team-search")
    admin_conn.state.add_project_user(project, "member", email="bob@example.com")
    substitute = planned(org_file, context, "projects:\n  team-search:\n    members: {}\n")
    approval = approval_record(key_of(OpenAIAdminHook()), make_context()["run_id"], approved["digest"], "reviewer")
    admin_conn.log.clear()

    with pytest.raises(AirflowFailException, match="is not the approved plan"):
        apply_op().execute(apply_context(substitute, approval))
    assert admin_conn.log.writes() == []


def test_a_tampered_xcom_plan_is_refused_before_any_request(
    org_file: Path, admin_conn: EmulatorServer, context: Any
) -> None:
    plan = planned(org_file, context)
    approval = approval_record(key_of(OpenAIAdminHook()), make_context()["run_id"], plan["digest"], "reviewer")
    plan["changes"][0]["after"] = {"max_requests_per_1_minute": 1}
    admin_conn.log.clear()

    with pytest.raises(AirflowFailException, match="edited after it was made"):
        apply_op().execute(apply_context(plan, approval))
    assert admin_conn.log.entries() == []


@pytest.mark.parametrize("approval", [None, {"digest": "sha256:x", "approved_by": "me", "run_id": "r", "mac": "0"}])
def test_no_or_a_forged_approval_record_applies_nothing(
    org_file: Path, admin_conn: EmulatorServer, context: Any, approval: Any
) -> None:
    plan = planned(org_file, context)
    if approval is not None:
        approval = {**approval, "digest": plan["digest"], "run_id": make_context()["run_id"]}
    admin_conn.log.clear()

    with pytest.raises(AirflowFailException, match=r"no approval recorded|does not match this run"):
        apply_op().execute(apply_context(plan, approval))
    assert admin_conn.log.entries() == []


def test_a_live_name_with_control_characters_reaches_no_log_result_or_drift_line_raw(
    org_file: Path, admin_conn: EmulatorServer, context: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    """A member created through the API as ``mal<ESC>[8mlory@example.com<U+202E>`` and removed
    by the file: every line that names them (the CHANGE log, the result's ``done``, the drift
    report) shows the escapes, never the raw characters."""
    hostile = "mal\x1b[8mlory@example.com\u202e"
    admin_conn.state.add_user(hostile, "Mallory", "reader")
    project = next(p.id for p in admin_conn.state.projects if p.name == "team-search")
    admin_conn.state.add_project_user(project, "member", email=hostile)
    plan = planned(org_file, context, "projects:\n  team-search:\n    members: {}\n")
    approval = approval_record(key_of(OpenAIAdminHook()), make_context()["run_id"], plan["digest"], "reviewer")

    capsys.readouterr()
    result = apply_op().execute(apply_context(plan, approval))
    logged = capsys.readouterr().out  # the task's log (Airflow 3's structlog writes to stdout here)

    shown = "remove members team-search mal\\x1b[8mlory@example.com\\u202e: role member -> -"
    assert result["done"] == [shown]
    assert drift_report(plan) == [shown]
    assert f"CHANGE: {shown}" in logged
    assert "\x1b" not in logged
    assert "\u202e" not in logged
