"""``make demo``: the four example DAGs, end to end, against the embedded Admin API emulator.

What it does, on a fresh clone after the install, without an OpenAI account or network:

1. makes a throwaway Airflow home (SQLite) in a temporary directory, migrates its metadata
   DB and creates the ``openai_admin_api`` pool (``airflow db migrate``, ``airflow pools set``);
2. starts the emulator of the OpenAI Admin API on a free loopback port in this process and
   points the ``openai_admin_default`` connection at it (``AIRFLOW_CONN_OPENAI_ADMIN_DEFAULT``);
3. runs the DAGs of ``dags_examples/`` with ``airflow dags test`` (subprocesses), in the
   order a platform team would: onboard Ada to two projects and a group, with a team service account and
   a rate limit; rotate that service account's key; sync rate limits with the policy file;
   offboard Ada, handing her project over to Grace. Meanwhile this process plays the people
   and services around the organization: Ada accepts her invite while the onboarding waits,
   and a "search service" reloads its key from the Airflow Variable when it is rotated;
4. after each DAG, prints what it changed, read from the emulator's request log and state
   (never a key value), and checks the DAG run's state in the metadata DB;
5. manages the organization as code (export, plan, apply, drift: the drift is a person's
   change in the dashboard, through the emulator's control API, audited as the API records
   it), then observes it: the audit-log and usage/costs export DAGs write what the story did
   to files, which are read back into audit events by type and cost per project, beside the
   emulator's own record, and the cost chart is drawn (``scripts/demo_observe.py``);
6. hygiene: Grace mints two keys in the dashboard (the emulator's control API, each audited
   as ``api_key.created``), one three months ago and never used since, one today and used;
   the hygiene DAG reports the old one as idle and the new one as made outside the automation;
7. the HR roster (``scripts/demo_roster.py``): a joiner through ``openai_roster_sync`` (the
   deployment lets joiners and movers through), then a leaver through a reviewed saved plan
   (``openai-org plan --out``, ``apply --plan --digest``).

Every change to the organization is made through the Admin API (the DAGs) or the emulator's
control API standing for a person (accepting an invite, minting a key, a dashboard change),
so the audit log holds each one; the only thing set directly is who is in the organization
at the start (Grace) and, for step 6, the emulator's clock while Grace's old key is minted.

Airflow's own output goes to a log file in the temporary directory (its path is printed if
anything fails). Exit status: 0 when every DAG run succeeded, 1 otherwise.
"""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
import tempfile
import textwrap
import threading
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
DAGS_FOLDER = REPO / "dags_examples"
POOL = "openai_admin_api"
ADA = "ada@example.com"
GRACE = "grace@example.com"
GROUP = "search-team"
SERVICE_ACCOUNT = "search-backend"
KEY_VARIABLE = "openai_search_backend_api_key"
WIDTH = 92


# -- output -----------------------------------------------------------------------------------


def say(text: str = "", indent: int = 0) -> None:
    print(" " * indent + text, flush=True)


def heading(text: str) -> None:
    say()
    say(text)
    say("-" * min(len(text), WIDTH))


# -- the organization, before and after ------------------------------------------------------


@dataclass
class Snapshot:
    """Names and limits at one moment, to describe the next DAG's writes in words."""

    projects: dict[str, str]
    users: dict[str, str]
    service_accounts: dict[str, str]
    limits: dict[tuple[str, str], dict[str, int]]
    groups: dict[str, str] = field(default_factory=dict)

    @classmethod
    def of(cls, emulator: Any) -> Snapshot:
        state = emulator.state
        projects = {p.id: p.name for p in state.projects}
        users = {u.id: u.email for u in state.users}
        accounts = {a.id: a.name for p in state.projects for a in p.service_accounts}
        limits = {(p.id, rl.model): dict(rl.limits) for p in state.projects for rl in p.rate_limits}
        # A project created later starts with the catalog's limits.
        limits.update({("", model.id): dict(model.limits) for model in state.models})
        return cls(projects, users, accounts, limits, {g.id: g.name for g in state.groups})

    def merged(self, later: Snapshot) -> Snapshot:
        """Names known before or after (a deleted account keeps its name)."""
        return Snapshot(
            {**self.projects, **later.projects},
            {**self.users, **later.users},
            {**self.service_accounts, **later.service_accounts},
            self.limits,
            {**self.groups, **later.groups},
        )


def route_params(route: str, path: str) -> dict[str, str]:
    """``{project_id: ...}`` from a request's path and its route template."""
    template = route.split(" ", 1)[1].split("/")
    return {t[1:-1]: p for t, p in zip(template, path.split("/"), strict=False) if t.startswith("{")}


def describe_write(entry: Any, names: Snapshot) -> str:
    """One change made by the API, in words."""
    route, body = entry.route or "", entry.body or {}
    ids = route_params(route, entry.path) if entry.route else {}
    project = repr(names.projects.get(ids.get("project_id", ""), ids.get("project_id")))
    person = names.users.get(ids.get("user_id") or body.get("user_id") or "") or body.get("email") or ids.get("user_id")
    if route == "POST /organization/projects":
        return f"created project {body.get('name')!r}"
    if route == "POST /organization/groups":
        return f"created group {body.get('name')!r}"
    if route == "POST /organization/invites":
        return f"invited {body.get('email')} to the organization (role {body.get('role')})"
    if route == "DELETE /organization/invites/{invite_id}":
        return "deleted a pending invite"
    if route == "POST /organization/projects/{project_id}/users":
        return f"added {person} to project {project} as {body.get('role')}"
    if route == "POST /organization/projects/{project_id}/users/{user_id}":
        return f"made {person} {body.get('role')} of project {project}"
    if route == "DELETE /organization/projects/{project_id}/users/{user_id}":
        return f"removed {person} from project {project}"
    if route == "DELETE /organization/users/{user_id}":
        return f"removed {person} from the organization (and so from all its projects)"
    if route == "POST /organization/groups/{group_id}/users":
        return f"added {person} to group {names.groups.get(ids.get('group_id', ''), ids.get('group_id'))!r}"
    if route == "DELETE /organization/groups/{group_id}/users/{user_id}":
        return f"removed {person} from group {names.groups.get(ids.get('group_id', ''), ids.get('group_id'))!r}"
    if route == "POST /organization/projects/{project_id}/service_accounts":
        return f"created service account {body.get('name')!r} in project {project}"
    if route == "DELETE /organization/projects/{project_id}/service_accounts/{service_account_id}":
        account = names.service_accounts.get(ids.get("service_account_id", ""), ids.get("service_account_id"))
        return f"deleted service account {account!r} in project {project}: its key stopped working"
    if route == "POST /organization/projects/{project_id}/rate_limits/{rate_limit_id}":
        model = ids.get("rate_limit_id", "").removeprefix("rl-")
        before = names.limits.get((ids.get("project_id", ""), model)) or names.limits.get(("", model), {})
        changes = ", ".join(f"{name} {before.get(name, '?')} -> {value}" for name, value in body.items())
        return f"set rate limit {model} of project {project}: {changes}"
    return f"{entry.method} {entry.path}"


def report_changes(emulator: Any, before: Snapshot) -> None:
    entries = [e for e in emulator.log.entries() if e.key_kind == "admin"]
    writes = [e for e in entries if e.method != "GET" and e.applied]
    names = before.merged(Snapshot.of(emulator))
    say(f"Admin API calls: {len(entries)} ({len(entries) - len(writes)} reads, {len(writes)} changes)", 5)
    for entry in writes:
        say("- " + describe_write(entry, names), 5)
    if not writes:
        say("- nothing to change", 5)


# -- the people and services around the organization -----------------------------------------


class Invitee(threading.Thread):
    """Ada: once her invite is pending and the DAG has checked at least once whether she is a
    member yet, she accepts it (the emulator's stand-in for clicking the link in the email)."""

    def __init__(self, emulator: Any, email: str) -> None:
        super().__init__(name="invitee", daemon=True)
        self.emulator, self.email = emulator, email
        self.checks_before = 0
        self.accepted = threading.Event()
        self.stopped = threading.Event()

    def run(self) -> None:
        while not self.stopped.is_set():
            invite = next((i for i in self.emulator.state.invites if i.email == self.email and not i.accepted_at), None)
            if invite is not None:
                entries = self.emulator.log.entries()
                sent = max((e.seq for e in entries if e.route == "POST /organization/invites"), default=0)
                checks = [e for e in entries if e.path == "/organization/users" and e.seq > sent]
                if checks:
                    self.checks_before = len(checks)
                    self.emulator.accept_invite(invite.id)
                    self.accepted.set()
                    return
            time.sleep(0.1)


class SearchService(threading.Thread):
    """A service that uses the team's service-account key. Like a real one, it reads the key
    from where the DAGs store it (the Airflow Variable) and reloads it twice a second; it calls
    the API with it (``GET /v1/models``) each time."""

    def __init__(self, emulator: Any, read: Callable[[], Any]) -> None:
        super().__init__(name="search-service", daemon=True)
        self.emulator, self.read = emulator, read
        self.generations: list[str] = []
        self.statuses: list[int] = []
        self.stopped = threading.Event()

    def run(self) -> None:
        while not self.stopped.is_set():
            try:
                stored = self.read()
            except Exception:  # the DB busy with the DAG's writes: read again next time
                stored = None
            if isinstance(stored, dict) and isinstance(stored.get("api_key"), str):
                if not self.generations or self.generations[-1] != stored.get("generation"):
                    self.generations.append(str(stored.get("generation")))
                self.statuses.append(self.emulator.use_key(stored["api_key"]))
            self.stopped.wait(0.5)


# -- Airflow ----------------------------------------------------------------------------------


@dataclass
class Airflow:
    """The throwaway Airflow: its CLI (subprocesses) and its metadata DB (read in this process)."""

    home: Path
    log_path: Path
    executable: Path = field(default_factory=lambda: Path(sys.executable).with_name("airflow"))
    #: How many ``airflow dags test`` runs were started (the closing line counts them).
    dag_runs: int = 0

    def cli(self, *args: str, title: str) -> bool:
        if args[:2] == ("dags", "test"):
            self.dag_runs += 1
        with self.log_path.open("a", encoding="utf-8") as log:
            log.write(f"\n\n===== {title}: airflow {' '.join(args)}\n")
            log.flush()
            try:
                done = subprocess.run(  # noqa: S603 (our own venv's airflow, fixed arguments)
                    [str(self.executable), *args], stdout=log, stderr=subprocess.STDOUT, check=False, timeout=600
                )
            except subprocess.TimeoutExpired:
                log.write("\n===== the demo stopped this command after 10 minutes\n")
                return False
        return done.returncode == 0

    def warm_up(self) -> None:
        """Import Airflow in this process and touch the DB once, with Airflow's start-up logs
        and warnings going to the log file (its loggers keep writing there afterwards: the file
        stays open until the demo ends)."""
        log = self.log_path.open("a", encoding="utf-8")
        with (
            contextlib.redirect_stdout(log),
            contextlib.redirect_stderr(log),
            warnings.catch_warnings(),
        ):
            warnings.simplefilter("ignore")
            self.last_run_state("-")
            self.variable("-")

    def last_run_state(self, dag_id: str) -> str | None:
        from airflow.models.dagrun import DagRun
        from airflow.utils.session import create_session
        from sqlalchemy import select

        with create_session() as session:
            state = session.scalar(
                select(DagRun.state).where(DagRun.dag_id == dag_id).order_by(DagRun.id.desc()).limit(1)
            )
        return None if state is None else str(getattr(state, "value", state))

    def variable(self, key: str) -> Any:
        """A Variable's JSON value, read from the metadata DB as a consumer of the secret would."""
        from airflow.models.variable import Variable
        from airflow.utils.session import create_session
        from sqlalchemy import select

        with create_session() as session:
            variable = session.scalar(select(Variable).where(Variable.key == key))
            raw = None if variable is None else variable.val
        try:
            return None if raw is None else json.loads(raw)
        except ValueError:
            return None

    def xcom(self, dag_id: str, task_id: str) -> Any:
        """The return value of a task in the DAG's last run, read from the metadata DB."""
        from airflow.models.dagrun import DagRun
        from airflow.models.xcom import XComModel
        from airflow.utils.session import create_session
        from sqlalchemy import select

        with create_session() as session:
            run_id = session.scalar(
                select(DagRun.run_id).where(DagRun.dag_id == dag_id).order_by(DagRun.id.desc()).limit(1)
            )
            row = session.scalar(
                select(XComModel).where(
                    XComModel.dag_id == dag_id,
                    XComModel.run_id == run_id,
                    XComModel.task_id == task_id,
                    XComModel.key == "return_value",
                )
            )
            return None if row is None else XComModel.deserialize_value(row)

    def failure_excerpt(self, lines: int = 12) -> list[str]:
        text = self.log_path.read_text(encoding="utf-8", errors="replace").splitlines()
        last = max((i for i, line in enumerate(text) if line.startswith("===== ")), default=0)
        errors = [line for line in text[last:] if "[error" in line or "Error:" in line or "Exception:" in line]
        return errors[-lines:]


class Demo:
    def __init__(self, airflow: Airflow, emulator: Any) -> None:
        self.airflow = airflow
        self.emulator = emulator
        self.failed: list[str] = []

    def run_dag(self, number: int, dag_id: str, what: str, conf: dict[str, Any]) -> bool:
        heading(f"{number}/4  {dag_id}: {what}")
        command = f"$ airflow dags test {dag_id} -c '{json.dumps(conf)}'"
        for index, line in enumerate(textwrap.wrap(command, WIDTH - 7, break_on_hyphens=False)):
            say(line, 5 if index == 0 else 7)
        self.emulator.log.clear()
        self.before = Snapshot.of(self.emulator)
        started = time.monotonic()
        exited_ok = self.airflow.cli("dags", "test", dag_id, "-c", json.dumps(conf), title=dag_id)
        state = self.airflow.last_run_state(dag_id)
        seconds = time.monotonic() - started
        if exited_ok and state == "success":
            say(f"DAG run succeeded in {seconds:.0f} s.", 5)
            report_changes(self.emulator, self.before)
            return True
        say(f"DAG run FAILED (state {state}, after {seconds:.0f} s). Airflow's output: {self.airflow.log_path}", 5)
        for line in self.airflow.failure_excerpt():
            say("| " + line[:200], 5)
        self.failed.append(dag_id)
        return False


# -- the story --------------------------------------------------------------------------------


def main() -> int:
    started = time.monotonic()
    workdir = Path(tempfile.mkdtemp(prefix="openai-provider-demo-"))
    airflow = Airflow(home=workdir / "airflow", log_path=workdir / "airflow-output.log")
    os.environ.update(
        {
            "AIRFLOW_HOME": str(airflow.home),
            "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
            "AIRFLOW__CORE__DAGS_FOLDER": str(DAGS_FOLDER),
            # The DAGs' deferrable waits check every second here (default: every 5 minutes).
            "AIRFLOW__OPENAI_ADMIN_EXAMPLES__POLL_INTERVAL_SECONDS": "1",
            # The org files the demo writes live here; OrgPlanOperator reads only from its org root.
            "AIRFLOW_VAR_OPENAI_ORG_ROOT": str(workdir),
        }
    )
    for name in ("OPENAI_API_KEY", "OPENAI_ADMIN_KEY"):
        os.environ.pop(name, None)

    say("OpenAI Admin API provider for Airflow: the example DAGs, end to end")
    say("=" * 67)
    say("Nothing leaves this machine: the OpenAI Admin API is emulated in this process, and")
    say(f"Airflow runs from a throwaway home on SQLite under {workdir}.")
    say("Each step runs one example DAG of dags_examples/ with `airflow dags test`, then lists")
    say("what the DAG changed in the organization, as the emulated Admin API recorded it.")

    heading("Setting up")
    if not airflow.cli("db", "migrate", title="migrate"):
        say(f"Migrating the metadata DB failed; see {airflow.log_path}", 5)
        return 1
    airflow.warm_up()
    say(f"$ airflow db migrate   (metadata DB: {airflow.home / 'airflow.db'})", 5)
    description = "OpenAI Admin API: bounds parallel calls"
    if not airflow.cli("pools", "set", POOL, "2", description, title="pool"):
        say(f"Creating the pool failed; see {airflow.log_path}", 5)
        return 1
    say(f'$ airflow pools set {POOL} 2 "{description}"', 5)
    say("  (every task that calls the Admin API runs in this pool: at most 2 at a time)", 5)

    from airflow_provider_openai_projects.emulator.server import EmulatorServer

    with EmulatorServer() as emulator:
        os.environ["AIRFLOW_CONN_OPENAI_ADMIN_DEFAULT"] = json.dumps(
            {"conn_type": "openai_admin", "host": emulator.base_url, "password": emulator.admin_key}
        )
        emulator.add_org_user(GRACE, name="Grace Hopper")
        say(f"Admin API emulator: {emulator.base_url} (connection openai_admin_default points at it)", 5)
        say(f"The organization: owner@example.com (owner), {GRACE} (reader), the 'Default project'", 5)
        demo = Demo(airflow, emulator)
        ok = story(demo, emulator, airflow)

    heading("Done" if ok else "Stopped")
    elapsed = time.monotonic() - started
    if ok:
        say(f"All {airflow.dag_runs} DAG runs succeeded in {elapsed:.0f} s.", 5)
        say(f"Airflow's own output: {airflow.log_path}", 5)
        return 0
    say(f"{', '.join(demo.failed)} failed ({elapsed:.0f} s). Airflow's own output: {airflow.log_path}", 5)
    return 1


def story(demo: Demo, emulator: Any, airflow: Airflow) -> bool:
    # 1. Onboarding, with Ada accepting her invite while the DAG waits for her.
    onboarding = {
        "email": ADA,
        "role": "reader",
        "projects": [{"name": "team-search", "role": "owner"}, {"name": "team-research", "role": "member"}],
        "service_account": {"project": "team-search", "name": SERVICE_ACCOUNT},
        "rate_limits": {"gpt-4o": {"max_requests_per_1_minute": 500}},
        "groups": [GROUP],
        "create_missing_groups": True,  # the group does not exist yet: the DAG creates it
    }
    invitee = Invitee(emulator, ADA)
    invitee.start()
    ok = demo.run_dag(1, "openai_onboarding", f"onboard {ADA} to two projects and a group", onboarding)
    invitee.stopped.set()
    if not ok:
        return False
    if invitee.accepted.is_set():
        say(
            f"- {ADA} accepted the invite while the DAG waited for her (it had checked "
            f"{invitee.checks_before} time(s) before), then the DAG added her to the projects",
            5,
        )
    stored = airflow.variable(KEY_VARIABLE)
    say(
        f"- the key of the new service account ({stored['redacted_value']}) is in Airflow Variable "
        f"{KEY_VARIABLE!r}, nowhere else",
        5,
    )
    project_id = stored["project_id"]

    # 2. Key rotation, while the search service keeps using the key from the Variable.
    service = SearchService(emulator, lambda: airflow.variable(KEY_VARIABLE))
    service.start()
    deadline = time.monotonic() + 10
    while not service.statuses and time.monotonic() < deadline:
        time.sleep(0.1)
    old_value = airflow.variable(KEY_VARIABLE)["api_key"]
    rotation = {"entries": [{"project_id": project_id, "service_account_name": SERVICE_ACCOUNT}]}
    ok = demo.run_dag(2, "openai_key_rotation", f"rotate the key of {SERVICE_ACCOUNT!r}", rotation)
    service.stopped.set()
    service.join(timeout=5)
    if not ok:
        return False
    current = airflow.variable(KEY_VARIABLE)
    if len(service.generations) >= 2:
        say(
            f"- the search service reloaded the Variable and switched from generation {service.generations[0]!r} "
            f"to {service.generations[-1]!r}; the DAG saw the new key in use before deleting the old one",
            5,
        )
    say(
        f"- the old key now gets HTTP {emulator.use_key(old_value)}, the new one ({current['redacted_value']}) "
        f"HTTP {emulator.use_key(current['api_key'])}",
        5,
    )
    del old_value, current

    # 3. The daily rate-limit sync, with the policy file next to the DAGs.
    policy = DAGS_FOLDER / "config" / "rate_limits.yaml"
    say()
    say(f"(policy: {policy.relative_to(REPO)}, for projects matching 'team-*')")
    if not demo.run_dag(3, "openai_rate_limit_sync", "make rate limits match the policy file", {"dry_run": False}):
        return False

    # 4. Offboarding: Ada leaves; Grace takes over the project Ada owns alone.
    personal = emulator.create_user_api_key(project_id, next(u.id for u in emulator.state.users if u.email == ADA))
    emulator.use_key(personal["value"])
    say()
    say(f"(meanwhile {ADA} made herself a personal API key in 'team-search', {personal['redacted_value']})")
    offboarding = {"email": ADA, "successor_owner": GRACE}
    if not demo.run_dag(4, "openai_offboarding", f"offboard {ADA}; {GRACE} takes over", offboarding):
        return False
    say(f"- {ADA}'s personal key now gets HTTP {emulator.use_key(personal['value'])}", 5)
    from demo_roster import roster_step

    return (
        org_as_code(emulator, airflow)
        and observing(demo, emulator, airflow)
        and hygiene(demo, emulator, airflow)
        and roster_step(emulator, airflow, say, heading)
    )


def observing(demo: Demo, emulator: Any, airflow: Airflow) -> bool:
    """The audit log and the costs of everything above, exported by two DAGs and read back."""
    from demo_observe import observe

    heading("Observing the organization: the audit log and the costs of everything above")

    def dags_test(dag_id: str, logical_date: str) -> bool:
        ok = airflow.cli("dags", "test", dag_id, logical_date, title=dag_id)
        return ok and airflow.last_run_state(dag_id) == "success"

    if observe(emulator, airflow.home.parent, dags_test, say):
        return True
    demo.failed.append("observing")
    return False


def hygiene(demo: Demo, emulator: Any, airflow: Airflow) -> bool:
    """Grace mints two keys in the dashboard (control API, audited): one three months ago and
    never used, one today and used; the hygiene DAG finds the idle one and the one made
    outside the automation, and deletes nothing (a report first: ``act`` is off)."""
    import requests

    heading("Hygiene: keys made outside the automation, and idle ones")
    grace = next(u.id for u in emulator.state.users if u.email == GRACE)
    search = next(p.id for p in emulator.state.projects if p.name == "team-search" and not p.archived)

    def mint(name: str) -> dict[str, Any]:  # Grace, in the dashboard: the control API, audited
        response = requests.post(
            f"{emulator.url}/_emulator/projects/{search}/api_keys",
            json={"user_id": grace, "name": name},
            headers=emulator.control_headers(),
            timeout=30,
        )
        response.raise_for_status()
        return dict(response.json())

    three_months = 91 * 86400
    emulator.state.advance_clock(-three_months)  # the emulator's clock, three months back
    try:
        old = mint("grace-notebook")
    finally:
        emulator.state.advance_clock(three_months)
    new = mint("grace-script")
    emulator.use_key(new["value"])
    say(f"(three months ago {GRACE} made key 'grace-notebook' ({old['redacted_value']}) in the dashboard,", 5)
    say(f" never used since; today she made 'grace-script' ({new['redacted_value']}) and uses it)", 5)
    del old, new
    emulator.log.clear()
    say("$ airflow dags test openai_org_hygiene   (act off: report only)", 5)
    if not airflow.cli("dags", "test", "openai_org_hygiene", title="openai_org_hygiene"):
        say(f"The hygiene DAG FAILED. Airflow's output: {airflow.log_path}", 5)
        demo.failed.append("openai_org_hygiene")
        return False
    summary = airflow.xcom("openai_org_hygiene", "hygiene") or {}
    keys = {k.id: k.name for p in emulator.state.projects for k in p.api_keys}  # the keys that still exist
    described = {
        "foreign_key": "made outside the automation",
        "idle_key": "idle user key",
        "idle_service_account": "idle service account",
    }
    found: dict[str, list[str]] = {}
    for finding in summary.get("findings", []):
        name = finding["name"] or keys.get(finding["resource_id"])
        shown = repr(name) if name else "a key deleted since (Ada's, at her offboarding)"
        what = described.get(finding["kind"], finding["kind"])
        say(f"- hygiene found: {what}: {shown} in {finding['project_name']!r} ({finding['detail']})", 5)
        if finding["resource_id"] in keys:
            found.setdefault(finding["kind"], []).append(shown)
    foreign, idle = found.get("foreign_key", []), found.get("idle_key", [])
    say(
        f"- in the organization now: {len(foreign)} key made outside the automation ({', '.join(foreign)}), "
        f"{len(idle)} idle key ({', '.join(idle)}); deleted: {len(summary.get('deleted', []))} "
        f"({len(emulator.log.writes())} writes: act is off)",
        5,
    )
    return len(foreign) == 1 and len(idle) == 1


def org_as_code(emulator: Any, airflow: Airflow) -> bool:
    """Export the organization to a file, edit it, plan, approve and apply the saved plan;
    then a change made behind the file's back is reported by the drift DAG."""
    import io

    import yaml

    from airflow_provider_openai_projects.cli.org import main as openai_org

    heading("The organization as code: export, edit, plan, approve, apply, drift")
    workdir = airflow.home.parent
    org_file, plan_file = workdir / "openai_org.yaml", workdir / "plan.json"

    def cli(*args: str) -> tuple[int, list[str]]:
        out, err = io.StringIO(), io.StringIO()
        code = openai_org(list(args), out, err)
        return code, (out.getvalue() + err.getvalue()).splitlines()

    code, _ = cli("export", "-o", str(org_file))
    document = yaml.safe_load(org_file.read_text())
    say(f"$ openai-org export -o {org_file.name}   ({len(document['projects'])} projects, exit {code})", 5)
    document["projects"]["team-research"]["members"][GRACE] = "member"
    document["projects"]["team-search"]["rate_limits"] = {"gpt-4o-mini": {"max_requests_per_1_minute": 400}}
    document["projects"]["team-ads"] = {"members": {GRACE: "owner"}}
    org_file.write_text(yaml.safe_dump(document, sort_keys=False))
    say(f"(edited: {GRACE} joins team-research, a gpt-4o-mini limit in team-search, a new project team-ads)", 5)
    code, lines = cli("plan", "-f", str(org_file), "--out", str(plan_file))
    say(f"$ openai-org plan -f {org_file.name} --out {plan_file.name}   (exit {code}: changes pending)", 5)
    for line in lines:
        say("| " + line.replace(str(workdir) + "/", ""), 5)
    say("(a reviewer approves the saved plan; apply re-checks it against the live organization)", 5)
    code, lines = cli("apply", "--plan", str(plan_file))
    say(f"$ openai-org apply --plan {plan_file.name}   (exit {code})", 5)
    for line in lines:
        say("| " + line.replace(str(workdir) + "/", ""), 5)
    if code != 0:
        return False
    code, lines = cli("plan", "-f", str(org_file))
    summary = [line for line in lines if not line.startswith("digest: ")][-1]
    say(f"$ openai-org plan -f {org_file.name}   (exit {code}: {summary.split(': ', 1)[-1]})", 5)

    from airflow_provider_openai_projects.testing import dashboard_change

    search = next(p.id for p in emulator.state.projects if p.name == "team-search" and not p.archived)
    owner = next(u.id for u in emulator.state.users if u.email == "owner@example.com")
    limit = f"/v1/organization/projects/{search}/rate_limits/rl-gpt-4o-mini"
    dashboard_change(emulator, owner, "POST", limit, {"max_requests_per_1_minute": 9000})
    say("(meanwhile owner@example.com raises team-search's gpt-4o-mini limit to 9000 in the dashboard)", 5)
    conf = json.dumps({"org_file": str(org_file), "on_drift": "alert"})
    say(f"$ airflow dags test openai_org_drift -c '{conf.replace(str(workdir) + '/', '')}'", 5)
    emulator.log.clear()
    if not airflow.cli("dags", "test", "openai_org_drift", "-c", conf, title="openai_org_drift"):
        say(f"The drift DAG FAILED. Airflow's output: {airflow.log_path}", 5)
        return False
    report = airflow.xcom("openai_org_drift", "drift_report") or {}
    for line in report.get("changes", []):
        say(f"- drift reported: {line}", 5)
    say(f"- the drift DAG wrote nothing ({len(emulator.log.writes())} writes)", 5)
    return True


if __name__ == "__main__":
    sys.exit(main())
