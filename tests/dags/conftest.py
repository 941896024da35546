"""Whole example DAGs run with ``dag.test()`` against the emulator.

``dag.test()`` needs a migrated metadata DB: :func:`airflow_db` creates it once per session
in the suite's temporary ``AIRFLOW_HOME`` (see ``tests/conftest.py``, which also points
``[core] dags_folder`` at ``dags_examples/``), with the ``openai_admin_api`` pool. Tasks
run in this process with a real Task SDK supervisor, and deferred tasks' triggers run
inline (``dag.test()`` does so on Airflow 3.2 and 3.3; it ignores a deferral's timeout).

The DAGs poll every 0.2 s here instead of every 5 minutes
(``[openai_admin_examples] poll_interval_seconds``, read when the DAG files are parsed).
"""

from __future__ import annotations

import functools
import json
import os
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from airflow_provider_openai_projects.emulator.server import EmulatorServer

os.environ["AIRFLOW__OPENAI_ADMIN_EXAMPLES__POLL_INTERVAL_SECONDS"] = "0.2"

DAGS_FOLDER = Path(__file__).resolve().parents[2] / "dags_examples"
POOL = "openai_admin_api"
USERS = "/organization/users"


PARSE_TIMES: list[str] = []
"""Parse time of each example DAG file, measured by the integrity test."""


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if PARSE_TIMES:
        terminalreporter.write_line("example DAG parse times: " + "; ".join(PARSE_TIMES))


@pytest.fixture(scope="session")
def airflow_db() -> Iterator[None]:
    """A migrated metadata DB (SQLite in the tests' AIRFLOW_HOME) with the provider's pool."""
    from airflow.models.pool import Pool
    from airflow.sdk.execution_time import supervisor
    from airflow.utils import db

    db.initdb()
    Pool.create_or_update_pool(POOL, 2, "OpenAI Admin API: bounds parallel calls", include_deferred=False)
    with pytest.MonkeyPatch.context() as patch:
        # Airflow 3.2's dag.test() builds a new in-process Execution API app for every task
        # instance (about 2 s of CPU each); 3.3 builds it once (functools.lru_cache). Do as
        # 3.3 does, so that the suite takes the same time on both.
        if not hasattr(supervisor.in_process_api_server, "cache_info"):
            patch.setattr(
                supervisor, "in_process_api_server", functools.lru_cache(maxsize=1)(supervisor.in_process_api_server)
            )
        yield


@pytest.fixture(scope="session")
def example_dags(airflow_db: None) -> dict[str, Any]:
    """The example DAGs, parsed once from ``dags_examples/``."""
    from airflow.dag_processing.dagbag import DagBag

    bag = DagBag(dag_folder=str(DAGS_FOLDER))
    assert bag.import_errors == {}
    return dict(bag.dags)


@pytest.fixture
def org(
    emulator: EmulatorServer, airflow_db: None, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> Iterator[EmulatorServer]:
    """The emulator (reset) behind ``openai_admin_default``, and no Airflow Variable left over.
    Org files are read from the test's ``tmp_path`` (the Variable ``openai_org_root``)."""
    monkeypatch.setenv("AIRFLOW_VAR_OPENAI_ORG_ROOT", str(tmp_path))
    monkeypatch.setenv(
        "AIRFLOW_CONN_OPENAI_ADMIN_DEFAULT",
        json.dumps({"conn_type": "openai_admin", "host": emulator.base_url, "password": emulator.admin_key}),
    )
    delete_variables()
    yield emulator
    delete_variables()


# -- running DAGs and reading what they left in the metadata DB ------------------------------


def run_dag(dag: Any, conf: dict[str, Any] | None = None, when: Any = None) -> Any:
    """One ``dag.test()`` run; with ``when`` the run's logical date and ``run_after`` (the same
    ``when`` again re-runs the same DAG run, as clearing it in the UI would).

    The DAG's own ``Param`` values are restored afterwards: in-process runs write a run's
    conf into the ``Param`` objects of the DAG and of its tasks (``process_params`` copies the ``ParamsDict``
    but not its ``Param`` objects, and ``Param.resolve(value)`` stores the value), so a
    later run without those keys would silently get this run's values.
    """
    holders = [dag.params, *(task.params for task in dag.task_dict.values() if task.params)]
    saved = [(param, param.value) for holder in holders for param in (holder.get_param(k) for k in holder)]
    try:
        if when is None:
            return dag.test(run_conf=conf)
        return dag.test(run_conf=conf, logical_date=when, run_after=when)
    finally:
        for param, value in saved:
            param.value = value


def task_states(run: Any) -> dict[str, str]:
    """``{"task_id": state}``, mapped instances as ``"task_id[i]"``."""
    from airflow.models.taskinstance import TaskInstance
    from airflow.utils.session import create_session
    from sqlalchemy import select

    with create_session() as session:
        rows = session.execute(
            select(TaskInstance.task_id, TaskInstance.map_index, TaskInstance.state).where(
                TaskInstance.dag_id == run.dag_id, TaskInstance.run_id == run.run_id
            )
        ).all()
    return {(t if m < 0 else f"{t}[{m}]"): str(getattr(s, "value", s)) for t, m, s in rows}


def xcom(run: Any, task_id: str, map_index: int = -1, key: str = "return_value") -> Any:
    """A task's XCom value in this run (``None`` if absent)."""
    from airflow.models.xcom import XComModel
    from airflow.utils.session import create_session
    from sqlalchemy import select

    with create_session() as session:
        row = session.scalar(
            select(XComModel).where(
                XComModel.dag_id == run.dag_id,
                XComModel.run_id == run.run_id,
                XComModel.task_id == task_id,
                XComModel.map_index == map_index,
                XComModel.key == key,
            )
        )
        return None if row is None else XComModel.deserialize_value(row)


def run_texts(run: Any) -> str:
    """Every XCom and every rendered template field of the run, as one text (to look for secrets in)."""
    from airflow.models.renderedtifields import RenderedTaskInstanceFields
    from airflow.models.xcom import XComModel
    from airflow.utils.session import create_session
    from sqlalchemy import select

    with create_session() as session:
        values = [
            json.dumps(XComModel.deserialize_value(row), default=str)
            for row in session.scalars(
                select(XComModel).where(XComModel.dag_id == run.dag_id, XComModel.run_id == run.run_id)
            )
        ]
        values += [
            json.dumps(fields, default=str)
            for fields in session.scalars(
                select(RenderedTaskInstanceFields.rendered_fields).where(
                    RenderedTaskInstanceFields.dag_id == run.dag_id, RenderedTaskInstanceFields.run_id == run.run_id
                )
            )
        ]
    return "\n".join(values)


def read_variable(key: str) -> Any:
    """An Airflow Variable's value (JSON decoded when it is JSON), read from the metadata DB.

    Read through the ORM, not ``Variable.get``: while a ``dag.test()`` task runs in this
    process, ``airflow.models.Variable.get`` takes the Task SDK path (it sees the in-process
    supervisor), which is not safe from another thread.
    """
    from airflow.models.variable import Variable
    from airflow.utils.session import create_session
    from sqlalchemy import select

    with create_session() as session:
        variable = session.scalar(select(Variable).where(Variable.key == key))
        if variable is None:
            return None
        value = variable.val
    try:
        return json.loads(value)
    except ValueError:
        return value


def set_variable(key: str, value: Any) -> None:
    from airflow.models.variable import Variable

    Variable.set(key, value if isinstance(value, str) else json.dumps(value))


def delete_variables() -> None:
    from airflow.models.variable import Variable
    from airflow.utils.session import create_session
    from sqlalchemy import delete

    with create_session() as session:
        session.execute(delete(Variable))


def user_gets(emulator: EmulatorServer, after_seq: int = 0) -> list[int]:
    """Seqs of ``GET /organization/users`` requests after ``after_seq`` (the sensor's checks)."""
    return [e.seq for e in emulator.log.entries() if e.method == "GET" and e.path == USERS and e.seq > after_seq]


# -- the people and services around the organization ----------------------------------------


class InviteAccepter:
    """The invited person, in a background thread: once an invite for ``email`` is pending
    and the DAG has checked at least once that they are not a member yet (so the sensor
    really waits), they accept it in the browser (the emulator's ``accept_invite``)."""

    def __init__(self, emulator: EmulatorServer, email: str) -> None:
        self.emulator = emulator
        self.email = email
        self.accepted_at_seq: int | None = None
        self.checks_before_accepting = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._watch, name=f"invitee-{email}", daemon=True)

    def __enter__(self) -> InviteAccepter:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=10)

    def _watch(self) -> None:
        while not self._stop.is_set():
            invite = next(
                (i for i in self.emulator.state.invites if i.email == self.email and i.accepted_at is None), None
            )
            if invite is not None:
                created = max(
                    (e.seq for e in self.emulator.log.entries() if e.method == "POST" and e.path.endswith("/invites")),
                    default=0,
                )
                checks = user_gets(self.emulator, after_seq=created)
                if checks:
                    self.checks_before_accepting = len(checks)
                    self.accepted_at_seq = max(e.seq for e in self.emulator.log.entries())
                    self.emulator.accept_invite(invite.id)
                    return
            time.sleep(0.05)


class KeyConsumer:
    """A service that reads its key from the Airflow Variable ``variable`` and calls the API
    with it every ``interval`` seconds (so it switches to a rotated key within one interval)."""

    def __init__(self, emulator: EmulatorServer, variable: str, interval: float = 0.2) -> None:
        self.emulator = emulator
        self.variable = variable
        self.interval = interval
        self.statuses: list[int] = []
        self.keys_used: set[str] = set()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, name=f"consumer-{variable}", daemon=True)

    def __enter__(self) -> KeyConsumer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=10)

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                stored = read_variable(self.variable)
            except Exception:  # a read while the DAG writes to SQLite: try again next time
                stored = None
            if isinstance(stored, dict) and isinstance(stored.get("api_key"), str):
                self.keys_used.add(stored["api_key_id"])
                self.statuses.append(self.emulator.use_key(stored["api_key"]))
            self._stop.wait(self.interval)


class Approver:
    """A person who approves (or rejects) the pending approval through the same code path as
    the Airflow UI and REST API (the public HITL route's function, with a real DB session).

    They answer once the task is parked awaiting input, as the UI offers it: an answer
    recorded while the task is still running is stored but resumes nothing (the route only
    resumes a parked task), and the run would wait forever."""

    def __init__(self, dag_id: str, choice: str, user: str = "reviewer") -> None:
        self.dag_id = dag_id
        self.choice = choice
        self.user = user
        self.body: str | None = None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._watch, daemon=True)

    def __enter__(self) -> Approver:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=10)

    def _watch(self) -> None:
        from airflow.api_fastapi.core_api.datamodels.hitl import UpdateHITLDetailPayload
        from airflow.api_fastapi.core_api.routes.public.hitl import update_hitl_detail
        from airflow.models.hitl import HITLDetail
        from airflow.models.taskinstance import TaskInstance
        from airflow.utils.session import create_session
        from airflow.utils.state import TaskInstanceState
        from sqlalchemy import select

        user = self.user

        class Reviewer:
            def get_id(self) -> str:
                return user

            def get_name(self) -> str:
                return user

        while not self._stop.is_set():
            with create_session() as session:
                row = session.execute(
                    select(TaskInstance.run_id, HITLDetail.body)
                    .join(HITLDetail, HITLDetail.ti_id == TaskInstance.id)
                    .where(TaskInstance.dag_id == self.dag_id, TaskInstance.task_id == "approve")
                    .where(TaskInstance.state == TaskInstanceState.AWAITING_INPUT)
                    .where(HITLDetail.responded_at.is_(None))
                ).first()
                if row is not None:
                    self.body = row.body
                    update_hitl_detail(
                        dag_id=self.dag_id,
                        dag_run_id=row.run_id,
                        task_id="approve",
                        update_hitl_detail_payload=UpdateHITLDetailPayload(
                            chosen_options=[self.choice], params_input={}
                        ),
                        user=Reviewer(),  # type: ignore[arg-type]
                        session=session,
                    )
                    return
            time.sleep(0.2)


def dag_test_resumes_human_in_the_loop_tasks() -> bool:
    """Airflow 3.3's ``dag.test()`` parks a HITL task in AWAITING_INPUT and resumes it when a
    response is recorded; 3.2's runs the HITL trigger inline, whose read of the HITL detail
    through the in-process supervisor returns nothing (it fails with ``'NoneType' object has
    no attribute 'response_received'``), so a response cannot be given in a 3.2 ``dag.test()``."""
    from airflow.providers.standard.version_compat import AIRFLOW_V_3_3_PLUS

    return bool(AIRFLOW_V_3_3_PLUS)
