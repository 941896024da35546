"""``openai_audit_export`` end to end: one file per hour under the Variable's base folder,
exactly the emulator's events of that hour, a re-run rewrites it, one list call per 100;
the tenant-scoped events (group membership) in a file of their own."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import pendulum
import pytest

from airflow_provider_openai_projects.client import OpenAIAdminClient
from airflow_provider_openai_projects.emulator.families.audit_logs import AuditQuery
from airflow_provider_openai_projects.emulator.server import EmulatorServer

from .conftest import run_dag, set_variable, task_states, xcom

AUDIT_LOGS = "/organization/audit_logs"
TASK = "export_audit_logs"
TENANT_TASK = "export_tenant_audit_logs"


@pytest.fixture
def dag(example_dags: dict[str, Any]) -> Any:
    return example_dags["openai_audit_export"]


def at(emulator: EmulatorServer, moment: pendulum.DateTime) -> None:
    """Set the emulated clock to ``moment``."""
    emulator.state.set_clock(int(moment.timestamp()))


@pytest.fixture
def hours(org: EmulatorServer, tmp_path: Path) -> list[pendulum.DateTime]:
    """Three past hours ``h0 < h1 < h2`` (starts); writes made through the API in the first
    two: 130 in ``h0`` (two pages), some on both sides of the boundary ``h1``, none in ``h2``."""
    set_variable("openai_export_base_path", f"file://{tmp_path}/exports")
    h0 = pendulum.now("UTC").start_of("hour").subtract(hours=4)
    h1, h2 = h0.add(hours=1), h0.add(hours=2)
    with OpenAIAdminClient(org.admin_key, base_url=org.base_url) as client:
        at(org, h0)
        first = client.create_project(name="at-the-first-second")["id"]
        at(org, h0.add(minutes=20))
        for n in range(128):
            client.create_project(name=f"bulk-{n}")
        at(org, h1.subtract(seconds=1))
        client.update_project(first, name="renamed-in-the-last-second")
        at(org, h1)
        client.create_service_account(first, name="bot-at-the-boundary")
        at(org, h1.add(minutes=59, seconds=59))
        client.create_project(name="last-second-of-h1")
    at(org, pendulum.now("UTC"))
    return [h0, h1, h2]


def emulated_events(
    emulator: EmulatorServer, start: pendulum.DateTime, end: pendulum.DateTime, tenant_only: bool = False
) -> list[Any]:
    """The emulator's own record of the events of ``[start, end)`` that the API lists."""
    query = AuditQuery(
        effective_at={"gte": int(start.timestamp()), "lt": int(end.timestamp())}, tenant_only=tenant_only
    )
    return sorted((e.render() for e in emulator.state.audit_events if query.matches(e)), key=lambda e: e["id"])


def exported(result: dict[str, Any]) -> list[dict[str, Any]]:
    text = Path(result["path"].removeprefix("file://")).read_text()
    return [json.loads(line) for line in text.splitlines()]


def list_calls(emulator: EmulatorServer, tenant_only: bool = False) -> int:
    """The audit-log list calls of the plain (or the tenant-scoped) export."""
    entries = emulator.log.entries()
    assert {(e.method, e.path) for e in entries} <= {("GET", AUDIT_LOGS)}  # lists only, nothing else
    return sum(1 for e in entries if (e.query.get("tenant_only") == ["true"]) == tenant_only)


def test_each_hour_lands_in_its_own_file_exactly_once_and_a_rerun_rewrites_it(
    org: EmulatorServer, dag: Any, hours: list[pendulum.DateTime], tmp_path: Path
) -> None:
    h0, h1, h2 = hours
    folder = tmp_path / "exports" / "audit_logs"
    results = []
    for start, end in [(h0, h1), (h1, h2), (h2, h2.add(hours=1))]:
        org.log.clear()
        run = run_dag(dag, when=end)  # a run after ``end`` exports the hour that ended then
        assert run.state == "success", task_states(run)
        result = xcom(run, TASK)
        expected = emulated_events(org, start, end)
        assert result["path"] == f"file://{folder}/{start:%Y%m%dT%H%M%SZ}_{end:%Y%m%dT%H%M%SZ}.jsonl"
        assert result["records"] == len(expected)
        assert sorted(exported(result), key=lambda e: e["id"]) == expected
        assert list_calls(org) == max(1, math.ceil(len(expected) / 100))
        results.append(result)
    assert [r["records"] for r in results] == [130, 2, 0]  # 128 + 1 + the rename; the boundary's two; none
    boundary = {e["type"] for e in exported(results[1])}
    assert boundary == {"service_account.created", "project.created"}
    assert sorted(p.name for p in folder.iterdir()) == sorted(Path(r["path"]).name for r in results)

    # A re-run of the first hour (cleared in the UI) rewrites its file whole: no duplicate.
    org.log.clear()
    again = run_dag(dag, when=h1)
    assert again.state == "success", task_states(again)
    assert xcom(again, TASK) == results[0]
    rewritten = exported(results[0])
    assert len(rewritten) == len({e["id"] for e in rewritten}) == 130
    assert sorted(rewritten, key=lambda e: e["id"]) == emulated_events(org, h0, h1)
    assert list_calls(org) == 2
    assert sorted(p.name for p in folder.iterdir()) == sorted(Path(r["path"]).name for r in results)
    assert org.admin_key not in "".join(p.read_text() for p in folder.iterdir())


def test_each_file_written_is_an_asset_event_naming_it(
    org: EmulatorServer, dag: Any, hours: list[pendulum.DateTime]
) -> None:
    from airflow.models.asset import AssetEvent, AssetModel
    from airflow.utils.session import create_session
    from sqlalchemy import select

    def asset_events() -> list[dict[str, Any]]:
        with create_session() as session:
            return list(
                session.scalars(
                    select(AssetEvent.extra)
                    .join(AssetModel, AssetModel.id == AssetEvent.asset_id)
                    .where(AssetModel.name == "openai_audit_logs_export")
                    .order_by(AssetEvent.id)
                ).all()
            )

    before = len(asset_events())
    run = run_dag(dag, when=hours[1])
    assert run.state == "success", task_states(run)
    result = xcom(run, TASK)
    assert asset_events()[before:] == [
        {
            "path": result["path"],
            "records": 130,
            "data_interval_start": hours[0].isoformat(),
            "data_interval_end": hours[1].isoformat(),
        }
    ]


def test_group_membership_lands_in_the_tenant_file_of_its_hour_and_only_there(
    org: EmulatorServer, dag: Any, tmp_path: Path
) -> None:
    set_variable("openai_export_base_path", f"file://{tmp_path}/exports")
    h0 = pendulum.now("UTC").start_of("hour").subtract(hours=3)
    h1 = h0.add(hours=1)
    ada = org.add_org_user("ada@example.com")
    with OpenAIAdminClient(org.admin_key, base_url=org.base_url) as client:
        at(org, h0.add(minutes=5))
        group = client.create_group(name="eng")
        client.add_group_user(group["id"], user_id=ada["id"])
    at(org, pendulum.now("UTC"))
    org.log.clear()

    run = run_dag(dag, when=h1)

    assert run.state == "success", task_states(run)
    tenant, plain = exported(xcom(run, TENANT_TASK)), exported(xcom(run, TASK))
    assert xcom(run, TENANT_TASK)["path"].startswith(f"file://{tmp_path}/exports/audit_logs_tenant/")
    assert sorted(tenant, key=lambda e: e["id"]) == emulated_events(org, h0, h1, tenant_only=True)
    assert [e["type"] for e in tenant] == ["tenant.group.member.added"]
    assert sorted(plain, key=lambda e: e["id"]) == emulated_events(org, h0, h1)
    assert not any(e["type"].startswith("tenant.") for e in plain)
    assert (list_calls(org), list_calls(org, tenant_only=True)) == (1, 1)


def test_a_manual_run_exports_the_hour_given_in_its_conf(
    org: EmulatorServer, dag: Any, hours: list[pendulum.DateTime], tmp_path: Path
) -> None:
    h0, h1, _ = hours
    org.log.clear()
    conf = {"data_interval_start": h0.strftime("%Y-%m-%dT%H:%M:%SZ"), "data_interval_end": h1.isoformat()}
    run = run_dag(dag, conf)
    assert run.state == "success", task_states(run)
    result = xcom(run, TASK)
    assert result["path"] == f"file://{tmp_path}/exports/audit_logs/{h0:%Y%m%dT%H%M%SZ}_{h1:%Y%m%dT%H%M%SZ}.jsonl"
    assert sorted(exported(result), key=lambda e: e["id"]) == emulated_events(org, h0, h1)
    assert xcom(run, TENANT_TASK)["data_interval_start"] == h0.isoformat()
