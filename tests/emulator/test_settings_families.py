"""Emulator semantics of the settings families that the client tests do not reach: list
order and cursors in both directions, refusals of the routes themselves (strict bodies,
unknown ``include``), scope isolation, archived projects, and ``reset``."""

from __future__ import annotations

from typing import Any

import pytest

from airflow_provider_openai_projects.emulator.server import EmulatorServer
from tests.emulator.conftest import Api, assert_error
from tests.x509_certificates import make_pem_certificate

CHANNEL = {"type": "email", "recipients": ["a@example.com"]}


def _alerts(emulator: EmulatorServer, count: int) -> list[str]:
    return [emulator.state.create_spend_alert(None, i, "USD", "month", CHANNEL)["id"] for i in range(count)]


def test_desc_order_pages_newest_first_with_the_cursor_of_the_previous_page(api: Api, emulator: EmulatorServer) -> None:
    ids = _alerts(emulator, 5)
    first = api.ok("GET", "/organization/spend_alerts", params={"order": "desc", "limit": 2})
    second = api.ok(
        "GET", "/organization/spend_alerts", params={"order": "desc", "limit": 2, "after": first["last_id"]}
    )
    third = api.ok(
        "GET", "/organization/spend_alerts", params={"order": "desc", "limit": 2, "after": second["last_id"]}
    )

    assert [a["id"] for page in (first, second, third) for a in page["data"]] == ids[::-1]
    assert [page["has_more"] for page in (first, second, third)] == [True, True, False]


def test_a_cursor_survives_the_deletion_of_its_item(api: Api, emulator: EmulatorServer) -> None:
    ids = _alerts(emulator, 4)
    api.ok("DELETE", f"/organization/spend_alerts/{ids[1]}")
    page = api.ok("GET", "/organization/spend_alerts", params={"after": ids[1]})
    assert [a["id"] for a in page["data"]] == ids[2:]


@pytest.mark.spec_violations_expected
def test_an_unknown_order_is_refused(api: Api) -> None:
    assert_error(api.get("/organization/admin_api_keys", params={"order": "newest"}), 400, param="order")


def test_include_takes_only_content(api: Api, emulator: EmulatorServer) -> None:
    cert = emulator.state.upload_certificate(make_pem_certificate()[0])
    assert_error(api.get(f"/organization/certificates/{cert['id']}", params={"include[]": "key"}), 400, param="include")
    repeated = api.ok("GET", f"/organization/certificates/{cert['id']}", params={"include": "content"})
    assert repeated["certificate_details"]["content"].startswith("-----BEGIN CERTIFICATE-----")


@pytest.mark.spec_violations_expected
@pytest.mark.parametrize(
    ("path", "body", "param"),
    [
        ("/organization/admin_api_keys", {"name": "x", "scopes": []}, "scopes"),
        ("/organization/certificates", {"name": "x"}, "certificate"),
        (
            "/organization/spend_limit",
            {"threshold_amount": 1.5, "currency": "USD", "interval": "month"},
            "threshold_amount",
        ),
        (
            "/organization/spend_alerts",
            {"threshold_amount": 1, "currency": "USD", "interval": "month"},
            "notification_channel",
        ),
        ("/organization/data_retention", {"type": "none"}, "retention_type"),
    ],
)
def test_bodies_are_strict(api: Api, path: str, body: dict[str, Any], param: str) -> None:
    assert_error(api.post(path, json=body), 400, param=param)


@pytest.mark.spec_violations_expected
def test_a_project_id_query_parameter_does_not_change_the_scope(api: Api, emulator: EmulatorServer) -> None:
    project_id = emulator.state.default_project_id
    api.ok(
        "POST",
        f"/organization/projects/{project_id}/spend_limit",
        json={"threshold_amount": 5, "currency": "USD", "interval": "month"},
    )
    assert_error(api.get("/organization/spend_limit", params={"project_id": project_id}), 404)


def test_archived_projects_refuse_settings(api: Api, emulator: EmulatorServer) -> None:
    project_id = emulator.state.create_project("old", None, None)["id"]
    emulator.state.archive_project(project_id)
    for path in ("data_retention", "model_permissions", "hosted_tool_permissions", "spend_alerts", "certificates"):
        assert_error(api.get(f"/organization/projects/{project_id}/{path}"), 400, param="project_id")


def test_reset_forgets_every_setting_and_reseeds_the_admin_key(emulator: EmulatorServer) -> None:
    state = emulator.state
    state.create_admin_api_key("extra")
    state.upload_certificate(make_pem_certificate()[0])
    state.update_organization_data_retention("zero_data_retention")
    state.update_project_model_permissions(state.default_project_id, "allow_list", ["o3"])
    state.update_spend_limit(None, 10, "USD", "month")
    _alerts(emulator, 1)

    emulator.reset()

    snapshot = state.snapshot()
    assert [k["name"] for k in snapshot["admin_api_keys"]] == ["Emulator admin key"]
    assert snapshot["certificates"] == []
    assert snapshot["data_retention"]["organization"] == "modified_abuse_monitoring"
    assert snapshot["model_permissions"][state.default_project_id]["model_ids"] == []
    assert snapshot["spend"]["organization"] == {"spend_limit": None, "spend_alerts": []}
    assert state.classify_key(emulator.admin_key) == "admin"


def test_admin_calls_leave_the_snapshot_unchanged(api: Api, emulator: EmulatorServer) -> None:
    """``last_used_at`` of the admin key moves with every call; the snapshot leaves it out."""
    before = emulator.state.snapshot()
    emulator.state.advance_clock(5)
    api.ok("GET", "/organization/admin_api_keys")
    assert emulator.state.snapshot() == before
    assert "last_used_at" not in before["admin_api_keys"][0]
