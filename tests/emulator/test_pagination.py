"""Cursor pagination: creation order, limits, and cursors that survive deletions."""

from __future__ import annotations

from typing import Any

import pytest

from airflow_provider_openai_projects.emulator.server import EmulatorServer

from .conftest import Api, assert_error


def _list_paths(project_id: str) -> list[str]:
    base = f"/organization/projects/{project_id}"
    return [
        "/organization/projects",
        "/organization/users",
        "/organization/invites",
        f"{base}/users",
        f"{base}/service_accounts",
        f"{base}/api_keys",
        f"{base}/rate_limits",
    ]


def test_250_projects_page_in_creation_order(api: Api) -> None:
    created = [api.ok("POST", "/organization/projects", json={"name": f"p{i:03d}"})["id"] for i in range(250)]
    pages = []
    params: dict[str, Any] = {"limit": 100}
    while True:
        page = api.ok("GET", "/organization/projects", params=params)
        pages.append(page)
        if not page["has_more"]:
            break
        params["after"] = page["last_id"]
    assert [len(p["data"]) for p in pages] == [100, 100, 51]
    assert [p["has_more"] for p in pages] == [True, True, False]
    seen = [item["id"] for p in pages for item in p["data"]]
    assert seen[1:] == created
    for page in pages:
        assert (page["first_id"], page["last_id"]) == (page["data"][0]["id"], page["data"][-1]["id"])


def test_default_limit_is_20(api: Api, emulator: EmulatorServer) -> None:
    for i in range(25):
        emulator.add_org_user(f"u{i}@example.com")
    page = api.ok("GET", "/organization/users")
    assert len(page["data"]) == 20
    assert page["has_more"] is True


def test_paging_while_deleting_every_item_seen_still_visits_all(api: Api, emulator: EmulatorServer) -> None:
    created = [emulator.add_org_user(f"user{i:03d}@example.com")["id"] for i in range(250)]
    seen: list[str] = []
    params: dict[str, Any] = {"limit": 30}
    while True:
        page = api.ok("GET", "/organization/users", params=params)
        for user in page["data"]:
            if user["email"] != "owner@example.com":
                api.ok("DELETE", f"/organization/users/{user['id']}")
                seen.append(user["id"])
        if not page["has_more"]:
            break
        params["after"] = page["last_id"]  # deleted by now: the cursor must still work
    assert seen == created
    assert [u["email"] for u in api.list_all("/organization/users")] == ["owner@example.com"]


def test_paging_while_deleting_other_items_skips_only_the_deleted(api: Api, project: dict[str, Any]) -> None:
    path = f"/organization/projects/{project['id']}/service_accounts"
    ids = [api.ok("POST", path, json={"name": f"sa{i}"})["id"] for i in range(250)]
    first = api.ok("GET", path, params={"limit": 100})
    doomed = set(ids[150:200])
    for account_id in doomed:
        api.ok("DELETE", f"{path}/{account_id}")
    rest = api.list_all(path, limit=100, after=first["last_id"])
    assert [a["id"] for a in first["data"]] + [a["id"] for a in rest] == [i for i in ids if i not in doomed]


def test_an_empty_page_has_null_ids(api: Api, project: dict[str, Any]) -> None:
    page = api.ok("GET", f"/organization/projects/{project['id']}/service_accounts")
    assert page == {"object": "list", "data": [], "first_id": None, "last_id": None, "has_more": False}


@pytest.mark.parametrize(
    "limit",
    [
        "0",
        "101",
        "-5",
        pytest.param("ten", marks=pytest.mark.spec_violations_expected),
        pytest.param("1.5", marks=pytest.mark.spec_violations_expected),
    ],
)
def test_limit_out_of_bounds_is_400_on_every_list(api: Api, emulator: EmulatorServer, limit: str) -> None:
    for path in _list_paths(emulator.state.default_project_id):
        assert_error(api.get(path, params={"limit": limit}), 400, param="limit")


def test_limit_bounds_1_and_100_are_accepted(api: Api, emulator: EmulatorServer) -> None:
    for path in _list_paths(emulator.state.default_project_id):
        for limit in (1, 100):
            page = api.ok("GET", path, params={"limit": limit})
            assert len(page["data"]) <= limit


def test_an_unknown_cursor_is_400(api: Api, emulator: EmulatorServer) -> None:
    for path in _list_paths(emulator.state.default_project_id):
        assert_error(api.get(path, params={"after": "nope_123"}), 400, param="after")


@pytest.mark.parametrize(
    ("newest_first", "cursor"),
    [(False, None), (True, None), (False, "after"), (True, "after"), (False, "before"), (True, "before")],
)
def test_a_page_examines_only_the_items_up_to_its_limit_plus_one(newest_first: bool, cursor: str | None) -> None:
    """Every list builds at most one page: of 10,000 items, a page of 20 looks at 21."""
    from airflow_provider_openai_projects.emulator.pagination import OrderedStore

    store: OrderedStore[int] = OrderedStore()
    for n in range(10_000):
        store.add(f"id{n}", n)
    examined: list[int] = []

    def where(item: int) -> bool:
        examined.append(item)
        return True

    kwargs = {cursor: "id5000"} if cursor else {}
    page = store.window(20, newest_first=newest_first, where=where, **kwargs)

    assert (len(page.items), page.has_more, len(examined)) == (20, True, 21)
