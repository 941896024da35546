"""What the provider adds to every DAG parse: import time of the operators and parse time
of each example DAG, each measured in a fresh interpreter several times (median)."""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _seconds(code: str, env: dict[str, str]) -> float:
    script = f"import time; s = time.perf_counter(); {code}; print(time.perf_counter() - s)"
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=env, check=True)
    return float(out.stdout.strip().splitlines()[-1])  # Airflow may log lines before it


_PYCACHE = tempfile.mkdtemp(prefix="bench-imports-pycache-")


def _env() -> dict[str, str]:
    """A fresh Airflow home; byte code written to (and read from) a cache of this run, as an
    installed package has it: without it every sample would compile the sources again
    (``PYTHONDONTWRITEBYTECODE`` is dropped), which a DAG processor never does."""
    home = tempfile.mkdtemp(prefix="bench-imports-")
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    return {**env, "AIRFLOW_HOME": home, "AIRFLOW__CORE__LOAD_EXAMPLES": "False", "PYTHONPYCACHEPREFIX": _PYCACHE}


HEAVY_MODULES = (
    "requests",
    "yaml",
    "httpx",
    "confusable_homoglyphs",
    "airflow_provider_openai_projects.client.admin",
    "airflow_provider_openai_projects.emulator",
)
#: Modules only a running task needs (the client's configuration, retries and pacing, the
#: key-generation rules, the domain rules of execute, the org-file engine): a DAG parse
#: must not import them. What the operators and sensors may import at parse is their
#: classes, the errors, ``domain.validation``/``domain.people`` (constructors) and ``client.ids``.
EXECUTE_TIME_MODULES = (
    "airflow_provider_openai_projects.client.config",
    "airflow_provider_openai_projects.client.retry",
    "airflow_provider_openai_projects.client.pacing",
    "airflow_provider_openai_projects.client.transport",
    "airflow_provider_openai_projects.client.budget",
    "airflow_provider_openai_projects.hooks.admin",
    "airflow_provider_openai_projects.domain.key_generations",
    "airflow_provider_openai_projects.domain.service_accounts",
    "airflow_provider_openai_projects.domain.emails",
    "airflow_provider_openai_projects.domain.idempotency",
    "airflow_provider_openai_projects.domain.change_log",
    "airflow_provider_openai_projects.domain.audit_events",
    "airflow_provider_openai_projects.domain.hygiene",
    "airflow_provider_openai_projects.domain.ratelimit_sync",
    "airflow_provider_openai_projects.sinks.base",
    "airflow_provider_openai_projects.orgfile.engine",
    "airflow_provider_openai_projects.orgfile.incremental.planner",
)


def import_cost(runs: int = 7) -> dict[str, float]:
    """Median seconds of a bare ``import airflow.sdk``, and of importing our operators and
    sensors right after it in the same fresh interpreter (what a DAG file using the provider
    adds to its parse; measured as a difference inside one process, which is far less noisy
    than the difference of two processes' totals)."""
    env = _env()
    _seconds(
        "import airflow.sdk, airflow_provider_openai_projects.operators, airflow_provider_openai_projects.sensors", env
    )
    base = statistics.median(_seconds("import airflow.sdk", env) for _ in range(runs))
    added_code = (
        "import airflow.sdk, time; t = time.perf_counter(); "
        "import airflow_provider_openai_projects.operators, airflow_provider_openai_projects.sensors; "
        "print(time.perf_counter() - t)"
    )
    added = statistics.median(_raw_seconds(added_code, env) for _ in range(runs))
    return {"airflow.sdk": base, "added": added}


def _raw_seconds(code: str, env: dict[str, str]) -> float:
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True)
    return float(out.stdout.strip().splitlines()[-1])


def heavy_modules_imported() -> list[str]:
    """Heavy modules that the operators and sensors add to a bare ``import airflow.sdk``
    (should be none: they are imported when a task runs, not when a DAG is parsed)."""

    return sorted(_added_modules(HEAVY_MODULES))


def parse_time_violations() -> list[str]:
    """Modules of :data:`HEAVY_MODULES` and :data:`EXECUTE_TIME_MODULES` that importing the
    operators and sensors loads (should be none; one pair of interpreters for both)."""
    return sorted(_added_modules(HEAVY_MODULES + EXECUTE_TIME_MODULES))


def _added_modules(watched: tuple[str, ...]) -> set[str]:
    """Which of ``watched`` the operators and sensors add to a bare ``import airflow.sdk``."""

    def loaded(code: str) -> set[str]:
        script = f"import sys; {code}; print('LOADED:' + ','.join(m for m in {watched!r} if m in sys.modules))"
        out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=_env(), check=True)
        line = next(line for line in out.stdout.splitlines() if line.startswith("LOADED:"))
        return {m for m in line.removeprefix("LOADED:").split(",") if m}

    base = loaded("import airflow.sdk")
    ours = loaded(
        "import airflow.sdk, airflow_provider_openai_projects.operators, airflow_provider_openai_projects.sensors"
    )
    return ours - base


def dag_parse_times(runs: int = 5) -> dict[str, float]:
    """Median seconds to import each example DAG file (after ``airflow.sdk``), fresh interpreter each time."""
    env = _env()
    times = {}
    for path in sorted((ROOT / "dags_examples").glob("openai_*.py")):
        code = (
            "import airflow.sdk, runpy, time; t = time.perf_counter(); "
            f"runpy.run_path({str(path)!r}); print(time.perf_counter() - t)"
        )
        samples = []
        for _ in range(runs):
            out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True)
            samples.append(float(out.stdout.strip().splitlines()[-1]))
        times[path.name] = statistics.median(samples)
    return times
