"""Finding 9: a web page near the emulator can neither drive nor read it.

The attack (issue 14): the control API had no authentication, no ``Host`` check and took
``POST /_emulator/reset`` as ``text/plain``, so any web page open in a browser on the same
machine could reset or drive it (a simple form post, or DNS rebinding); ``--host 0.0.0.0``
only warned, with a printed constant admin key. Each attack here is sent over real HTTP the
way a browser would; each is refused, and the state and the request log are unchanged.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import requests

from airflow_provider_openai_projects.emulator.gateway import CONTROL_TOKEN_HEADER
from airflow_provider_openai_projects.emulator.organization_state import DEFAULT_ADMIN_KEY
from airflow_provider_openai_projects.emulator.server import EmulatorServer

SCRIPT = Path(sys.executable).parent / "openai-admin-emulator"


def unchanged(emulator: EmulatorServer, before: dict[str, object]) -> None:
    assert emulator.state.snapshot() == before
    assert emulator.log.entries() == []


def test_a_form_post_without_the_token_cannot_reset_or_drive_the_emulator(emulator: EmulatorServer) -> None:
    emulator.state.create_project("keep me")
    before = emulator.state.snapshot()
    form = {"Content-Type": "text/plain"}  # what a cross-site <form enctype="text/plain"> sends
    for path, body in (("/reset", "x"), ("/users", '{"email": "evil@example.com"}'), ("/faults", "{}")):
        response = requests.post(f"{emulator.url}/_emulator{path}", data=body, headers=form, timeout=10)
        assert response.status_code == 401, path
        assert response.json()["error"]["code"] == "invalid_control_token"
    wrong = {CONTROL_TOKEN_HEADER: "guessed", "Content-Type": "application/json"}
    assert requests.post(f"{emulator.url}/_emulator/reset", json={}, headers=wrong, timeout=10).status_code == 401
    assert requests.get(f"{emulator.url}/_emulator/state", timeout=10).status_code == 401  # no read either
    unchanged(emulator, before)


def test_the_token_without_a_json_content_type_is_refused_too(emulator: EmulatorServer) -> None:
    before = emulator.state.snapshot()
    headers = {CONTROL_TOKEN_HEADER: emulator.control_token, "Content-Type": "text/plain"}
    response = requests.post(f"{emulator.url}/_emulator/reset", data="{}", headers=headers, timeout=10)
    assert response.status_code == 415
    unchanged(emulator, before)
    ok = requests.post(f"{emulator.url}/_emulator/reset", json={}, headers=emulator.control_headers(), timeout=10)
    assert ok.json() == {"reset": True}


def test_dns_rebinding_is_refused_on_the_control_and_the_admin_api(emulator: EmulatorServer) -> None:
    """A page at evil.example whose name now resolves to 127.0.0.1 sends Host: evil.example."""
    before = emulator.state.snapshot()
    rebound = {"Host": f"evil.example:{emulator.port}"}
    control = requests.get(
        f"{emulator.url}/_emulator/state", headers={**rebound, **emulator.control_headers()}, timeout=10
    )
    api = requests.post(
        f"{emulator.base_url}/organization/projects",
        json={"name": "planted"},
        headers={**rebound, "Authorization": f"Bearer {emulator.admin_key}"},
        timeout=10,
    )
    for response in (control, api):
        assert response.status_code == 403
        assert response.json()["error"]["code"] == "host_not_allowed"
    unchanged(emulator, before)
    for host in ("localhost", "127.0.0.1", f"127.0.0.1:{emulator.port}", f"localhost:{emulator.port}"):
        response = requests.get(
            f"{emulator.base_url}/organization/projects",
            headers={"Host": host, "Authorization": f"Bearer {emulator.admin_key}"},
            timeout=10,
        )
        assert response.status_code == 200, host


def test_each_server_has_its_own_random_control_token() -> None:
    with EmulatorServer() as one, EmulatorServer() as two:
        assert one.control_token != two.control_token
        assert len(one.control_token) >= 24
        response = requests.get(
            f"{one.url}/_emulator/state", headers={CONTROL_TOKEN_HEADER: two.control_token}, timeout=10
        )
        assert response.status_code == 401


def test_a_non_loopback_interface_needs_allow_remote_and_an_admin_key_of_ones_own() -> None:
    with pytest.raises(ValueError, match="allow_remote"):
        EmulatorServer(host="0.0.0.0")  # noqa: S104
    with pytest.raises(ValueError, match="admin key of your own"):
        EmulatorServer(host="0.0.0.0", allow_remote=True)  # noqa: S104
    wildcard = ".".join(["0"] * 4)
    for args, message in (
        (["--host", wildcard], "--allow-remote"),
        (["--host", wildcard, "--allow-remote"], "--admin-key of your own"),
        (["--host", wildcard, "--allow-remote", "--admin-key", DEFAULT_ADMIN_KEY], "--admin-key of your own"),
    ):
        done = subprocess.run([str(SCRIPT), *args], capture_output=True, text=True, timeout=60)  # noqa: S603
        assert done.returncode == 2, done
        assert message in done.stderr
