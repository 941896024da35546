"""The four example DAGs on a real Airflow deployment, driven through the REST API as a user would.

Scheduler (LocalExecutor), dag-processor, triggerer and api-server run as subprocesses over
a throwaway home and a PostgreSQL metadata DB; the emulator runs as its own process, throttling every
endpoint (``harness.EMULATOR_RPM``). The tests run in order over that one deployment:

1. onboarding, triggered with conf: its sensor defers to the triggerer and resumes when
   the person accepts the invite (through the emulator's control API);
2. key rotation, unpaused with its entries Variable set: the scheduled run rotates, waits
   in the triggerer until the new key (read here from its Variable) is used, then deletes
   the previous generation;
3. rate-limit sync, unpaused (its scheduled run) and triggered with conf;
4. offboarding, triggered as a dry run and then for real;
5. four rate-limit syncs in parallel (one DAG run, four tasks over disjoint slices of
   projects) through a connection whose ``rate_limit_backend`` is a SQLite file in the
   deployment's home, the emulator throttling each endpoint with a bucket of 2: the calls
   are the minimum, none is answered 429, every task succeeds on its first try;
6. every run of the four DAGs succeeded, every task on its first try;
7. neither the admin key nor any minted key is in any task, trigger, scheduler,
   dag-processor, triggerer or api-server log, nor in any XCom or Variable the REST API lists.

Two commands come from the README itself (``harness.readme_command``), so a README showing a
command Airflow no longer has fails here: the connection test
(``AIRFLOW__CORE__TEST_CONNECTION=Enabled airflow connections test openai_admin_default``) and
the audit export's backfill (``airflow backfill create --dag-id openai_audit_export ...``),
whose runs must each export their hour.

Assertions stay at the level of DAG runs, task-instance states, the emulator's state and
request log, logs and XComs (not the DAGs' internal wiring), so that the example DAGs can
be refactored freely behind their ``Param`` names.
"""

from __future__ import annotations

import itertools
import json
import time
from typing import Any

import pendulum
import pytest
import requests

from .harness import (
    EMULATOR_BURST,
    EMULATOR_RPM,
    EXAMPLE_DAGS,
    POOL,
    AirflowApi,
    Deployment,
    EmulatorControl,
    readme_command,
    wait_for,
)

pytestmark = [pytest.mark.deployment, pytest.mark.timeout(900)]

ADA = "ada@example.com"
GRACE = "grace@example.com"
KEY_VARIABLE = "openai_search_backend_api_key"
ENTRIES_VARIABLE = "openai_key_rotation_entries"
RUN_TIMEOUT = 240.0


def _ti(api: AirflowApi, dag_id: str, run_id: str, task_id: str) -> dict[str, Any] | None:
    """The (first) task instance of ``task_id`` in the run, mapped or not; ``None`` before it exists."""
    return next((ti for ti in api.task_instances(dag_id, run_id) if ti["task_id"] == task_id), None)


def _wait_until_deferred(
    api: AirflowApi, deployment: Deployment, dag_id: str, run_id: str, task_id: str
) -> dict[str, Any]:
    def deferred() -> dict[str, Any] | None:
        deployment.check_alive()
        ti = _ti(api, dag_id, run_id, task_id)
        if ti is not None and ti["state"] in ("failed", "upstream_failed", "skipped"):
            raise AssertionError(f"{task_id} ended {ti['state']} before deferring")
        return ti if ti is not None and ti["state"] == "deferred" else None

    return wait_for(f"{dag_id}.{task_id} to be deferred", deferred, timeout=RUN_TIMEOUT, interval=0.3)


def _last_seq(control: EmulatorControl) -> int:
    return max((entry["seq"] for entry in control.requests()), default=0)


def _read_key(deployment: Deployment) -> dict[str, Any]:
    """The Variable holding the team service account's key, read as a consumer would (never printed)."""
    return dict(json.loads(deployment.airflow_cli("variables", "get", KEY_VARIABLE)))


def _use_key(deployment: Deployment, value: str) -> int:
    """``GET /v1/models`` with the key, as a service would; the HTTP status."""
    response = requests.get(
        f"{deployment.emulator_url}/v1/models", headers={"Authorization": f"Bearer {value}"}, timeout=30
    )
    return response.status_code


def _project(control: EmulatorControl, name: str) -> dict[str, Any]:
    return next(p for p in control.state()["projects"] if p["name"] == name and p["status"] == "active")


def test_example_dags_are_parsed_and_paused_at_creation(airflow_api: AirflowApi) -> None:
    def parsed() -> dict[str, bool] | None:
        dags = {d["dag_id"]: d["is_paused"] for d in airflow_api.get("/dags", limit=100)["dags"]}
        return dags if set(EXAMPLE_DAGS) <= set(dags) else None

    dags = wait_for("the dag-processor to parse the example DAGs", parsed, timeout=RUN_TIMEOUT)
    assert {dag_id: dags[dag_id] for dag_id in EXAMPLE_DAGS} == dict.fromkeys(EXAMPLE_DAGS, True)
    assert airflow_api.get("/importErrors")["total_entries"] == 0
    # The deployment step: the pool every Admin API task runs in.
    airflow_api.post("/pools", {"name": POOL, "slots": 2, "include_deferred": False})


def test_the_readmes_connection_test_reads_the_organization(
    deployment: Deployment, emulator_control: EmulatorControl
) -> None:
    mark = _last_seq(emulator_control)
    done = deployment.run_readme_command("airflow connections test openai_admin_default")
    assert "Connection success!" in done.stdout, done.stdout[-2000:] + done.stderr[-2000:]
    assert done.returncode == 0
    reads = [e["route"] for e in emulator_control.requests() if e["seq"] > mark]
    assert reads == ["GET /organization/projects"]


def test_the_readmes_backfill_exports_each_hour_of_its_period(airflow_api: AirflowApi, deployment: Deployment) -> None:
    base = deployment.root / "exports"
    airflow_api.post("/variables", {"key": "openai_export_base_path", "value": f"file://{base}"})
    airflow_api.unpause("openai_audit_export")  # the README: a backfill runs on an unpaused DAG

    def settled() -> bool | None:  # the run the unpause schedules at once has finished
        runs = airflow_api.runs("openai_audit_export")
        return True if runs and all(r["state"] in ("success", "failed") for r in runs) else None

    wait_for("the unpaused DAG's scheduled run to finish", settled, timeout=RUN_TIMEOUT, interval=1)
    _, words = readme_command("airflow backfill create --dag-id openai_audit_export")
    start, end = (pendulum.parse(words[words.index(flag) + 1]) for flag in ("--from-date", "--to-date"))
    done = deployment.run_readme_command("airflow backfill create --dag-id openai_audit_export")
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]

    def backfilled() -> list[dict[str, Any]] | None:
        runs = [r for r in airflow_api.runs("openai_audit_export") if r["run_type"] == "backfill"]
        deployment.check_alive()
        return runs if runs and all(r["state"] in ("success", "failed") for r in runs) else None

    runs = wait_for("the backfill's runs to finish", backfilled, timeout=RUN_TIMEOUT, interval=1)
    assert {r["state"] for r in runs} == {"success"}
    hours = sorted(pendulum.parse(r["logical_date"]) for r in runs)
    assert start.subtract(hours=1) <= hours[0] <= hours[-1] <= end
    files = sorted(p.name for p in (base / "audit_logs").glob("*.jsonl"))
    for hour in hours:
        assert f"{hour:%Y%m%dT%H%M%SZ}_{hour.add(hours=1):%Y%m%dT%H%M%SZ}.jsonl" in files


def test_onboarding_sensor_defers_to_the_triggerer_and_resumes_when_the_invite_is_accepted(
    airflow_api: AirflowApi, deployment: Deployment, emulator_control: EmulatorControl, minted_keys: list[str]
) -> None:
    airflow_api.unpause("openai_onboarding")
    run_id = airflow_api.trigger(
        "openai_onboarding",
        {
            "email": ADA,
            "projects": [{"name": "team-search", "role": "owner"}, {"name": "team-research", "role": "member"}],
            "service_account": {"project": "team-search", "name": "search-backend"},
        },
    )
    deferred = _wait_until_deferred(airflow_api, deployment, "openai_onboarding", run_id, "wait_until_member")
    deferred_at = _last_seq(emulator_control)

    # While the task is deferred no worker runs it: a membership check made now is the triggerer's.
    def trigger_checked() -> bool:
        return any(
            e["seq"] > deferred_at and e["method"] == "GET" and e["path"] == "/organization/users"
            for e in emulator_control.requests()
        )

    wait_for("the triggerer to check the membership", trigger_checked, timeout=60)
    assert _ti(airflow_api, "openai_onboarding", run_id, "wait_until_member")["state"] == "deferred"  # type: ignore[index]
    invite = next(i for i in emulator_control.state()["invites"] if i["email"] == ADA and i["accepted_at"] is None)
    emulator_control.accept_invite(invite["id"])

    assert airflow_api.wait_for_run(deployment, "openai_onboarding", run_id, RUN_TIMEOUT) == "success"
    assert deferred["try_number"] == 1
    state = emulator_control.state()
    ada = next(u for u in state["users"] if u["email"] == ADA)
    search = _project(emulator_control, "team-search")
    assert {(m["id"], m["role"]) for m in search["users"]} >= {(ada["id"], "owner")}
    assert [a["name"] for a in search["service_accounts"]] == ["search-backend--initial"]
    stored = _read_key(deployment)
    minted_keys.append(stored["api_key"])
    assert _use_key(deployment, stored["api_key"]) == 200


def test_key_rotation_scheduled_run_waits_in_the_triggerer_until_the_new_key_is_used(
    airflow_api: AirflowApi, deployment: Deployment, emulator_control: EmulatorControl, minted_keys: list[str]
) -> None:
    search = _project(emulator_control, "team-search")
    entries = [{"project_id": search["id"], "service_account_name": "search-backend"}]
    # README: set the entries Variable, then unpause; the scheduled run rotates them.
    airflow_api.post("/variables", {"key": ENTRIES_VARIABLE, "value": json.dumps(entries)})
    old = _read_key(deployment)
    airflow_api.unpause("openai_key_rotation")
    run_id = wait_for(
        "the scheduled rotation run", lambda: [r["dag_run_id"] for r in airflow_api.runs("openai_key_rotation")], 60
    )[0]
    assert airflow_api.run_state("openai_key_rotation", run_id) in ("queued", "running")
    _wait_until_deferred(airflow_api, deployment, "openai_key_rotation", run_id, "rotate_entry.wait_until_new_key_used")

    new = _read_key(deployment)
    minted_keys.append(new["api_key"])
    assert new["api_key_id"] != old["api_key_id"]
    time.sleep(1.1)  # last_used_at has a resolution of one second; the sensor wants a use after it started
    assert _use_key(deployment, new["api_key"]) == 200  # the consumer switched to the new key

    assert airflow_api.wait_for_run(deployment, "openai_key_rotation", run_id, RUN_TIMEOUT) == "success"
    names = [a["name"] for a in _project(emulator_control, "team-search")["service_accounts"]]
    assert len(names) == 1
    assert names != ["search-backend--initial"]
    assert _use_key(deployment, old["api_key"]) == 401  # the previous generation is gone
    assert _use_key(deployment, new["api_key"]) == 200


def test_rate_limit_sync_scheduled_and_manual_runs_enforce_the_policy(
    airflow_api: AirflowApi, deployment: Deployment, emulator_control: EmulatorControl
) -> None:
    airflow_api.unpause("openai_rate_limit_sync")
    scheduled = wait_for(
        "the scheduled sync run", lambda: [r["dag_run_id"] for r in airflow_api.runs("openai_rate_limit_sync")], 60
    )[0]
    assert airflow_api.wait_for_run(deployment, "openai_rate_limit_sync", scheduled, RUN_TIMEOUT) == "success"
    manual = airflow_api.trigger("openai_rate_limit_sync", {"dry_run": False})
    assert airflow_api.wait_for_run(deployment, "openai_rate_limit_sync", manual, RUN_TIMEOUT) == "success"
    # config/rate_limits.yaml: "gpt-5*" -> 1000 requests per minute in every "team-*" project.
    for name in ("team-search", "team-research"):
        limits = {r["model"]: r for r in _project(emulator_control, name)["rate_limits"]}
        gpt5 = [limit for model, limit in limits.items() if model.startswith("gpt-5")]
        assert gpt5
        assert {limit["max_requests_per_1_minute"] for limit in gpt5} == {1000}


def test_offboarding_dry_run_then_run_removes_the_person_and_hands_over_her_project(
    airflow_api: AirflowApi, deployment: Deployment, emulator_control: EmulatorControl
) -> None:
    grace = emulator_control.add_user(GRACE, "Grace")
    airflow_api.unpause("openai_offboarding")
    conf = {"email": ADA, "successor_owner": GRACE}
    dry = airflow_api.trigger("openai_offboarding", {**conf, "dry_run": True})
    assert airflow_api.wait_for_run(deployment, "openai_offboarding", dry, RUN_TIMEOUT) == "success"
    assert ADA in [u["email"] for u in emulator_control.state()["users"]]
    real = airflow_api.trigger("openai_offboarding", conf)
    assert airflow_api.wait_for_run(deployment, "openai_offboarding", real, RUN_TIMEOUT) == "success"
    assert ADA not in [u["email"] for u in emulator_control.state()["users"]]
    owners = {m["id"] for m in _project(emulator_control, "team-search")["users"] if m["role"] == "owner"}
    assert grace["id"] in owners


PARALLEL_DAG = "openai_parallel_rate_limit_sync"  # tests/deployment/dags/
PARALLEL_TASKS = 4
PARALLEL_PROJECTS = 24
#: The emulator's throttle during the parallel sync (per endpoint, bucket of 2); the shared
#: connection paces at the same rate (3 % under it).
PARALLEL_RPM = 120
READ_ROUTE = "GET /organization/projects/{project_id}/rate_limits"
WRITE_ROUTE = "POST /organization/projects/{project_id}/rate_limits/{rate_limit_id}"


def _create_projects(deployment: Deployment, count: int) -> list[str]:
    """``count`` new projects, made through the Admin API as an administrator would."""
    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {deployment.admin_key}"
    ids = []
    for n in range(count):
        response = session.post(
            f"{deployment.emulator_url}/v1/organization/projects", json={"name": f"parallel-{n:02d}"}, timeout=30
        )
        assert response.status_code == 200, response.text
        ids.append(response.json()["id"])
    return ids


def test_four_parallel_syncs_share_one_budget_with_the_minimum_calls_and_no_429(
    airflow_api: AirflowApi, deployment: Deployment, emulator_control: EmulatorControl
) -> None:
    emulator_control.throttle(None)
    ids = _create_projects(deployment, PARALLEL_PROJECTS)
    first = next(p for p in emulator_control.state()["projects"] if p["id"] == ids[0])
    model, limits = next((r["model"], r) for r in first["rate_limits"])
    # One limit differs in every project: one read and one write per project is the minimum.
    policy = {model: {"max_requests_per_1_minute": int(limits["max_requests_per_1_minute"]) // 2}}
    slices = [ids[n::PARALLEL_TASKS] for n in range(PARALLEL_TASKS)]
    assert deployment.shared_budget_rpm == PARALLEL_RPM
    emulator_control.throttle(PARALLEL_RPM, burst=2)
    try:
        airflow_api.unpause(PARALLEL_DAG)
        mark = _last_seq(emulator_control)
        run_id = airflow_api.trigger(PARALLEL_DAG, {"slices": slices, "rate_limits": policy})
        state = airflow_api.wait_for_run(deployment, PARALLEL_DAG, run_id, RUN_TIMEOUT)
    finally:
        emulator_control.throttle(EMULATOR_RPM, burst=EMULATOR_BURST)
    calls = [e for e in emulator_control.requests() if e["seq"] > mark and e["route"] in (READ_ROUTE, WRITE_ROUTE)]
    others = [e["route"] for e in emulator_control.requests() if e["seq"] > mark and e not in calls]
    assert state == "success"
    tis = airflow_api.task_instances(PARALLEL_DAG, run_id)
    assert sorted((t["task_id"], t["state"], t["try_number"]) for t in tis) == [
        (f"sync_{n}", "success", 1) for n in range(PARALLEL_TASKS)
    ]
    assert [e for e in calls if e["status"] != 200] == []  # no 429, no other error
    assert others == []
    # The minimum: each project's limits read once and its one differing limit written once.
    for route in (READ_ROUTE, WRITE_ROUTE):
        touched = sorted(e["path"].split("/")[3] for e in calls if e["route"] == route)
        assert touched == sorted(ids), route
    # The tasks really ran at the same time: their writes interleave (one after the other,
    # the task writing would change only PARALLEL_TASKS - 1 times).
    owner = {project_id: n for n, part in enumerate(slices) for project_id in part}
    ordered = sorted(calls, key=lambda e: int(e["seq"]))
    writers = [owner[e["path"].split("/")[3]] for e in ordered if e["route"] == WRITE_ROUTE]
    assert sum(1 for a, b in itertools.pairwise(writers) if a != b) >= PARALLEL_TASKS, writers
    for limit in next(p for p in emulator_control.state()["projects"] if p["id"] == ids[-1])["rate_limits"]:
        if limit["model"] == model:
            assert limit["max_requests_per_1_minute"] == policy[model]["max_requests_per_1_minute"]


def test_every_run_succeeded_and_every_task_on_its_first_try(airflow_api: AirflowApi) -> None:
    for dag_id in EXAMPLE_DAGS:
        runs = airflow_api.runs(dag_id)
        assert runs, dag_id
        assert {r["dag_run_id"]: r["state"] for r in runs} == {r["dag_run_id"]: "success" for r in runs}
        for run in runs:
            tis = airflow_api.task_instances(dag_id, run["dag_run_id"])
            assert tis
            bad = [(t["task_id"], t["map_index"], t["state"], t["try_number"]) for t in tis]
            bad = [b for b in bad if b[2] not in ("success", "skipped") or b[3] > 1]
            assert bad == [], f"{dag_id} {run['dag_run_id']}"


def test_no_admin_or_minted_key_in_any_log_xcom_or_variable_listing(
    airflow_api: AirflowApi, deployment: Deployment, minted_keys: list[str]
) -> None:
    secrets = [deployment.admin_key, *minted_keys]
    assert len(minted_keys) == 2  # the onboarding's first generation and the rotated one

    files = list(deployment.component_log_files())
    names = {path.name for path in files}
    assert {"scheduler.log", "dag-processor.log", "triggerer.log", "api-server.log"} <= names
    task_logs = [path for path in files if "dag_id=" in str(path)]
    assert any("wait_until_member" in str(path) for path in task_logs)
    leaks = [str(path) for path in files for secret in secrets if secret in path.read_text(errors="replace")]
    assert leaks == []

    xcoms = airflow_api.get("/dags/~/dagRuns/~/taskInstances/~/xcomEntries", limit=1000)["xcom_entries"]
    assert xcoms
    texts = []
    for entry in xcoms:
        path = (
            f"/dags/{entry['dag_id']}/dagRuns/{entry['run_id']}/taskInstances/{entry['task_id']}"
            f"/xcomEntries/{entry['key']}"
        )
        texts.append(airflow_api.get_text(path, map_index=entry["map_index"]))
    variables = airflow_api.get_text("/variables", limit=100)
    assert KEY_VARIABLE in variables
    assert [secret for secret in secrets if any(secret in text for text in [*texts, variables])] == []
