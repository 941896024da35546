"""The example DAGs import cleanly (no import error, no warning of any kind) and follow the
project's rules: catchup off, retries with backoff, documentation, tags, and every task that
calls the Admin API in the ``openai_admin_api`` pool."""

from __future__ import annotations

import ast
import inspect
import re
import warnings
from pathlib import Path
from typing import Any

import pytest

from .conftest import DAGS_FOLDER, PARSE_TIMES, POOL

EXPECTED = {
    "openai_onboarding": "openai_onboarding.py",
    "openai_offboarding": "openai_offboarding.py",
    "openai_key_rotation": "openai_key_rotation.py",
    "openai_rate_limit_sync": "openai_rate_limit_sync.py",
    "openai_org_as_code": "openai_org_as_code.py",
    "openai_org_drift": "openai_org_drift.py",
    "openai_audit_export": "openai_audit_export.py",
    "openai_usage_costs_export": "openai_usage_costs_export.py",
    "openai_org_hygiene": "openai_org_hygiene.py",
    "openai_roster_sync": "openai_roster_sync.py",
}


#: Tasks that make no call and whose failure is a finding: a retry cannot change it.
NOT_RETRIED = {("openai_org_drift", "drift_report")}


@pytest.fixture(scope="module")
def bag() -> Any:
    """The example DAGs loaded the way the DAG processor loads them, warnings raised as errors."""
    from airflow.dag_processing.dagbag import DagBag

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        return DagBag(dag_folder=str(DAGS_FOLDER))


def test_example_dags_import_without_errors_or_warnings(bag: Any) -> None:
    assert bag.import_errors == {}
    assert {path: w for path, w in bag.captured_warnings.items() if w} == {}
    assert {dag_id: Path(dag.fileloc).name for dag_id, dag in bag.dags.items()} == EXPECTED


def test_parse_time_of_each_example_dag_is_reported(bag: Any) -> None:
    """A measurement for the record (shown in the run's summary), not an assertion on time."""
    stats = sorted(bag.dagbag_stats, key=lambda s: s.file)
    assert {Path(s.file).name for s in stats} >= set(EXPECTED.values())
    for stat in stats:
        seconds = stat.duration.total_seconds() if hasattr(stat.duration, "total_seconds") else stat.duration
        PARSE_TIMES.append(
            f"{Path(stat.file).name}: {seconds * 1000:.0f} ms ({stat.dag_num} DAG, {stat.task_num} tasks)"
        )


@pytest.mark.parametrize("dag_id", sorted(EXPECTED))
def test_example_dag_is_documented_tagged_without_catchup_and_retried_with_backoff(bag: Any, dag_id: str) -> None:
    dag = bag.dags[dag_id]
    assert dag.catchup is False
    assert "openai" in dag.tags
    assert "openai_admin_api" in dag.doc_md
    assert "admin key" in dag.doc_md
    for task in dag.tasks:
        if (dag_id, task.task_id) in NOT_RETRIED:
            assert task.retries == 0, task.task_id
            continue
        assert task.retries >= 1, task.task_id
        assert task.retry_exponential_backoff > 1, task.task_id
        assert task.max_retry_delay is not None, task.task_id


@pytest.mark.parametrize("dag_id", sorted(EXPECTED))
def test_the_doc_uses_only_what_the_ui_documentation_dialog_renders(bag: Any, dag_id: str) -> None:
    """Airflow 3's UI renders ``doc_md`` with react-markdown, skipping HTML: a fenced block
    without a language is drawn as inline text (wrapped, its lines run together), and an item
    numbered like ``5a.`` is no list item (it merges into the item above)."""
    doc = bag.dags[dag_id].doc_md
    fences = re.findall(r"^ *```(.*)$", doc, re.MULTILINE)
    openings = fences[::2]
    assert len(fences) % 2 == 0
    assert all(language.strip() for language in openings), f"a fenced block without a language: {openings}"
    assert re.findall(r"^ *\d+[A-Za-z]\. ", doc, re.MULTILINE) == []
    assert "<" not in re.sub(r"`[^`]*`", "", doc), "HTML is skipped by the dialog"


@pytest.mark.parametrize("dag_id", sorted(EXPECTED))
def test_every_task_that_calls_the_admin_api_runs_in_the_pool_and_no_other_does(bag: Any, dag_id: str) -> None:
    from airflow_provider_openai_projects.operators.base import OpenAIAdminBaseOperator
    from airflow_provider_openai_projects.sensors.base import OpenAIAdminBaseSensor

    api_classes = (OpenAIAdminBaseOperator, OpenAIAdminBaseSensor)
    dag = bag.dags[dag_id]

    def calls_the_api(task: Any) -> bool:  # an operator of the provider, or a @task using its hook
        callable_ = getattr(task, "python_callable", None)
        uses_hook = callable_ is not None and "OpenAIAdminHook(" in inspect.getsource(callable_)
        return issubclass(_operator_class(task), api_classes) or uses_hook

    calling = {t.task_id for t in dag.tasks if calls_the_api(t)}
    assert calling, "each example DAG calls the Admin API"
    assert {t.task_id: t.pool for t in dag.tasks if t.task_id in calling} == dict.fromkeys(calling, POOL)
    assert all(t.pool != POOL for t in dag.tasks if t.task_id not in calling), "other tasks would waste pool slots"


def test_scheduled_example_dags_run_on_their_schedule(bag: Any) -> None:
    assert bag.dags["openai_key_rotation"].schedule == "@weekly"
    assert bag.dags["openai_rate_limit_sync"].schedule == "@daily"
    assert bag.dags["openai_onboarding"].timetable.can_be_scheduled is False
    assert bag.dags["openai_offboarding"].timetable.can_be_scheduled is False
    assert bag.dags["openai_org_drift"].schedule == "@hourly"
    assert bag.dags["openai_org_as_code"].timetable.can_be_scheduled is False
    assert bag.dags["openai_org_hygiene"].schedule == "@daily"
    # The exports run per data interval (one file each): a data-interval timetable.
    from airflow.timetables.interval import CronDataIntervalTimetable

    for dag_id, cron in (("openai_audit_export", "0 * * * *"), ("openai_usage_costs_export", "0 0 * * *")):
        timetable = bag.dags[dag_id].timetable
        assert isinstance(timetable, CronDataIntervalTimetable)
        assert timetable.summary == cron


@pytest.mark.parametrize("filename", sorted(EXPECTED.values()))
def test_example_dag_files_do_no_work_at_parse_time(filename: str) -> None:
    """Module-level code only imports light modules and declares the DAG: Variables, files,
    YAML and the hook are read or imported inside tasks, when they run."""
    tree = ast.parse((DAGS_FOLDER / filename).read_text())
    top_imports: set[str] = set()
    for node in tree.body:
        if isinstance(node, ast.Import):
            top_imports |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            top_imports.add(node.module)
    assert not {m for m in top_imports if m.split(".")[0] in {"yaml", "requests", "httpx", "json", "openai"}}
    assert not {m for m in top_imports if m.startswith("airflow.models") or ".hooks" in m or ".client" in m}
    module_level_calls = {
        ast.unparse(node.value.func)
        for node in tree.body
        if isinstance(node, ast.Expr | ast.Assign) and isinstance(node.value, ast.Call)
    }
    forbidden = {"Variable.get", "open", "yaml.safe_load", "json.load"}
    assert not module_level_calls & forbidden


@pytest.mark.parametrize("filename", sorted(EXPECTED.values()))
def test_example_dag_files_stand_alone_importing_only_the_package_airflow_and_the_standard_library(
    filename: str,
) -> None:
    """A user copies one DAG file (with ``config/``) into their DAGs folder: it may import the
    provider package, Airflow, pendulum and the standard library, never another DAG file, a
    relative module or the repository's tests and scripts (anywhere in the file, tasks too)."""
    import sys

    allowed = {"airflow", "airflow_provider_openai_projects", "pendulum", *sys.stdlib_module_names}
    imported: set[str] = set()
    for node in ast.walk(ast.parse((DAGS_FOLDER / filename).read_text())):
        if isinstance(node, ast.Import):
            imported |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            assert node.level == 0, f"{filename}: a relative import ({ast.unparse(node)})"
            imported.add(str(node.module))
    assert imported
    assert sorted(m for m in imported if m.split(".")[0] not in allowed) == []


def _operator_class(task: Any) -> type:
    """The operator class of a task, mapped or not."""
    return (
        task.operator_class if hasattr(task, "operator_class") and isinstance(task.operator_class, type) else type(task)
    )
