"""List methods follow the cursor through every page and refuse a cursor that does not advance."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from airflow_provider_openai_projects.client import OpenAIAdminClient, PaginationError
from airflow_provider_openai_projects.emulator.server import EmulatorServer


def test_list_follows_the_cursor_through_250_items_in_3_requests(
    emulator: EmulatorServer, client: OpenAIAdminClient
) -> None:
    project = client.create_project(name="big")
    for n in range(250):
        emulator.add_org_user(f"user{n:03d}@example.com")
    emulator.log.clear()
    users = client.list_users()
    assert len(users) == 251  # the seeded owner and the 250 added
    assert len({u["id"] for u in users}) == 251
    requests = [e for e in emulator.log.entries() if e.path == "/organization/users"]
    assert len(requests) == 3
    assert [e.query.get("limit") for e in requests] == [["100"]] * 3
    assert requests[0].query.get("after") is None
    assert requests[1].query["after"] == [users[99]["id"]]
    assert requests[2].query["after"] == [users[199]["id"]]
    assert project["id"]


class _StuckCursor(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        body = json.dumps(
            {
                "object": "list",
                "data": [{"id": "proj_same"}],
                "first_id": "proj_same",
                "last_id": "proj_same",
                "has_more": True,
            }
        ).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def stuck_server() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _StuckCursor)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/v1"
    server.shutdown()
    server.server_close()


def test_a_cursor_that_does_not_advance_stops_paging_with_an_error(stuck_server: str) -> None:
    client = OpenAIAdminClient("sk-admin-x", base_url=stuck_server)
    with pytest.raises(PaginationError, match="cursor did not advance"):
        client.list_projects()
