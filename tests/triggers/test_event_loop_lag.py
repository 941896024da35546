"""No trigger holds the triggerer's event loop: a first poll in a fresh process, over HTTP to
the emulator, delays a 10 ms watchdog by at most 0.1 s and imports no module on the loop.

The first poll of a triggerer process is the expensive one: before issue 21 (point 9),
``httpx`` loaded ``anyio``'s asyncio back-end on the loop at the first request and the
connection lookup imported the Task SDK's connection classes, 0.17-0.30 s measured here on
Airflow 3.2 (0.55 s seen by a deployed triggerer's own watchdog). Each case runs in its own
interpreter (``first_poll_probe.py``), so nothing the test process imported before hides it.
The lag is measured as a deployment runs after its first start: with Python's bytecode cache
(a per-module ``PYTHONPYCACHEPREFIX`` for these runs; pip writes it at install). Without any
cache every module is compiled at import, holding the GIL whichever thread imports it (0.3 s
for ``anyio``'s back-end here): that is Python's cost, not a call on the loop, and the import
check still catches the module. A lag is a wall-clock measure on a shared machine: a case
over 0.1 s is run once more, in a fresh process with the cache now written, and fails only if
that one is over too (a blocking call is there every time). Every trigger of the package has
a case, and a trigger made to block (``blocking_trigger.py``) proves the probe catches it.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from airflow_provider_openai_projects.emulator.server import EmulatorServer

from .conftest import new_user_key

PROBE = Path(__file__).with_name("first_poll_probe.py")
REPO = Path(__file__).resolve().parents[2]
MAX_LAG = 0.1


@pytest.fixture(scope="module")
def bytecode_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Where the probes' interpreters keep compiled modules (shared by the module's cases)."""
    return tmp_path_factory.mktemp("pycache")


def first_poll(emulator: EmulatorServer, cache: Path, classpath: str, kwargs: dict[str, Any]) -> dict[str, Any]:
    connection = {"conn_type": "openai_admin", "host": emulator.base_url, "password": emulator.admin_key}
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env.update(
        {
            "AIRFLOW_CONN_OPENAI_ADMIN_DEFAULT": json.dumps(connection),
            "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")])),
            "PYTHONPYCACHEPREFIX": str(cache),
        }
    )
    done = subprocess.run(  # noqa: S603 (this interpreter, the probe next to this file)
        [sys.executable, str(PROBE), classpath, json.dumps(kwargs)],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


TRIGGERS = "airflow_provider_openai_projects.triggers"
#: The provider's triggers, one case each (``test_every_trigger_of_the_package_has_a_case``).
CASES = {
    "organization_user": f"{TRIGGERS}.organization_user.OrganizationUserTrigger",
    "api_key_usage": f"{TRIGGERS}.api_key_usage.ApiKeyUsageTrigger",
    "audit_event": f"{TRIGGERS}.audit_event.AuditEventTrigger",
    "rate_limit_sync": f"{TRIGGERS}.rate_limit_sync.RateLimitSyncTrigger",
}


def kwargs_of(emulator: EmulatorServer, case: str) -> tuple[str, dict[str, Any], str]:
    """The trigger's classpath, kwargs that end in one event at the first poll, and that event's status."""
    project_id = emulator.state.default_project_id
    if case == "organization_user":
        emulator.add_org_user("ada@example.com")
        return CASES[case], {"email": "ada@example.com", "poll_interval": 0.2}, "success"
    if case == "audit_event":
        start = emulator.state.now()
        invite = emulator.state.create_invite("new.hire@example.com", "reader", [])
        emulator.accept_invite(invite["id"])
        return CASES[case], {"after": start - 1, "event_types": ["invite.accepted"], "poll_interval": 0.2}, "success"
    if case == "rate_limit_sync":
        policy = {"gpt-4o": {"max_requests_per_1_minute": 500}}
        return CASES[case], {"rate_limits": policy, "targets": [[project_id, None]], "dry_run": True}, "done"
    key = new_user_key(emulator)
    emulator.use_key(key["value"])
    return CASES[case], {"project_id": project_id, "api_key_id": key["id"], "poll_interval": 0.2}, "success"


@pytest.mark.parametrize("case", sorted(CASES))
def test_a_triggers_first_poll_never_blocks_the_event_loop(
    emulator: EmulatorServer, bytecode_cache: Path, case: str
) -> None:
    classpath, kwargs, status = kwargs_of(emulator, case)
    outcome = first_poll(emulator, bytecode_cache, classpath, kwargs)
    assert outcome["status"] == status
    assert outcome["imported_on_loop"] == []  # each would be read from disk while every trigger waits
    if outcome["max_lag"] > MAX_LAG:  # compiling, the machine, or the trigger? A fresh process again tells.
        outcome = first_poll(emulator, bytecode_cache, classpath, kwargs)
    assert outcome["max_lag"] <= MAX_LAG, outcome
    assert outcome["slow_callbacks"] == []


def test_every_trigger_of_the_package_has_a_case() -> None:
    package = REPO / "airflow_provider_openai_projects" / "triggers"
    defined = {
        f"{TRIGGERS}.{path.stem}.{name}"
        for path in package.glob("*.py")
        if path.stem != "base"  # the polling base class, no trigger of its own
        for name in re.findall(r"^class (\w+Trigger)\(", path.read_text(), re.MULTILINE)
    }
    assert defined == set(CASES.values())


def test_the_probe_sees_a_trigger_that_blocks_the_loop_and_imports_on_it(
    emulator: EmulatorServer, bytecode_cache: Path
) -> None:
    """The measure itself: a trigger whose poll sleeps 0.3 s and imports a module on the loop
    (``blocking_trigger.py``) is caught by both checks above, every time."""
    emulator.add_org_user("ada@example.com")
    classpath = "tests.triggers.blocking_trigger.BlockingTrigger"
    outcome = first_poll(emulator, bytecode_cache, classpath, {"email": "ada@example.com", "poll_interval": 0.2})
    assert outcome["status"] == "success"
    assert outcome["max_lag"] > MAX_LAG, outcome
    assert outcome["slow_callbacks"] != []
    assert "tests.triggers.imported_on_the_loop" in outcome["imported_on_loop"]
