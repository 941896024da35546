"""Certificates, invites, users, projects, service accounts, keys, spend, roles and project
groups, statement by statement."""

from __future__ import annotations

from typing import Any

import pytest

from airflow_provider_openai_projects.emulator.server import EmulatorServer
from tests.emulator.conftest import Api, assert_error
from tests.emulator.fidelity.registry import holds
from tests.x509_certificates import make_pem_certificate

CERTS = "/organization/certificates"


def _certificate(api: Api, name: str = "c") -> dict[str, Any]:
    pem, _, _ = make_pem_certificate()
    return dict(api.ok("POST", CERTS, json={"certificate": pem, "name": name}))


# -- certificates -------------------------------------------------------------------------


@holds("cert.upload-inactive")
def test_an_uploaded_certificate_is_not_active(api: Api, project: dict[str, Any]) -> None:
    """ "This does **not** automatically activate the certificate"."""
    cert = _certificate(api)
    assert [c["active"] for c in api.ok("GET", CERTS)["data"]] == [False]
    assert [c["active"] for c in api.ok("GET", f"/organization/projects/{project['id']}/certificates")["data"]] == [
        False
    ]
    assert cert["id"]


@holds("cert.upload-50")
def test_an_organization_holds_at_most_50_certificates(api: Api, emulator: EmulatorServer) -> None:
    """ "Organizations can upload up to 50 certificates"."""
    pem, _, _ = make_pem_certificate()
    for n in range(50):
        emulator.state.upload_certificate(pem, f"c{n}")
    assert_error(api.post(CERTS, json={"certificate": pem, "name": "51st"}), 400, param="certificate")


@holds("cert.activate-10")
@pytest.mark.spec_violations_expected  # 11 ids: more than the schema's maxItems
@pytest.mark.parametrize(
    "scope",
    ["organization activate", "organization deactivate", "project activate", "project deactivate"],
)
def test_activation_takes_up_to_10_at_once_atomically_and_idempotently(
    api: Api, emulator: EmulatorServer, project: dict[str, Any], scope: str
) -> None:
    """ "You can atomically and idempotently activate up to 10 certificates at a time"."""
    where, action = scope.split()
    base = CERTS if where == "organization" else f"/organization/projects/{project['id']}/certificates"
    pem, _, _ = make_pem_certificate()
    ids = [emulator.state.upload_certificate(pem, f"c{n}")["id"] for n in range(11)]
    if action == "deactivate":
        api.ok("POST", f"{base}/activate", json={"certificate_ids": ids[:10]})

    assert_error(api.post(f"{base}/{action}", json={"certificate_ids": ids}), 400)  # 11: none changed
    assert_error(api.post(f"{base}/{action}", json={"certificate_ids": [ids[0], "cert_unknown"]}), 404)
    listed = {c["id"]: c["active"] for c in api.ok("GET", base, params={"limit": 100})["data"]}
    assert listed[ids[0]] is (action == "deactivate")  # the failed batches changed nothing
    first = api.ok("POST", f"{base}/{action}", json={"certificate_ids": ids[:10]})
    assert api.ok("POST", f"{base}/{action}", json={"certificate_ids": ids[:10]}) == first
    assert [c["active"] for c in first["data"]] == [action == "activate"] * 10


@holds("cert.include-content")
def test_content_is_the_only_thing_to_include(api: Api) -> None:
    """ "Currently the only supported value is `content`"."""
    cert = _certificate(api)
    with_content = api.ok("GET", f"{CERTS}/{cert['id']}", params={"include[]": "content"})
    assert with_content["certificate_details"]["content"].startswith("-----BEGIN CERTIFICATE-----")
    assert "content" not in api.ok("GET", f"{CERTS}/{cert['id']}")["certificate_details"]
    assert_error(api.get(f"{CERTS}/{cert['id']}", params={"include[]": "key"}), 400, param="include")


@holds("cert.modify-name-only")
@pytest.mark.spec_violations_expected  # a body field the schema does not have
def test_only_the_name_of_a_certificate_can_change(api: Api) -> None:
    """ "Note that only the name can be modified"."""
    cert = _certificate(api, "before")
    assert api.ok("POST", f"{CERTS}/{cert['id']}", json={"name": "after"})["name"] == "after"
    pem, _, _ = make_pem_certificate(common_name="other.example.com")
    assert_error(api.post(f"{CERTS}/{cert['id']}", json={"certificate": pem}), 400, param="certificate")


@holds("cert.delete-inactive")
def test_only_a_certificate_inactive_everywhere_can_be_deleted(api: Api, project: dict[str, Any]) -> None:
    """ "The certificate must be inactive for the organization and all projects"."""
    cert = _certificate(api)
    project_base = f"/organization/projects/{project['id']}/certificates"
    api.ok("POST", f"{project_base}/activate", json={"certificate_ids": [cert["id"]]})
    assert_error(api.delete(f"{CERTS}/{cert['id']}"), 400)
    api.ok("POST", f"{project_base}/deactivate", json={"certificate_ids": [cert["id"]]})
    assert api.ok("DELETE", f"{CERTS}/{cert['id']}")["id"] == cert["id"]


@holds("cert.get-without-active")
def test_a_certificate_s_details_do_not_say_whether_it_is_active(api: Api) -> None:
    """ "Not returned when getting details for a specific certificate"."""
    cert = _certificate(api)
    api.ok("POST", f"{CERTS}/activate", json={"certificate_ids": [cert["id"]]})
    assert "active" not in api.ok("GET", f"{CERTS}/{cert['id']}")
    assert [c["active"] for c in api.ok("GET", CERTS)["data"]] == [True]


# -- invites, users, projects ---------------------------------------------------------------


@holds("invite.accept-first")
def test_an_invitee_is_no_member_until_they_accept(api: Api, emulator: EmulatorServer) -> None:
    """ "The invite must be accepted by the user before they have access to the organization"."""
    invite = api.ok("POST", "/organization/invites", json={"email": "new@example.com", "role": "reader"})
    assert "new@example.com" not in [u["email"] for u in api.ok("GET", "/organization/users")["data"]]
    emulator.accept_invite(invite["id"])
    assert "new@example.com" in [u["email"] for u in api.ok("GET", "/organization/users")["data"]]


@holds("invite.delete-accepted")
def test_an_accepted_invite_cannot_be_deleted(api: Api, emulator: EmulatorServer) -> None:
    """ "If the invite has already been accepted, it cannot be deleted"."""
    invite = api.ok("POST", "/organization/invites", json={"email": "new@example.com", "role": "reader"})
    emulator.accept_invite(invite["id"])
    assert_error(api.delete(f"/organization/invites/{invite['id']}"), 400)


@holds("invite.projects")
def test_an_invite_s_projects_are_joined_on_acceptance(
    api: Api, emulator: EmulatorServer, project: dict[str, Any]
) -> None:
    """ "membership is granted at the same time the org invite is accepted"."""
    body = {"email": "new@example.com", "role": "reader", "projects": [{"id": project["id"], "role": "owner"}]}
    invite = api.ok("POST", "/organization/invites", json=body)
    users = f"/organization/projects/{project['id']}/users"
    assert [u["email"] for u in api.ok("GET", users)["data"]] == []
    emulator.accept_invite(invite["id"])
    assert [(u["email"], u["role"]) for u in api.ok("GET", users)["data"]] == [("new@example.com", "owner")]


@holds("invite.projects-omitted", "invite.projects-empty")
def test_an_invite_without_projects_joins_the_default_project_and_an_empty_list_none(
    api: Api, emulator: EmulatorServer
) -> None:
    """ "If omitted, the user will be invited to the default project ... If empty list is
    passed, the user will not be invited to any projects, including the default one"."""
    omitted = api.ok("POST", "/organization/invites", json={"email": "legacy@example.com", "role": "reader"})
    empty = api.ok(
        "POST", "/organization/invites", json={"email": "none@example.com", "role": "reader", "projects": []}
    )
    for invite in (omitted, empty):
        emulator.accept_invite(invite["id"])

    default = f"/organization/projects/{emulator.state.default_project_id}/users"
    members = [u["email"] for u in api.ok("GET", default, params={"limit": 100})["data"]]
    assert "legacy@example.com" in members
    assert "none@example.com" not in members
    joined = {u["email"]: u["id"] for u in api.ok("GET", "/organization/users", params={"limit": 100})["data"]}
    assert {"legacy@example.com", "none@example.com"} <= set(joined)  # both accepted: only the projects differ


@holds("projects.no-delete")
@pytest.mark.spec_violations_expected  # the spec has no such operation
def test_a_project_cannot_be_deleted(api: Api, project: dict[str, Any]) -> None:
    """ "Projects can be created and archived, but cannot be deleted"."""
    response = api.delete(f"/organization/projects/{project['id']}")
    assert response.status_code in (404, 405)
    assert api.ok("GET", f"/organization/projects/{project['id']}")["status"] == "active"


@holds("projects.archived-hidden")
def test_archived_projects_are_listed_only_when_asked(api: Api, project: dict[str, Any]) -> None:
    """ "Archived projects are not included by default"."""
    api.ok("POST", f"/organization/projects/{project['id']}/archive")
    assert project["id"] not in [p["id"] for p in api.ok("GET", "/organization/projects")["data"]]
    listed = api.ok("GET", "/organization/projects", params={"include_archived": "true"})["data"]
    assert [p["status"] for p in listed if p["id"] == project["id"]] == ["archived"]


@holds("projects.archived-frozen")
def test_an_archived_project_can_be_neither_used_nor_updated(
    api: Api, emulator: EmulatorServer, project: dict[str, Any]
) -> None:
    """ "Archived projects cannot be used or updated"."""
    account = api.ok("POST", f"/organization/projects/{project['id']}/service_accounts", json={"name": "bot"})
    api.ok("POST", f"/organization/projects/{project['id']}/archive")
    assert_error(api.post(f"/organization/projects/{project['id']}", json={"name": "x"}), 400)
    assert_error(api.post(f"/organization/projects/{project['id']}/service_accounts", json={"name": "y"}), 400)
    assert emulator.use_key(account["api_key"]["value"]) == 401


@holds("projects.default-immutable")
def test_updating_the_default_project_is_an_error(api: Api, emulator: EmulatorServer) -> None:
    """ "Error response when updating the default project"."""
    default = emulator.state.default_project_id
    assert_error(api.post(f"/organization/projects/{default}", json={"name": "mine"}), 400)
    assert_error(api.post(f"/organization/projects/{default}/archive"), 400)


@holds("project-users.org-members")
def test_only_organization_members_can_join_a_project(
    api: Api, emulator: EmulatorServer, project: dict[str, Any]
) -> None:
    """ "Users must already be members of the organization to be added to a project"."""
    users = f"/organization/projects/{project['id']}/users"
    assert api.post(users, json={"user_id": "user-stranger", "role": "member"}).status_code in (400, 404)
    member = emulator.add_org_user("m@example.com")
    assert api.ok("POST", users, json={"user_id": member["id"], "role": "member"})["role"] == "member"


@holds("project-users.roles")
def test_a_project_member_is_an_owner_or_a_member(api: Api, emulator: EmulatorServer, project: dict[str, Any]) -> None:
    """ "`owner` or `member`"."""
    member = emulator.add_org_user("m@example.com")
    users = f"/organization/projects/{project['id']}/users"
    api.ok("POST", users, json={"user_id": member["id"], "role": "member"})
    assert api.ok("POST", f"{users}/{member['id']}", json={"role": "owner"})["role"] == "owner"
    assert_error(api.post(f"{users}/{member['id']}", json={"role": "reader"}), 400, param="role")


@holds("users.role-id")
def test_modify_user_assigns_a_role_by_id(api: Api, emulator: EmulatorServer, member: dict[str, Any]) -> None:
    """ "Role ID to assign to the user"."""
    roles = {r["name"]: r["id"] for r in api.ok("GET", "/organization/roles")["data"]}
    custom = api.ok("POST", "/organization/roles", json={"role_name": "billing", "permissions": ["b.read"]})
    path = f"/organization/users/{member['id']}"

    assert api.ok("POST", path, json={"role_id": roles["Owner"]})["role"] == "owner"
    api.ok("POST", path, json={"role_id": custom["id"]})

    held = {r["id"] for r in api.ok("GET", f"{path}/roles")["data"]}
    assert custom["id"] in held
    assert_error(api.post(path, json={"role_id": "role_unknown"}), 400, param="role_id")


@holds("users.technical-level", "users.developer-persona")
def test_modify_user_sets_technical_level_and_developer_persona(api: Api, member: dict[str, Any]) -> None:
    """ "Technical level metadata." / "Developer persona metadata."."""
    path = f"/organization/users/{member['id']}"
    changed = api.ok("POST", path, json={"technical_level": "expert", "developer_persona": "builder"})
    assert (changed["technical_level"], changed["developer_persona"], changed["role"]) == (
        "expert",
        "builder",
        "reader",
    )
    assert api.ok("GET", path)["technical_level"] == "expert"


# -- service accounts, keys ------------------------------------------------------------------


@holds("sa.key-by-default", "sa.roles")
def test_a_service_account_comes_with_a_key_and_role_member_unless_created_alone(
    api: Api, emulator: EmulatorServer, project: dict[str, Any]
) -> None:
    """ "By default, this also returns an unredacted API key"; "default project membership have
    role `member`. Accounts created with `create_service_account_only` have role `none`"."""
    path = f"/organization/projects/{project['id']}/service_accounts"
    with_key = api.ok("POST", path, json={"name": "bot"})
    alone = api.ok("POST", path, json={"name": "bare", "create_service_account_only": True})

    assert (with_key["role"], alone["role"]) == ("member", "none")
    assert emulator.use_key(with_key["api_key"]["value"]) == 200
    assert alone.get("api_key") is None


@holds("admin-key.value-once")
def test_an_admin_key_s_value_is_shown_only_on_create(api: Api) -> None:
    """ "The value of the API key. Only shown on create"."""
    created = api.ok("POST", "/organization/admin_api_keys", json={"name": "ci"})
    assert created["value"].startswith("sk-admin-")
    shown = api.ok("GET", f"/organization/admin_api_keys/{created['id']}")
    listed = api.ok("GET", "/organization/admin_api_keys")["data"]
    assert "value" not in shown
    assert all("value" not in key for key in listed)
    assert created["value"] not in str(listed)


@holds("admin-key.expiry")
def test_an_admin_key_without_expires_in_seconds_does_not_expire(api: Api, emulator: EmulatorServer) -> None:
    """ "Omit this field for a key that does not expire"."""
    forever = api.ok("POST", "/organization/admin_api_keys", json={"name": "forever"})
    brief = api.ok("POST", "/organization/admin_api_keys", json={"name": "brief", "expires_in_seconds": 60})
    assert forever["expires_at"] is None
    assert brief["expires_at"] == brief["created_at"] + 60


# -- spend, roles, project groups ------------------------------------------------------------


@holds("spend.currency", "spend.interval")
@pytest.mark.spec_violations_expected
@pytest.mark.parametrize("scope", ["organization", "project"])
def test_spend_limits_take_only_usd_and_month(api: Api, project: dict[str, Any], scope: str) -> None:
    """ "Currently, only `USD` is supported" / "only `month` is supported"."""
    path = (
        "/organization/spend_limit"
        if scope == "organization"
        else f"/organization/projects/{project['id']}/spend_limit"
    )
    body = {"threshold_amount": 10_000, "currency": "USD", "interval": "month"}
    assert api.ok("POST", path, json=body)["threshold_amount"] == 10_000
    assert_error(api.post(path, json={**body, "currency": "EUR"}), 400, param="currency")
    assert_error(api.post(path, json={**body, "interval": "week"}), 400, param="interval")


@holds("spend.email-channel")
@pytest.mark.spec_violations_expected
def test_spend_alerts_notify_by_email_only(api: Api) -> None:
    """ "Currently only `email` is supported"."""
    body = {"threshold_amount": 100, "currency": "USD", "interval": "month"}
    email = {"type": "email", "recipients": ["a@example.com"]}
    assert api.ok("POST", "/organization/spend_alerts", json={**body, "notification_channel": email})["id"]
    refused = api.post("/organization/spend_alerts", json={**body, "notification_channel": {**email, "type": "sms"}})
    assert refused.status_code == 400


@holds("roles.unique-names")
def test_role_names_are_unique_predefined_ones_included(api: Api) -> None:
    """ "Unique name for the role"."""
    api.ok("POST", "/organization/roles", json={"role_name": "Dup", "permissions": []})
    assert_error(api.post("/organization/roles", json={"role_name": "Dup", "permissions": []}), 400, param="role_name")
    assert_error(
        api.post("/organization/roles", json={"role_name": "Owner", "permissions": []}), 400, param="role_name"
    )
    other = api.ok("POST", "/organization/roles", json={"role_name": "Other", "permissions": []})
    renamed = api.post(f"/organization/roles/{other['id']}", json={"role_name": "Dup"})
    assert_error(renamed, 400, param="role_name")
    assert [r["name"] for r in api.ok("GET", "/organization/roles")["data"]].count("Dup") == 1


@holds("project-groups.group-type")
def test_a_project_group_is_looked_up_among_groups_of_the_type_asked(
    api: Api, emulator: EmulatorServer, project: dict[str, Any]
) -> None:
    """ "The type of group to retrieve"."""
    group = emulator.state.create_group("eng")
    member = next(r["id"] for r in emulator.state.list_roles()["data"] if r["name"] == "Project Member")
    emulator.state.add_project_group(project["id"], group["id"], member)
    path = f"/organization/projects/{project['id']}/groups/{group['id']}"

    assert api.ok("GET", path)["group_type"] == "group"
    assert api.ok("GET", path, params={"group_type": "group"})["group_id"] == group["id"]
    assert_error(api.get(path, params={"group_type": "tenant_group"}), 404)
