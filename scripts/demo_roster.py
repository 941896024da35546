"""The demo's roster step: one HR roster change, end to end, through ``openai_roster_sync``.

The HR export (a CSV in the demo's work folder) first says that Hal joins the search team:
the DAG plans, and the deployment lets a plan of joiners and movers only through without a
person (the Variable ``openai_roster_auto_approve`` = ``joiners_movers``: ``airflow dags test``
has no one to click), applies, and reports. The next export says that Sal, who had been in
``team-search`` and owns the project ``sal-experiments`` alone, has left: an offboarding
always needs a person, so the plan is saved (``openai-org plan --out``), a reviewer approves
its digest, and ``openai-org apply --plan --digest`` applies exactly that plan; Grace, Sal's
manager, takes the project over. A last ``openai-org plan`` shows nothing left to change.
"""

from __future__ import annotations

import io
import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml

GRACE = "grace@example.com"
HAL = "hal@example.com"
SAL = "sal@example.com"


def roster_step(emulator: Any, airflow: Any, say: Callable[..., None], heading: Callable[[str], None]) -> bool:
    """Run the roster sync DAG on a roster with one joiner and one leaver; True on success."""
    heading("Joiners and leavers from the HR roster (openai_roster_sync)")
    workdir = Path(airflow.home).parent
    search = next(p.id for p in emulator.state.projects if p.name == "team-search" and not p.archived)
    sal = emulator.add_org_user(SAL, name="Sal")["id"]
    emulator.state.add_project_user(search, "member", user_id=sal)
    experiments = emulator.state.create_project("sal-experiments")["id"]
    emulator.state.add_project_user(experiments, "owner", user_id=sal)
    roster = workdir / "people.csv"
    header = "email,status,team,manager_email\n"
    roster.write_text(header + f"{GRACE},active,search,\n{HAL},active,search,{GRACE}\n{SAL},active,search,{GRACE}\n")
    org_file = workdir / "openai_roster.yaml"
    people = {
        "source": {"uri": roster.as_uri()},
        "columns": {"manager": "manager_email"},
        "active": ["active"],
        "leaver": ["terminated"],
        "teams": {"search": {"projects": {"team-search": "member"}}},
        "leavers": {"successor": "manager"},
        "max_leavers": 2,
    }
    org_file.write_text(yaml.safe_dump({"version": 1, "people": people}, sort_keys=False), encoding="utf-8")
    say(f"(the HR export {roster.name}: {HAL} joins the search team; their manager is {GRACE})", 5)
    os.environ["AIRFLOW_VAR_OPENAI_ROSTER_AUTO_APPROVE"] = "joiners_movers"  # the deployment's setting
    say("(Variable openai_roster_auto_approve = joiners_movers: no person needed for joiners and movers)", 5)
    if not _run_dag(emulator, airflow, say, workdir, org_file):
        return False

    roster.write_text(
        header + f"{GRACE},active,search,\n{HAL},active,search,{GRACE}\n{SAL},terminated,search,{GRACE}\n"
    )
    say(f"(the next export: {SAL}, in team-search and sole owner of 'sal-experiments', has left)", 5)
    return _reviewed_offboarding(emulator, say, workdir, org_file)


def _run_dag(emulator: Any, airflow: Any, say: Callable[..., None], workdir: Path, org_file: Path) -> bool:
    """``airflow dags test openai_roster_sync``, then its report and writes; True on success."""
    conf = {"org_file": str(org_file)}
    say(f"$ airflow dags test openai_roster_sync -c '{json.dumps(conf).replace(str(workdir) + '/', '')}'", 5)
    emulator.log.clear()
    ok = airflow.cli("dags", "test", "openai_roster_sync", "-c", json.dumps(conf), title="openai_roster_sync")
    if not ok or airflow.last_run_state("openai_roster_sync") != "success":
        say(f"The roster sync DAG FAILED. Airflow's output: {airflow.log_path}", 5)
        return False
    report = airflow.xcom("openai_roster_sync", "report") or {}
    for kind in ("joiners", "movers", "leavers"):
        for email, changes in (report.get(kind) or {}).items():
            say(f"- {kind[:-1]} {email}: {', '.join(changes)}", 5)
    for line in report.get("look_at") or []:
        say(f"- to look at: {line}", 5)
    for entry in emulator.log.writes():
        say(f"- write: {entry.method} {entry.path} -> {entry.status}", 5)
    return True


def _reviewed_offboarding(emulator: Any, say: Callable[..., None], workdir: Path, org_file: Path) -> bool:
    """The leaver's plan saved, its digest approved by a reviewer, exactly that plan applied."""
    from airflow_provider_openai_projects.cli.org import main as openai_org

    def cli(*args: str) -> tuple[int, list[str]]:
        out, err = io.StringIO(), io.StringIO()
        code = openai_org(list(args), out, err)
        return code, (out.getvalue() + err.getvalue()).splitlines()

    plan_file = workdir / "roster-plan.json"
    code, lines = cli("plan", "-f", str(org_file), "--out", str(plan_file))
    say(f"$ openai-org plan -f {org_file.name} --out {plan_file.name}   (exit {code}: changes pending)", 5)
    for line in lines:
        say("| " + line.replace(str(workdir) + "/", ""), 5)
    digest = json.loads(plan_file.read_text(encoding="utf-8"))["digest"]
    say(f"(an offboarding is critical: a reviewer reads the plan and approves its digest {digest[:19]}...)", 5)
    emulator.log.clear()
    code, lines = cli("apply", "--plan", str(plan_file), "--digest", digest)
    say(f"$ openai-org apply --plan {plan_file.name} --digest {digest[:19]}...   (exit {code})", 5)
    for line in lines:
        say("| " + line.replace(str(workdir) + "/", ""), 5)
    for entry in emulator.log.writes():
        say(f"- write: {entry.method} {entry.path} -> {entry.status}", 5)
    if code != 0:
        return False
    out, err = io.StringIO(), io.StringIO()
    code = openai_org(["plan", "-f", str(org_file)], out, err)
    lines = (out.getvalue() + err.getvalue()).strip().splitlines()
    last = [line for line in lines if not line.startswith("digest: ")][-1:] or [""]
    say(f"$ openai-org plan -f {org_file.name}   (exit {code}: {last[0].split(': ', 1)[-1]})", 5)
    return True
