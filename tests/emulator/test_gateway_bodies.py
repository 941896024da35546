"""Issue 18 point 8: the emulator refuses a body before reading it when the request carries
no valid key or is not JSON, and its request log keeps at most a bounded prefix of any body.

The attack: five 20 MB ``text/plain`` POSTs with no key (what any web page can send without a
preflight) were refused with 401, but each body was read and kept in the request log (memory
from 61 to 225 MB, and a log the tests assert on polluted). Here the request announces 20 MB
and sends only its first kilobyte: an answer that comes anyway proves the body was never
waited for, let alone read.
"""

from __future__ import annotations

import json
import socket

import pytest
import requests

from airflow_provider_openai_projects.emulator.requestlog import (
    LOGGED_BODY_LIMIT,
    LOGGED_BODY_PREFIX,
    BodyPrefix,
)
from airflow_provider_openai_projects.emulator.server import EmulatorServer

ANNOUNCED = 20 * 1024 * 1024


@pytest.fixture
def emulator(openai_admin_emulator: EmulatorServer) -> EmulatorServer:
    """The pytest plugin's emulator (reset before and after), not the suite's: the suite's
    spec recorder reads every body in full to record it, and would hide what the gateway
    itself does."""
    return openai_admin_emulator


def send_announcing_a_big_body(emulator: EmulatorServer, headers: dict[str, str]) -> tuple[int, bytes]:
    """POST announcing 20 MB, send 1 KB of it, and return the status and response, which
    must come without the rest of the body (a 5 s timeout fails the test otherwise)."""
    lines = [
        "POST /v1/organization/projects HTTP/1.1",
        f"Host: 127.0.0.1:{emulator.port}",
        f"Content-Length: {ANNOUNCED}",
        *(f"{name}: {value}" for name, value in headers.items()),
    ]
    with socket.create_connection(("127.0.0.1", emulator.port), timeout=5) as sock:
        sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode() + b"x" * 1024)
        received = b""
        while b"\r\n\r\n" not in received or not received.rstrip().endswith(b"}"):
            chunk = sock.recv(65536)
            if not chunk:
                break
            received += chunk
    head, _, body = received.partition(b"\r\n\r\n")
    assert b"connection: close" in head.lower()  # the unread rest is never expected
    return int(head.split()[1]), body


@pytest.mark.parametrize(
    ("headers", "status", "code"),
    [
        ({"Content-Type": "text/plain"}, 401, "missing_api_key"),
        ({"Content-Type": "application/json"}, 401, "missing_api_key"),
        ({"Content-Type": "application/json", "Authorization": "Bearer sk-admin-forged"}, 401, "invalid_api_key"),
        ({"Content-Type": "text/plain", "Authorization": "Bearer {admin}"}, 415, "unsupported_media_type"),
        ({"Content-Type": "application/x-www-form-urlencoded", "Authorization": "Bearer {admin}"}, 415, None),
        ({"Authorization": "Bearer {admin}"}, 415, "unsupported_media_type"),
    ],
)
def test_a_body_is_refused_before_it_is_read_and_the_log_keeps_none_of_it(
    emulator: EmulatorServer, headers: dict[str, str], status: int, code: str | None
) -> None:
    headers = {name: value.format(admin=emulator.admin_key) for name, value in headers.items()}
    before = emulator.state.snapshot()
    got, body = send_announcing_a_big_body(emulator, headers)
    assert got == status
    if code is not None:
        assert json.loads(body)["error"]["code"] == code
    assert emulator.state.snapshot() == before
    [entry] = emulator.log.entries()
    assert (entry.status, entry.applied, entry.body) == (status, False, None)


def test_the_log_keeps_a_bounded_prefix_of_a_long_body(emulator: EmulatorServer) -> None:
    long_name = "n" * (LOGGED_BODY_LIMIT * 4)
    response = requests.post(
        f"{emulator.base_url}/organization/projects",
        json={"name": long_name},
        headers={"Authorization": f"Bearer {emulator.admin_key}"},
        timeout=10,
    )
    assert response.status_code < 500
    [entry] = emulator.log.entries()
    assert isinstance(entry.body, BodyPrefix)
    assert entry.body.size > LOGGED_BODY_LIMIT * 4
    assert len(entry.body.prefix) == LOGGED_BODY_PREFIX
    assert entry.body.prefix.startswith('{"name": "nnn')
    listed = requests.get(f"{emulator.url}/_emulator/requests", headers=emulator.control_headers(), timeout=10)
    assert listed.json()["data"][0]["body"] == {"size": entry.body.size, "prefix": entry.body.prefix}


def test_a_short_json_body_is_still_logged_parsed(emulator: EmulatorServer) -> None:
    response = requests.post(
        f"{emulator.base_url}/organization/projects",
        json={"name": "kept"},
        headers={"Authorization": f"Bearer {emulator.admin_key}"},
        timeout=10,
    )
    assert response.status_code == 200
    assert [e.body for e in emulator.log.entries()] == [{"name": "kept"}]


def test_a_short_body_nested_too_deeply_to_parse_is_logged_as_a_prefix(emulator: EmulatorServer) -> None:
    """30,000 nested arrays (60 KB, under the parsed-body limit) once made the gateway raise
    RecursionError before logging: no log entry and a traceback instead of an answer."""
    nested = b"[" * 30_000 + b"]" * 30_000
    response = requests.post(
        f"{emulator.base_url}/organization/projects",
        data=nested,
        headers={"Authorization": f"Bearer {emulator.admin_key}", "Content-Type": "application/json"},
        timeout=10,
    )
    assert response.json()["error"]  # answered in the API's error shape
    [entry] = emulator.log.entries()
    assert (entry.status, entry.applied) == (response.status_code, False)
    assert entry.body == BodyPrefix(len(nested), "[" * LOGGED_BODY_PREFIX)
