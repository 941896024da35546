"""``openai-admin-emulator``: the console script, run as a subprocess."""

from __future__ import annotations

import re
import signal
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import requests

SCRIPT = Path(sys.executable).parent / "openai-admin-emulator"


@contextmanager
def running(*args: str) -> Iterator[tuple[str, str, subprocess.Popen[str]]]:
    """Start the script; yield (base URL, admin key, process); stop it with SIGTERM."""
    command = [str(SCRIPT), *args]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)  # noqa: S603
    try:
        assert process.stdout is not None
        url_line = process.stdout.readline()
        key_line = process.stdout.readline()
        url = re.search(r"(http://\S+/v1)", url_line)
        key = re.search(r"admin key: (\S+)", key_line)
        assert url, (url_line, process.stderr.read() if process.stderr else "")
        assert key, key_line
        yield url.group(1), key.group(1), process
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=15)


def test_the_script_serves_on_a_free_port_until_terminated() -> None:
    with running("--port", "0", "--seed-users", "3") as (base_url, admin_key, process):
        assert re.fullmatch(r"http://127\.0\.0\.1:\d+/v1", base_url)
        response = requests.get(
            f"{base_url}/organization/users", headers={"Authorization": f"Bearer {admin_key}"}, timeout=10
        )
        assert response.status_code == 200
        emails = [u["email"] for u in response.json()["data"]]
        assert emails == ["owner@example.com", "user0@example.com", "user1@example.com", "user2@example.com"]
    assert process.returncode == 0


def test_the_script_takes_an_admin_key_and_a_throttle() -> None:
    args = ("--admin-key", "sk-admin-cli-test-key-000000001", "--throttle-rpm", "1", "--no-throttle-retry-after")
    with running(*args) as (base_url, admin_key, _):
        assert admin_key == "sk-admin-cli-test-key-000000001"
        headers = {"Authorization": f"Bearer {admin_key}"}
        assert requests.get(f"{base_url}/organization/projects", headers=headers, timeout=10).status_code == 200
        throttled = requests.get(f"{base_url}/organization/projects", headers=headers, timeout=10)
        assert throttled.status_code == 429
        assert "Retry-After" not in throttled.headers
