"""Incremental plans: the organization read once, then followed through its audit log.

The organization and file of :mod:`benchmarks.org` (``P`` projects with members, rate
limits and model permissions), applied, then an hour later a first plan through a new
read cache (a full read), then after

- (a) a quiet hour;
- (b) 5 changes by a person in the dashboard, a rate limit in each of 5 projects;
- (c) one rate-limit change by another automation's admin key (its event names the
  Default project: the whole rate-limit family is re-read);
- (d) 50 changes by a person in 50 projects: 25 rate limits, 25 members removed;

each plan's calls, the most calls on one endpoint, wall time at the run's throttle, and
the time the Admin API's throttle of 10 requests per minute per endpoint would take at
least (the most calls on one endpoint / 10 per minute: endpoints are throttled apart).
Every incremental plan is checked against a full read (same changes, same fingerprint).
"""

from __future__ import annotations

import os
import re
import tempfile
import time
from collections import Counter as Tally
from dataclasses import dataclass
from pathlib import Path

from airflow_provider_openai_projects.emulator.server import EmulatorServer
from benchmarks.harness import measured
from benchmarks.org import seed
from benchmarks.scenarios import pages

SECTION_TITLE = "## Incremental plans (read cache and audit log)"
API_RPM = 10.0
_ID = re.compile(r"/(proj|user|key|group|role|invite|svc_acct|cert|rl)[-_][A-Za-z0-9._-]+")


@dataclass
class Row:
    case: str
    calls: int
    min_calls: int
    formula: str
    busiest: int
    seconds: float
    reads: int
    reused: int
    headline: str

    @property
    def api_floor_minutes(self) -> float:
        return self.busiest / API_RPM


def _busiest(emulator: EmulatorServer) -> int:
    per_endpoint = Tally(f"{e.method} {_ID.sub('/{id}', e.path)}" for e in emulator.log.entries())
    return max(per_endpoint.values(), default=0)


def minimum_calls(projects: int, people: int, models: int) -> dict[str, tuple[int, str]]:
    """Each case's minimum calls and its formula: ``2`` is the admin keys (one page: the
    provider's own key, for attribution) and one audit-log page (fewer than 100 events); a
    full read also lists the pending invites once (one page: the approval's backdoor check)."""
    full = pages(projects + 1) + projects * (pages(3) + pages(models) + 1) + pages(people + 1) + 1
    return {
        "full read (first plan)": (2 + full, "2 + pages(P+1) + P*(pages(3)+pages(M)+1) + pages(U+1) + 1"),
        "(a) after a quiet hour": (2, "2"),
        "(b) 5 dashboard changes in 5 projects": (2 + 5 * pages(models), "2 + 5*pages(M)"),
        "(c) 1 rate-limit change by another admin key": (2 + projects * pages(models), "2 + P*pages(M)"),
        "(d) 50 dashboard changes in 50 projects": (
            2 + 25 * pages(models) + 25 * pages(3) + pages(people + 1),
            "2 + 25*pages(M) + 25*pages(3) + pages(U+1)",
        ),
    }


def incremental(emulator: EmulatorServer, *, projects: int, people: int) -> list[Row]:
    """The cases of the module docstring; each plan checked against a full read."""
    from airflow_provider_openai_projects.client import OpenAIAdminClient
    from airflow_provider_openai_projects.hooks.admin import OpenAIAdminHook
    from airflow_provider_openai_projects.orgfile import engine
    from airflow_provider_openai_projects.orgfile.incremental.runner import plan_with_state
    from airflow_provider_openai_projects.orgfile.loader import load_document
    from airflow_provider_openai_projects.testing import dashboard_change

    document = seed(emulator, projects, people)
    spec = load_document(document, "org.yaml")
    state = emulator.state
    models = len(state.models)
    owner = next(u.id for u in state.users if u.role == "owner")
    hook = OpenAIAdminHook()
    hook.get_conn()
    engine.apply(hook, spec)
    state.advance_clock(3600)
    cache = Path(tempfile.mkdtemp(prefix="bench-incremental-")) / "org.json"
    ids = {p.name: p.id for p in state.projects if p.name in document["projects"]}
    names = sorted(document["projects"])
    minimum = minimum_calls(projects, people, models)
    rows: list[Row] = []

    def limit(name: str, value: int) -> None:
        path = f"/v1/organization/projects/{ids[name]}/rate_limits/rl-gpt-4o"
        dashboard_change(emulator, owner, "POST", path, {"max_requests_per_1_minute": value})

    def case(name: str) -> None:
        with measured(emulator) as cost:
            result = plan_with_state(hook, spec, cache, clock=state.now)
        busiest = _busiest(emulator)
        full = engine.plan(hook, spec)
        same = [c.to_dict() for c in full.changes] == [c.to_dict() for c in result.plan.changes]
        if not same or full.fingerprint != result.plan.fingerprint:
            raise AssertionError(f"{name}: the incremental plan differs from a full read")
        reused = sum(f.reused for f in result.families.values())
        low, formula = minimum[name]
        rows.append(
            Row(name, cost.calls, low, formula, busiest, cost.seconds, result.plan.reads, reused, result.headline())
        )

    case("full read (first plan)")
    state.advance_clock(3600)
    case("(a) after a quiet hour")
    for name in names[:5]:
        limit(name, 9000)
    case("(b) 5 dashboard changes in 5 projects")
    created = hook.create_admin_api_key(name="other-automation")
    with OpenAIAdminClient(created["value"], base_url=emulator.base_url, max_retries=8) as other:
        other.update_rate_limit(ids[names[7]], "rl-gpt-4o", max_requests_per_1_minute=7000)
    case("(c) 1 rate-limit change by another admin key")
    for name in names[10:35]:
        limit(name, 1234)
    for name in names[35:60]:
        member = next(m for m in state.projects.get(ids[name]).users if m.role == "member")
        dashboard_change(emulator, owner, "DELETE", f"/v1/organization/projects/{ids[name]}/users/{member.user_id}")
    case("(d) 50 dashboard changes in 50 projects")
    return rows


def render(rows: list[Row], rpm: float, projects: int, people: int, models: int) -> list[str]:
    when = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    load = " / ".join(f"{x:.1f}" for x in os.getloadavg())
    full = rows[0] if rows else None
    lines = [
        SECTION_TITLE,
        "",
        f"Run {when} (`python -m benchmarks --only-incremental`); load average {load}; {os.cpu_count()} CPUs shared.",
        f"{projects} projects, {people} people, {models} models (the file of the previous section, applied an hour",
        "before). Each plan goes through the read cache (`openai-org plan --state`); every incremental plan was",
        "checked equal to a full read (changes and fingerprint). *Busiest* is the most calls on one endpoint;",
        f"*at 10/min* is the least time the Admin API's throttle of {API_RPM:g} requests per minute per endpoint",
        f"allows (busiest / 10 per minute); *wall s* is measured with the emulator at {rpm:g} requests per minute",
        "per endpoint. *Min* is the formula (P projects, U people, M models, pages(n) = ceil(n / 100)).",
        "",
        "| plan | calls | min calls | formula | busiest | at 10/min | wall s | vs full (calls) | reads made / reused |",
        "|---|---:|---:|---|---:|---:|---:|---:|---|",
    ]
    for r in rows:
        share = f"{r.calls / full.calls:.1%}" if full and full.calls else "-"
        lines.append(
            f"| {r.case} | {r.calls} | {r.min_calls} | `{r.formula}` | {r.busiest} | {r.api_floor_minutes:.1f} min "
            f"| {r.seconds:.1f} | {share} | {r.reads} / {r.reused} |"
        )
    lines += [""] + [f"- {r.case}: {r.headline}" for r in rows] + [""]
    return lines


def main(argv: list[str] | None = None) -> list[str]:
    """Run the cases at ``--projects`` (default 500) and return the section."""
    import argparse

    from benchmarks.harness import CONN_ENV, connection_json

    parser = argparse.ArgumentParser(prog="python -m benchmarks.org_incremental")
    parser.add_argument("--projects", type=int, default=500)
    parser.add_argument("--org-people", type=int, default=50)
    parser.add_argument("--rpm", type=float, default=6000.0)
    parser.add_argument("--burst", type=int, default=2)
    args = parser.parse_args(argv)
    with EmulatorServer() as emulator:
        emulator.faults.throttle(args.rpm, burst=args.burst, scope="endpoint", retry_after=False, retry_after_ms=True)
        os.environ[CONN_ENV] = connection_json(emulator, requests_per_minute=args.rpm)
        rows = incremental(emulator, projects=args.projects, people=args.org_people)
        models = len(emulator.state.models)
    return render(rows, args.rpm, args.projects, args.org_people, models)


if __name__ == "__main__":  # pragma: no cover
    print("\n".join(main()))
