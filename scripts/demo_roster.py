"""The demo's roster step: one HR roster change, end to end, through ``openai_roster_sync``.

The HR export (a CSV in the demo's work folder) says that Hal joins the search team and
that Sal, who had been in ``team-search`` since before the roster was synced and owns the
project ``sal-experiments`` alone, has left: Grace, their manager, takes the project over.
The org file's ``people`` section maps the export; the DAG plans, is approved
(``auto_approve``: ``airflow dags test`` has no one to click), applies, and reports. Then
``openai-org plan`` shows that a second run would change nothing.
"""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml

GRACE = "grace@example.com"
HAL = "hal@example.com"
SAL = "sal@example.com"


def roster_step(emulator: Any, airflow: Any, say: Callable[..., None], heading: Callable[[str], None]) -> bool:
    """Run the roster sync DAG on a roster with one joiner and one leaver; True on success."""
    from airflow_provider_openai_projects.cli.org import main as openai_org

    heading("Joiners and leavers from the HR roster (openai_roster_sync)")
    workdir = Path(airflow.home).parent
    search = next(p.id for p in emulator.state.projects if p.name == "team-search" and not p.archived)
    sal = emulator.add_org_user(SAL, name="Sal")["id"]
    emulator.state.add_project_user(search, "member", user_id=sal)
    experiments = emulator.state.create_project("sal-experiments")["id"]
    emulator.state.add_project_user(experiments, "owner", user_id=sal)
    roster = workdir / "people.csv"
    roster.write_text(
        "email,status,team,manager_email\n"
        f"{GRACE},active,search,\n{HAL},active,search,{GRACE}\n{SAL},terminated,search,{GRACE}\n",
        encoding="utf-8",
    )
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
    say(f"(the HR export {roster.name}: {HAL} joins the search team;", 5)
    say(f" {SAL}, in team-search and sole owner of 'sal-experiments', has left;", 5)
    say(f" their manager is {GRACE})", 5)
    conf = {"org_file": str(org_file), "auto_approve": True}
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
    out, err = io.StringIO(), io.StringIO()
    code = openai_org(["plan", "-f", str(org_file)], out, err)
    last = (out.getvalue() + err.getvalue()).strip().splitlines()[-1:] or [""]
    say(f"$ openai-org plan -f {org_file.name}   (exit {code}: {last[0].split(': ', 1)[-1]})", 5)
    return True
