"""``make bench``: run every scenario against the emulator under a throttle and write the table.

    python -m benchmarks [--projects 500] [--rpm 6000] [--output docs/performance.md] ...

The emulator throttles each endpoint to ``--rpm`` requests per minute (a token bucket of
one, answering 429 with ``Retry-After-Ms``); the provider's connection paces itself to the
same rate. The rate is scaled up from the real API's handful per minute so the run takes
minutes, not days: the ratios (calls / minimum, wall time / throttle floor) do not depend
on it.
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

os.environ.setdefault("AIRFLOW_HOME", tempfile.mkdtemp(prefix="openai-provider-bench-"))
os.environ.setdefault("AIRFLOW__CORE__LOAD_EXAMPLES", "False")

from benchmarks import imports, org, org_incremental, parallel, scenarios, sdk_baseline
from benchmarks.harness import CONN_ENV, Measurement, connection_json, replace_section

ROOT = Path(__file__).resolve().parents[1]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__.split("\n\n")[0])
    parser.add_argument("--projects", type=int, default=500, help="rate-limit sync and offboarding org size")
    parser.add_argument("--changed-models", type=int, default=2)
    parser.add_argument("--accounts", type=int, default=100)
    parser.add_argument("--rotation-projects", type=int, default=20)
    parser.add_argument("--member-of", type=int, default=300)
    parser.add_argument("--sole-owner-of", type=int, default=5)
    parser.add_argument("--groups", type=int, default=50, help="groups in the offboarding-through-groups org")
    parser.add_argument("--through-group", type=int, default=100, help="projects reached only through a group")
    parser.add_argument("--onboard-projects", type=int, default=10)
    parser.add_argument("--org-people", type=int, default=50, help="people in the org-as-code organization")
    parser.add_argument("--only", help="run only the scenarios whose name contains this (the doc is not written)")
    parser.add_argument("--rpm", type=float, default=6000.0, help="emulated throttle per endpoint")
    parser.add_argument("--burst", type=int, default=2, help="the emulated throttle's bucket size")
    parser.add_argument("--skip-sdk", action="store_true", help="leave out the openai SDK baseline")
    parser.add_argument(
        "--parallel-projects", type=int, nargs="*", default=[40, 400], help="org sizes of the parallel-task rows"
    )
    parser.add_argument("--parallel-tasks", type=int, default=4)
    parser.add_argument(
        "--parallel-rpm", type=float, default=1200.0, help="throttle of the parallel rows (4 processes share 2 CPUs)"
    )
    parser.add_argument(
        "--only-parallel",
        action="store_true",
        help="run only the parallel-task rows and replace that section of --output (the rest is kept)",
    )
    parser.add_argument(
        "--only-org",
        action="store_true",
        help="run only the org-as-code rows and replace that section of --output (the rest is kept)",
    )
    parser.add_argument(
        "--only-incremental",
        action="store_true",
        help="run only the incremental-plan rows and replace that section of --output (the rest is kept)",
    )
    parser.add_argument("--output", type=Path, default=ROOT / "docs" / "performance.md")
    args = parser.parse_args(argv)

    from airflow_provider_openai_projects.emulator.server import EmulatorServer

    rows: list[Measurement] = []
    parallel_rows: list[parallel.ParallelRow] = []
    incremental_section: list[str] = []
    started = time.perf_counter()
    load_at_start = os.getloadavg()
    with EmulatorServer() as emulator:

        def fresh(paced: bool) -> None:
            emulator.reset()
            emulator.faults.throttle(
                args.rpm, burst=args.burst, scope="endpoint", retry_after=False, retry_after_ms=True
            )
            extra = {"requests_per_minute": args.rpm} if paced else {}
            os.environ[CONN_ENV] = connection_json(emulator, **extra)

        jobs: list[tuple[str, Callable[[], list[Measurement]]]] = [
            (
                "rate-limit sync",
                lambda: scenarios.rate_limit_sync(
                    emulator, projects=args.projects, changed_models=args.changed_models, rate_per_minute=args.rpm
                ),
            ),
            (
                "key rotation",
                lambda: scenarios.rotation(
                    emulator, accounts=args.accounts, projects=args.rotation_projects, rate_per_minute=args.rpm
                ),
            ),
            (
                "offboarding",
                lambda: scenarios.offboarding(
                    emulator,
                    projects=args.projects,
                    member_of=args.member_of,
                    sole_owner_of=args.sole_owner_of,
                    rate_per_minute=args.rpm,
                ),
            ),
            (
                "offboarding through groups",
                lambda: scenarios.offboarding(
                    emulator,
                    projects=args.projects,
                    member_of=args.member_of,
                    sole_owner_of=args.sole_owner_of,
                    rate_per_minute=args.rpm,
                    groups=args.groups,
                    through_group=args.through_group,
                ),
            ),
            (
                "onboarding",
                lambda: scenarios.onboarding(emulator, projects=args.onboard_projects, rate_per_minute=args.rpm),
            ),
            (
                "org as code",
                lambda: org.org_as_code(
                    emulator, projects=args.projects, people=args.org_people, rate_per_minute=args.rpm
                ),
            ),
        ]
        if not args.skip_sdk:
            jobs += [
                (
                    "rate-limit sync (SDK)",
                    lambda: sdk_baseline.rate_limit_sync(
                        emulator, projects=args.projects, changed_models=args.changed_models, rate_per_minute=args.rpm
                    ),
                ),
                (
                    "org as code (SDK)",
                    lambda: org.org_as_code_sdk(
                        emulator, projects=args.projects, people=args.org_people, rate_per_minute=args.rpm
                    ),
                ),
                (
                    "key rotation (SDK)",
                    lambda: sdk_baseline.rotation(
                        emulator, accounts=args.accounts, projects=args.rotation_projects, rate_per_minute=args.rpm
                    ),
                ),
            ]
        if not (args.only or args.only_org or args.only_parallel):  # incremental plans (orgfile.incremental)
            fresh(paced=True)
            print("running incremental plans ...", file=sys.stderr, flush=True)
            found = org_incremental.incremental(emulator, projects=args.projects, people=args.org_people)
            models = len(emulator.state.models)
            incremental_section = org_incremental.render(found, args.rpm, args.projects, args.org_people, models)
        for name, job in [] if args.only_parallel or args.only_incremental else jobs:
            if (args.only and args.only not in name) or (args.only_org and not name.startswith("org as code")):
                continue
            fresh(paced="SDK" not in name)
            print(f"running {name} ...", file=sys.stderr, flush=True)
            rows.extend(job())
        budget_dir = tempfile.mkdtemp(prefix="bench-budget-")
        for size in [] if args.only or args.only_org or args.only_incremental else args.parallel_projects:
            for tasks, backend, deferrable in (
                (args.parallel_tasks, None, False),
                (args.parallel_tasks, f"sqlite:///{budget_dir}/budget-{size}.db", False),
                (1, None, False),
                (1, None, True),
            ):
                print(f"running {tasks} parallel syncs of {size} projects ...", file=sys.stderr, flush=True)
                parallel_rows.append(
                    parallel.parallel_sync(
                        emulator,
                        projects=size,
                        tasks=tasks,
                        changed_models=args.changed_models,
                        rate_per_minute=args.parallel_rpm,
                        burst=args.burst,
                        backend=backend,
                        deferrable=deferrable,
                        defer_paced_work_after=0.0,
                    )
                )

    if args.only:
        print(render_rows(rows))
        return 0
    org_rows = [r for r in rows if r.scenario == "org as code"]
    rows = [r for r in rows if r.scenario != "org as code"]
    org_section = "\n".join(org.render(org_rows, args.rpm, args.burst, (load_at_start, os.getloadavg()), args.projects))
    previous = args.output.read_text() if args.output.exists() else ""
    if args.only_incremental:
        args.output.write_text(replace_section(previous, org_incremental.SECTION_TITLE, "\n".join(incremental_section)))
        print("\n".join(incremental_section))
        return 0
    if args.only_org:
        args.output.write_text(replace_section(previous, org.SECTION_TITLE, org_section))
        print(org_section)
        print(f"\norg-as-code section written to {args.output}", file=sys.stderr)
        return 0
    section = "\n".join(parallel.render(parallel_rows, args.parallel_rpm, args.burst, load=os.getloadavg()))
    if args.only_parallel:
        args.output.write_text(replace_section(previous, parallel.SECTION_TITLE, section))
        print(section)
        print(f"\nparallel section written to {args.output}", file=sys.stderr)
        return 0
    print("measuring import and parse cost ...", file=sys.stderr, flush=True)
    cost = imports.import_cost()
    heavy = imports.heavy_modules_imported()
    parse = imports.dag_parse_times()
    report = render(rows, cost, heavy, parse, args, time.perf_counter() - started)
    report += "\n" + org_section + "\n" + "\n".join(incremental_section) + "\n" + section
    print(report)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    from benchmarks.e2e_celery import SECTION_TITLE as CELERY_TITLE
    from benchmarks.exports import SECTION_TITLE as EXPORTS_TITLE

    for title in (CELERY_TITLE, EXPORTS_TITLE):  # written by make e2e-celery / make bench-exports: kept
        if title in previous:
            report = replace_section(report, title, _section(previous, title))
    args.output.write_text(report)
    print(f"\nwritten to {args.output}", file=sys.stderr)
    return 0


def render_rows(rows: list[Measurement]) -> str:
    """The measurements as a Markdown table (header included)."""
    lines = [
        "| scenario | variant | client | calls | min calls | writes | min writes | 429s | 429 share "
        "| wall s | floor s | wall / floor | failed ops | notes |",
        "|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    for r in rows:
        lines.append(
            f"| {r.scenario} | {r.variant} | {r.client} | {r.calls} | {r.min_calls} | {r.writes} | {r.min_writes} | "
            f"{r.throttled} | {r.throttled_share:.1%} | {r.seconds:.1f} | {r.floor_seconds or 0:.1f} | "
            f"{r.ratio or 0:.2f} | {r.failed_operations} | {r.notes} |"
        )
    return "\n".join(lines)


def _section(document: str, title: str) -> str:
    start = document.index(title)
    end = document.find("\n## ", start + len(title))
    return document[start : end + 1 if end >= 0 else len(document)]


def render(
    rows: list[Measurement],
    cost: dict[str, float],
    heavy: list[str],
    parse: dict[str, float],
    args: argparse.Namespace,
    elapsed: float,
) -> str:
    when = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    machine = f"{platform.system()} {platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}"
    lines = [
        "# Performance",
        "",
        f"Last run: {when} on {machine}; `make bench` ({elapsed:.0f} s). Written by `benchmarks/__main__.py`;",
        "do not edit by hand.",
        "",
        "Under the Admin API's throttle (a few requests per minute per endpoint) a job's cost is its number of",
        f"calls. The emulator throttles every endpoint to {args.rpm:g} requests per minute (token bucket of",
        f"{args.burst}, 429 with `Retry-After-Ms`); the provider's connection paces itself to the same rate",
        "(`requests_per_minute`), the SDK baseline uses its defaults. *Floor* is the time the throttle alone",
        "imposes on the calls made (calls / rate); the minimum calls and writes per scenario, and their",
        "formulas, are in `benchmarks/scenarios.py`.",
        "",
        "| scenario | variant | client | calls | min calls | writes | min writes | 429s | 429 share "
        "| wall s | floor s | wall / floor | failed ops | notes |",
        "|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    lines += render_rows(rows).splitlines()[2:]
    lines += [
        "",
        "How to read it: *calls = min calls* means the job made no call it did not need (the minimum is the pages",
        "it must read plus the writes that must happen; for rotation it includes the read that makes each rotation",
        "crash-safe and the verification of the new key). A second sync run makes zero writes. *wall / floor* near",
        "1.0 means the job ran as fast as the throttle allows; below 1.0 happens when a job spreads its calls over",
        "several endpoints, each with its own bucket. The SDK baseline makes far more calls (it updates every",
        "limit, every run) and collects hundreds of 429s; its rotation is cheaper in calls because it skips",
        "verification and crash safety (a key only in memory is lost if the worker dies).",
        "",
        "## Where the waiting happens",
        "",
        "The client paces itself (`requests_per_minute`, shared by every hook of a connection in a process) so",
        "it is not throttled in the first place, and waits out short 429 backoffs. With `deferrable=True`, an",
        "operator that is told to wait longer than `throttle_wait_in_worker` (5 s) defers to the triggerer for",
        "the `Retry-After` (60 s without one) and resumes from the start, which is safe because every operator",
        "is idempotent (`tests/operators/test_throttle_deferral.py`). The sensors defer at once and poll from",
        "the triggerer with an asynchronous client that shares the same pacing and `Retry-After` rules. Without",
        "`rate_limit_backend` pacing is per process; with it (SQLite file, Redis/Valkey, PostgreSQL) every task",
        "of the connection shares one budget per endpoint and one 429 cooldown (table below).",
        "",
        "## Import and parse cost",
        "",
        "Medians over 7 fresh interpreters (`benchmarks/imports.py`). `tests/performance/test_import_cost.py`",
        "guards that no heavy module (requests, httpx, YAML, the client, the emulator) is imported at parse time.",
        "",
        "| what | seconds |",
        "|---|---:|",
        f"| `import airflow.sdk` (fresh interpreter) | {cost['airflow.sdk']:.3f} |",
        f"| then `import` of the provider's operators and sensors | {cost['added']:.3f} "
        f"({cost['added'] * 1000:.0f} ms; target < 50 ms) |",
        "",
        f"Heavy modules imported by the operators and sensors at import time: {', '.join(heavy) or 'none'}.",
        "",
        "| example DAG file | parse seconds (after `import airflow.sdk`) |",
        "|---|---:|",
        *[f"| `{name}` | {seconds:.3f} |" for name, seconds in parse.items()],
        "",
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
