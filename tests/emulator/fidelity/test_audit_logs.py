"""The audit log, statement by statement: what events are associated with, filters, cursors,
and the payloads the spec names."""

from __future__ import annotations

from typing import Any

import pytest

from airflow_provider_openai_projects.emulator.server import EmulatorServer
from airflow_provider_openai_projects.testing import dashboard_change
from tests.emulator.conftest import Api, assert_error
from tests.emulator.fidelity.helpers import owner_id
from tests.emulator.fidelity.registry import holds
from tests.x509_certificates import make_pem_certificate

LOGS = "/organization/audit_logs"


def _events(api: Api, **params: Any) -> list[dict[str, Any]]:
    return list(api.ok("GET", LOGS, params={"limit": 100, **params})["data"])


@holds("audit.admin-key-default-project")
def test_an_admin_key_s_writes_are_associated_with_the_default_project(
    api: Api, emulator: EmulatorServer, project: dict[str, Any]
) -> None:
    """ "any admin actions taken via Admin API keys are associated with the default project"."""
    api.ok("POST", f"/organization/projects/{project['id']}", json={"name": "renamed"})
    api.ok("POST", "/organization/invites", json={"email": "new@example.com", "role": "reader"})
    api.ok("POST", "/organization/groups", json={"name": "eng"})

    events = _events(api)

    default = {"id": emulator.state.default_project_id, "name": "Default project"}
    assert sorted(e["type"] for e in events) == ["group.created", "invite.sent", "project.created", "project.updated"]
    assert all(e["project"] == default and e["actor"]["type"] == "api_key" for e in events)
    assert next(e for e in events if e["type"] == "project.updated")["project.updated"]["id"] == project["id"]


@holds("audit.absent-project")
def test_a_person_s_action_names_its_project_and_none_when_not_scoped_to_one(
    api: Api, emulator: EmulatorServer, project: dict[str, Any]
) -> None:
    """ "The project that the action was scoped to. Absent for actions not scoped to projects"."""
    owner = owner_id(emulator)
    dashboard_change(emulator, owner, "POST", f"/v1/organization/projects/{project['id']}", {"name": "by hand"})
    dashboard_change(emulator, owner, "POST", "/v1/organization/invites", {"email": "x@example.com", "role": "reader"})

    by_type = {e["type"]: e for e in _events(api, **{"actor_ids[]": owner}) if e["actor"]["type"] == "session"}

    assert by_type["project.updated"]["project"]["id"] == project["id"]
    assert "project" not in by_type["invite.sent"]


@holds("audit.effective-at")
@pytest.mark.parametrize(
    ("bound", "expected"), [("gt", ["late"]), ("gte", ["mid", "late"]), ("lt", ["early"]), ("lte", ["early", "mid"])]
)
def test_effective_at_bounds_select_events_by_time(
    api: Api, emulator: EmulatorServer, bound: str, expected: list[str]
) -> None:
    """ "Return only events whose `effective_at` (Unix seconds) is in this range"."""
    moments = {}
    for name in ("early", "mid", "late"):
        api.ok("POST", "/organization/projects", json={"name": name})
        moments[name] = emulator.state.now()
        emulator.state.advance_clock(60)

    events = _events(api, **{f"effective_at[{bound}]": moments["mid"]})

    assert sorted(e["project.created"]["data"]["name"] for e in events) == sorted(expected)


@holds("audit.project-filter")
def test_project_ids_keep_the_events_associated_with_those_projects(
    api: Api, emulator: EmulatorServer, project: dict[str, Any]
) -> None:
    """ "Return only events for these projects"."""
    owner = owner_id(emulator)
    dashboard_change(emulator, owner, "POST", f"/v1/organization/projects/{project['id']}", {"name": "by hand"})
    api.ok("POST", f"/organization/projects/{project['id']}", json={"name": "by key"})

    mine = _events(api, **{"project_ids[]": project["id"]})
    default = _events(api, **{"project_ids[]": emulator.state.default_project_id})

    assert [(e["type"], e["actor"]["type"]) for e in mine] == [("project.updated", "session")]
    assert sorted(e["type"] for e in default) == ["project.created", "project.updated"]


@holds("audit.type-filter")
@pytest.mark.spec_violations_expected
def test_event_types_keep_those_types_and_refuse_a_type_outside_the_enum(api: Api, project: dict[str, Any]) -> None:
    """ "Return only events with a `type` in one of these values" (items: ``AuditLogEventType``)."""
    api.ok("POST", f"/organization/projects/{project['id']}", json={"name": "renamed"})

    assert [e["type"] for e in _events(api, **{"event_types[]": "project.updated"})] == ["project.updated"]
    assert _events(api, **{"event_types[]": "login.failed"}) == []
    assert_error(api.get(LOGS, params={"event_types[]": "project.renamed"}), 400, param="event_types")


@holds("audit.actor-filter", "audit.email-filter")
def test_actor_ids_and_emails_keep_what_those_actors_did(
    api: Api, emulator: EmulatorServer, project: dict[str, Any]
) -> None:
    """ "Can be a user ID, a service account ID, or an api key tracking ID"; "by users with these emails"."""
    person = emulator.add_org_user("person@example.com", role="owner")
    dashboard_change(emulator, person["id"], "POST", f"/v1/organization/projects/{project['id']}", {"name": "p"})
    key_event = _events(api, **{"event_types[]": "project.created"})[0]
    tracking_id = key_event["actor"]["api_key"]["id"]

    assert [e["type"] for e in _events(api, **{"actor_ids[]": person["id"]})] == ["project.updated"]
    assert [e["type"] for e in _events(api, **{"actor_emails[]": "person@example.com"})] == ["project.updated"]
    assert [e["type"] for e in _events(api, **{"actor_ids[]": tracking_id})] == ["project.created"]
    assert _events(api, **{"actor_ids[]": "user-nobody"}) == []


@holds("audit.resource-filter")
def test_resource_ids_keep_the_events_about_those_targets(api: Api, project: dict[str, Any]) -> None:
    """ "Return only events performed on these targets. For example, a project ID updated"."""
    other = api.ok("POST", "/organization/projects", json={"name": "other"})
    api.ok("POST", f"/organization/projects/{project['id']}", json={"name": "renamed"})
    api.ok("POST", f"/organization/projects/{other['id']}", json={"name": "renamed too"})

    events = _events(api, **{"resource_ids[]": project["id"], "event_types[]": "project.updated"})

    assert [e["project.updated"]["id"] for e in events] == [project["id"]]


@holds("audit.tenant-only")
def test_tenant_only_lists_tenant_scoped_events_and_takes_only_tenant_types(api: Api, emulator: EmulatorServer) -> None:
    """ "Required for tenant-scoped events ... all supplied event types must be tenant-scoped"."""
    group = api.ok("POST", "/organization/groups", json={"name": "eng"})
    api.ok("POST", f"/organization/groups/{group['id']}/users", json={"user_id": owner_id(emulator)})

    assert "tenant.group.member.added" not in [e["type"] for e in _events(api)]
    assert [e["type"] for e in _events(api, tenant_only="true")] == ["tenant.group.member.added"]
    refused = api.get(LOGS, params={"tenant_only": "true", "event_types[]": "group.created"})
    assert_error(refused, 400, param="event_types")


@holds("audit.cursor-after", "audit.cursor-before")
def test_after_and_before_page_forward_and_back(api: Api) -> None:
    """ "fetch the next page" / "fetch the previous page"."""
    for n in range(5):
        api.ok("POST", "/organization/projects", json={"name": f"p{n}"})
    every = [e["id"] for e in _events(api)]

    first = api.ok("GET", LOGS, params={"limit": 2})
    second = api.ok("GET", LOGS, params={"limit": 2, "after": first["last_id"]})
    back = api.ok("GET", LOGS, params={"limit": 2, "before": second["first_id"]})

    assert [e["id"] for e in first["data"] + second["data"]] == every[:4]
    assert [e["id"] for e in back["data"]] == every[:2]


@holds("audit.certificate-updated", "audit.certificate-deleted-name", "audit.certificate-deleted")
def test_certificate_events_carry_its_name_and_on_delete_its_content(api: Api) -> None:
    """``certificate.updated``: "The name of the certificate."; ``certificate.deleted``: name and
    "The certificate content in PEM format."."""
    pem, _, _ = make_pem_certificate()
    cert = api.ok("POST", "/organization/certificates", json={"certificate": pem, "name": "first"})
    api.ok("POST", f"/organization/certificates/{cert['id']}", json={"name": "second"})
    api.ok("DELETE", f"/organization/certificates/{cert['id']}")

    by_type = {e["type"]: e for e in _events(api)}

    assert by_type["certificate.updated"]["certificate.updated"] == {"id": cert["id"], "name": "second"}
    assert by_type["certificate.deleted"]["certificate.deleted"] == {
        "id": cert["id"],
        "name": "second",
        "certificate": pem,
    }


@holds("audit.role-permissions-added", "audit.role-permissions-removed")
def test_a_role_update_records_the_permissions_added_and_removed(api: Api) -> None:
    """``role.updated.changes_requested``: "The permissions added to the role." / removed."""
    role = api.ok("POST", "/organization/roles", json={"role_name": "auditor", "permissions": ["a.read", "b.read"]})
    api.ok("POST", f"/organization/roles/{role['id']}", json={"permissions": ["b.read", "c.read"]})

    [event] = _events(api, **{"event_types[]": "role.updated"})

    changes = event["role.updated"]["changes_requested"]
    assert (changes["permissions_added"], changes["permissions_removed"]) == (["c.read"], ["a.read"])
