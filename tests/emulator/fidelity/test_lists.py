"""Lists, statement by statement: limits, defaults, cursors both ways."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from airflow_provider_openai_projects.emulator.server import EmulatorServer
from tests.emulator.conftest import Api, assert_error
from tests.emulator.fidelity.helpers import endpoints
from tests.emulator.fidelity.registry import holds
from tests.x509_certificates import make_pem_certificate

Seeder = Callable[[EmulatorServer, str, int], None]


def _projects(emulator: EmulatorServer, project_id: str, n: int) -> None:
    for i in range(n):
        emulator.state.create_project(f"p{i}", None, None)


def _users(emulator: EmulatorServer, project_id: str, n: int) -> None:
    for i in range(n):
        emulator.add_org_user(f"u{i}@example.com")


def _project_users(emulator: EmulatorServer, project_id: str, n: int) -> None:
    for i in range(n):
        user = emulator.add_org_user(f"m{i}@example.com")
        emulator.state.add_project_user(project_id, "member", user_id=user["id"])


def _invites(emulator: EmulatorServer, project_id: str, n: int) -> None:
    for i in range(n):
        emulator.state.create_invite(f"i{i}@example.com", "reader")


def _service_accounts(emulator: EmulatorServer, project_id: str, n: int) -> None:
    for i in range(n):
        emulator.state.create_service_account(project_id, f"bot{i}")


def _api_keys(emulator: EmulatorServer, project_id: str, n: int) -> None:
    user = emulator.add_org_user("keys@example.com")
    emulator.state.add_project_user(project_id, "member", user_id=user["id"])
    for i in range(n):
        emulator.state.create_user_api_key(project_id, user["id"], f"k{i}")


def _certificates(emulator: EmulatorServer, project_id: str, n: int) -> None:
    pem, _, _ = make_pem_certificate()
    for i in range(n):
        emulator.state.upload_certificate(pem, f"c{i}")


def _events(emulator: EmulatorServer, project_id: str, n: int) -> None:
    for i in range(n):
        emulator.state.seed_audit_event("project.created", {"id": f"proj_{i}"}, effective_at=1_700_000_000 + i)


SEEDERS: dict[str, Seeder] = {
    "/organization/audit_logs": _events,
    "/organization/certificates": _certificates,
    "/organization/invites": _invites,
    "/organization/projects": _projects,
    "/organization/projects/{project_id}/api_keys": _api_keys,
    "/organization/projects/{project_id}/certificates": _certificates,
    "/organization/projects/{project_id}/service_accounts": _service_accounts,
    "/organization/projects/{project_id}/users": _project_users,
    "/organization/users": _users,
}


@holds("list.limit-1-100")
@pytest.mark.parametrize("endpoint", endpoints("list.limit-1-100"))
def test_limit_ranges_from_1_to_100_and_defaults_to_20(
    api: Api, emulator: EmulatorServer, project: dict[str, Any], endpoint: str
) -> None:
    """ "Limit can range between 1 and 100, and the default is 20"."""
    route = endpoint.split(" ", 1)[1]
    SEEDERS[route](emulator, project["id"], 21)
    path = route.format(project_id=project["id"])

    page = api.ok("GET", path)

    assert (len(page["data"]), page["has_more"]) == (20, True)
    assert len(api.ok("GET", path, params={"limit": 100})["data"]) >= 21
    assert len(api.ok("GET", path, params={"limit": 1})["data"]) == 1
    for limit in (0, 101):
        assert_error(api.get(path, params={"limit": limit}), 400, param="limit")


@holds("list.limit-0-1000")
@pytest.mark.parametrize("endpoint", endpoints("list.limit-0-1000"))
def test_group_lists_take_0_to_1000_and_default_to_100(api: Api, emulator: EmulatorServer, endpoint: str) -> None:
    """ "Limit can range between 0 and 1000, and the default is 100"."""
    group = emulator.state.create_group("eng")
    for i in range(101):
        if endpoint.endswith("users"):
            emulator.state.add_group_user(group["id"], emulator.add_org_user(f"g{i}@example.com")["id"])
        else:
            emulator.state.create_group(f"g{i}")
    path = endpoint.split(" ", 1)[1].format(group_id=group["id"])

    assert (len(api.ok("GET", path)["data"]), api.ok("GET", path)["has_more"]) == (100, True)
    assert api.ok("GET", path, params={"limit": 0})["data"] == []
    assert len(api.ok("GET", path, params={"limit": 1000})["data"]) >= 101


@holds("list.rate-limits-default")
def test_rate_limits_list_100_by_default(api: Api, emulator: EmulatorServer, project: dict[str, Any]) -> None:
    """ "The default is 100" (every model's limit fits one page)."""
    page = api.ok("GET", f"/organization/projects/{project['id']}/rate_limits")
    assert len(page["data"]) == min(100, len(emulator.state.models))
    assert page["has_more"] is (len(emulator.state.models) > 100)


@holds("list.roles-default")
def test_roles_list_1000_by_default(api: Api, emulator: EmulatorServer) -> None:
    """ "Defaults to 1000."."""
    for i in range(1000):
        emulator.state.create_role(f"role {i:04d}", ["p"])
    page = api.ok("GET", "/organization/roles")
    assert (len(page["data"]), page["has_more"]) == (1000, True)


@holds("list.project-groups-default")
def test_project_groups_list_20_by_default(api: Api, emulator: EmulatorServer, project: dict[str, Any]) -> None:
    """ "Defaults to 20."."""
    member = next(r["id"] for r in emulator.state.list_roles()["data"] if r["name"] == "Project Member")
    for i in range(21):
        emulator.state.add_project_group(project["id"], emulator.state.create_group(f"g{i}")["id"], member)
    page = api.ok("GET", f"/organization/projects/{project['id']}/groups")
    assert (len(page["data"]), page["has_more"]) == (20, True)


def _alerts_path(scope: str, project: dict[str, Any]) -> str:
    return (
        "/organization/spend_alerts"
        if scope == "organization"
        else f"/organization/projects/{project['id']}/spend_alerts"
    )


def _alerts(api: Api, path: str, n: int) -> list[str]:
    channel = {"type": "email", "recipients": ["a@example.com"]}
    body = {"threshold_amount": 100, "currency": "USD", "interval": "month", "notification_channel": channel}
    return [api.ok("POST", path, json={**body, "threshold_amount": 100 + i})["id"] for i in range(n)]


SCOPES = [pytest.param("organization", id="organization"), pytest.param("project", id="project")]


@holds("spend.alerts-limit")
@pytest.mark.parametrize("scope", SCOPES)
def test_spend_alerts_list_20_by_default_and_take_limit_0(api: Api, project: dict[str, Any], scope: str) -> None:
    """ "Defaults to 20." (schema: minimum 0, maximum 100)."""
    path = _alerts_path(scope, project)
    _alerts(api, path, 21)
    assert (len(api.ok("GET", path)["data"]), api.ok("GET", path)["has_more"]) == (20, True)
    empty = api.ok("GET", path, params={"limit": 0})
    assert (empty["data"], empty["has_more"]) == ([], True)


@holds("spend.alerts-before", "spend.alerts-after")
@pytest.mark.parametrize("scope", SCOPES)
@pytest.mark.parametrize("order", ["asc", "desc"])
def test_spend_alerts_page_forward_with_after_and_back_with_before(
    api: Api, project: dict[str, Any], scope: str, order: str
) -> None:
    """ "Provide the ID of the last spend alert ... to fetch the next page" / "... the first
    spend alert from the previous response to fetch the previous page"."""
    path = _alerts_path(scope, project)
    ids = _alerts(api, path, 5)
    ordered = ids if order == "asc" else ids[::-1]

    first = api.ok("GET", path, params={"limit": 2, "order": order})
    second = api.ok("GET", path, params={"limit": 2, "order": order, "after": first["last_id"]})
    back = api.ok("GET", path, params={"limit": 2, "order": order, "before": second["first_id"]})

    assert [a["id"] for a in first["data"] + second["data"]] == ordered[:4]
    assert ([a["id"] for a in back["data"]], back["has_more"]) == (ordered[:2], False)
