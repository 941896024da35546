"""List methods follow the cursor through every page and refuse a cursor that does not advance."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from airflow_provider_openai_projects.client import OpenAIAdminClient, PaginationError
from airflow_provider_openai_projects.client.pagination import Pager, iterate
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


@pytest.mark.parametrize(
    ("style", "cursor_field"),
    [("cursor", "last_id"), ("next", "next"), ("page", "next_page")],
)
def test_each_pagination_style_follows_its_own_cursor_field(style: str, cursor_field: str) -> None:

    pages = {
        None: {"data": [{"id": "a"}], "has_more": True, cursor_field: "c1"},
        "c1": {"data": [{"id": "b"}], "has_more": True, cursor_field: "c2"},
        "c2": {"data": [{"id": "c"}], "has_more": False, cursor_field: None},
    }
    asked: list[str | None] = []

    def fetch(cursor: str | None) -> dict[str, object]:
        asked.append(cursor)
        return pages[cursor]

    items = list(iterate(fetch, method="GET", path="/x", style=style))  # type: ignore[arg-type]
    assert [item["id"] for item in items] == ["a", "b", "c"]
    assert asked == [None, "c1", "c2"]


@pytest.mark.parametrize("style", ["cursor", "next", "page"])
@pytest.mark.parametrize("bad_cursor", [None, "", "c0", "c1"])
def test_each_pagination_style_refuses_a_cursor_that_does_not_advance(style: str, bad_cursor: str | None) -> None:

    field = {"cursor": "last_id", "next": "next", "page": "next_page"}[style]

    def fetch(cursor: str | None) -> dict[str, object]:
        if cursor is None:
            return {"data": [], "has_more": True, field: "c0"}
        if cursor == "c0":
            return {"data": [], "has_more": True, field: "c1"}
        return {"data": [], "has_more": True, field: bad_cursor}

    with pytest.raises(PaginationError, match="did not advance"):
        list(iterate(fetch, method="GET", path="/x", style=style))  # type: ignore[arg-type]


@pytest.mark.parametrize("page", [["not", "an", "object"], {"data": {"id": "a"}, "has_more": False}])
def test_the_pager_both_clients_drive_refuses_a_malformed_page(page: object) -> None:
    """One home for the page checks: the sync client's ``iterate`` and the async client's
    ``iter_list`` both drive :class:`Pager` (the async client had no ``data`` check)."""
    pager = Pager({"emails": ["a@example.com"]}, method="GET", path="/x", style="page", page_size=31)
    assert pager.params == {"emails": ["a@example.com"], "limit": 31, "page": None}
    with pytest.raises(PaginationError, match=r"not a JSON object|not an array"):
        list(pager.take(page))
