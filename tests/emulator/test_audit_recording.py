"""Every write the emulator applies is recorded as exactly one audit-log event.

The table (:data:`AUDIT_EVENTS`) covers every write row of ``ENDPOINTS``; each row's event
is spec-valid; and every write route the emulator serves, driven over real HTTP, records
exactly one event of its type naming the resource it touched. A write route that the
emulator serves without a driver here fails loudly, so a family landing later is covered.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import jsonschema  # type: ignore[import-untyped]
import pytest
from fastapi.routing import APIRoute

from airflow_provider_openai_projects.client import OpenAIAdminClient
from airflow_provider_openai_projects.client.endpoints import BY_OPERATION, ENDPOINTS
from airflow_provider_openai_projects.client.resources.spend_types import SpendAlertNotificationChannel
from airflow_provider_openai_projects.domain.audit_events import AuditEventFilter
from airflow_provider_openai_projects.emulator.app import create_app
from airflow_provider_openai_projects.emulator.families.audit_logs import (
    AUDIT_EVENTS,
    ORGANIZATION_ID,
    write_operation_ids,
)
from airflow_provider_openai_projects.emulator.faults import FaultInjector
from airflow_provider_openai_projects.emulator.organization_state import EmulatorState
from airflow_provider_openai_projects.emulator.requestlog import RequestLog
from airflow_provider_openai_projects.emulator.server import EmulatorServer
from tests.conformance.spec_validation import load_spec_document
from tests.x509_certificates import make_pem_certificate

_SPEC = load_spec_document()
_AUDIT_LOG = jsonschema.Draft202012Validator(
    {"$ref": "#/components/schemas/AuditLog", "components": {"schemas": _SPEC["components"]["schemas"]}}
)
_EVENT_TYPES = set(_SPEC["components"]["schemas"]["AuditLogEventType"]["enum"])


def _served_writes() -> list[str]:
    """The write operations the emulator has a route for."""
    app = create_app(EmulatorState(), FaultInjector(), RequestLog())
    served = {
        (method, route.path.removeprefix("/v1"))
        for route in app.router.routes
        if isinstance(route, APIRoute)
        for method in route.methods
    }
    return [op for op in write_operation_ids() if (BY_OPERATION[op].http_method, BY_OPERATION[op].route) in served]


SERVED_WRITES = _served_writes()


@pytest.fixture
def make_client(emulator: EmulatorServer) -> Callable[..., OpenAIAdminClient]:
    def make(**options: Any) -> OpenAIAdminClient:
        return OpenAIAdminClient(emulator.admin_key, base_url=emulator.base_url, sleep=lambda _: None, **options)

    return make


@pytest.fixture
def client(make_client: Callable[..., OpenAIAdminClient]) -> OpenAIAdminClient:
    return make_client()


#: Prepares one write (over the API or the state) and returns the act: the write itself,
#: returning the id of the resource its event must name.
Driver = Callable[[OpenAIAdminClient, EmulatorServer], Callable[[], str]]


def _project(emulator: EmulatorServer) -> str:
    return str(emulator.state.create_project("audited", None, None)["id"])


def _member(emulator: EmulatorServer, project_id: str) -> str:
    user = emulator.add_org_user("member@example.com")
    emulator.state.add_project_user(project_id, "member", user_id=user["id"])
    return str(user["id"])


def _account(emulator: EmulatorServer, project_id: str) -> str:
    return str(emulator.state.create_service_account(project_id, "bot")["id"])


def _create_project(client: OpenAIAdminClient, emulator: EmulatorServer) -> Callable[[], str]:
    return lambda: client.create_project(name="new")["id"]


def _modify_project(client: OpenAIAdminClient, emulator: EmulatorServer) -> Callable[[], str]:
    project_id = _project(emulator)
    return lambda: client.update_project(project_id, name="renamed")["id"]


def _archive_project(client: OpenAIAdminClient, emulator: EmulatorServer) -> Callable[[], str]:
    project_id = _project(emulator)
    return lambda: client.archive_project(project_id)["id"]


def _add_project_user(client: OpenAIAdminClient, emulator: EmulatorServer) -> Callable[[], str]:
    project_id = _project(emulator)
    user = emulator.add_org_user("joiner@example.com")
    return lambda: client.add_project_user(project_id, user_id=user["id"], role="member")["id"]


def _update_project_user(client: OpenAIAdminClient, emulator: EmulatorServer) -> Callable[[], str]:
    project_id = _project(emulator)
    user_id = _member(emulator, project_id)
    return lambda: client.update_project_user(project_id, user_id, role="owner")["id"]


def _remove_project_user(client: OpenAIAdminClient, emulator: EmulatorServer) -> Callable[[], str]:
    project_id = _project(emulator)
    user_id = _member(emulator, project_id)
    return lambda: client.remove_project_user(project_id, user_id)["id"]


def _create_service_account(client: OpenAIAdminClient, emulator: EmulatorServer) -> Callable[[], str]:
    project_id = _project(emulator)
    return lambda: client.create_service_account(project_id, name="bot")["id"]


def _update_service_account(client: OpenAIAdminClient, emulator: EmulatorServer) -> Callable[[], str]:
    project_id = _project(emulator)
    account_id = _account(emulator, project_id)
    return lambda: client.update_service_account(project_id, account_id, role="owner")["id"]


def _delete_service_account(client: OpenAIAdminClient, emulator: EmulatorServer) -> Callable[[], str]:
    project_id = _project(emulator)
    account_id = _account(emulator, project_id)
    return lambda: client.delete_service_account(project_id, account_id)["id"]


def _create_service_account_key(client: OpenAIAdminClient, emulator: EmulatorServer) -> Callable[[], str]:
    project_id = _project(emulator)
    account_id = _account(emulator, project_id)
    return lambda: client.create_service_account_api_key(project_id, account_id, name="second")["id"]


def _delete_project_api_key(client: OpenAIAdminClient, emulator: EmulatorServer) -> Callable[[], str]:
    project_id = _project(emulator)
    key = emulator.create_user_api_key(project_id, _member(emulator, project_id))
    return lambda: client.delete_project_api_key(project_id, key["id"])["id"]


def _update_rate_limit(client: OpenAIAdminClient, emulator: EmulatorServer) -> Callable[[], str]:
    project_id = _project(emulator)
    rate_limit_id = f"rl-{emulator.state.models[0].id}"
    return lambda: client.update_rate_limit(project_id, rate_limit_id, max_requests_per_1_minute=10)["id"]


def _create_invite(client: OpenAIAdminClient, emulator: EmulatorServer) -> Callable[[], str]:
    return lambda: client.create_invite(email="invitee@example.com", role="reader")["id"]


def _delete_invite(client: OpenAIAdminClient, emulator: EmulatorServer) -> Callable[[], str]:
    invite_id = emulator.state.create_invite("invitee@example.com", "reader")["id"]
    return lambda: client.delete_invite(invite_id)["id"]


def _update_user(client: OpenAIAdminClient, emulator: EmulatorServer) -> Callable[[], str]:
    user = emulator.add_org_user("reader@example.com")
    return lambda: client.update_user(user["id"], role="owner")["id"]


def _delete_user(client: OpenAIAdminClient, emulator: EmulatorServer) -> Callable[[], str]:
    user = emulator.add_org_user("leaver@example.com")
    return lambda: client.delete_user(user["id"])["id"]


def _role_id(emulator: EmulatorServer, name: str) -> str:
    return next(str(r["id"]) for r in emulator.state.list_roles()["data"] if r["name"] == name)


def _group(emulator: EmulatorServer) -> str:
    return str(emulator.state.create_group("team")["id"])


def _custom_role(emulator: EmulatorServer) -> str:
    return str(emulator.state.create_role("auditor", ["api.organization.read"])["id"])


def _create_group(client: OpenAIAdminClient, emulator: EmulatorServer) -> Callable[[], str]:
    return lambda: client.create_group(name="team")["id"]


def _update_group(client: OpenAIAdminClient, emulator: EmulatorServer) -> Callable[[], str]:
    group_id = _group(emulator)
    return lambda: client.update_group(group_id, name="renamed")["id"]


def _delete_group(client: OpenAIAdminClient, emulator: EmulatorServer) -> Callable[[], str]:
    group_id = _group(emulator)
    return lambda: client.delete_group(group_id)["id"]


def _add_group_user(client: OpenAIAdminClient, emulator: EmulatorServer) -> Callable[[], str]:
    group_id, user = _group(emulator), emulator.add_org_user("member@example.com")
    return lambda: (client.add_group_user(group_id, user_id=user["id"]), group_id)[1]


def _remove_group_user(client: OpenAIAdminClient, emulator: EmulatorServer) -> Callable[[], str]:
    group_id, user = _group(emulator), emulator.add_org_user("member@example.com")
    emulator.state.add_group_user(group_id, user["id"])
    return lambda: (client.remove_group_user(group_id, user["id"]), group_id)[1]


def _assign_user_role(client: OpenAIAdminClient, emulator: EmulatorServer) -> Callable[[], str]:
    user, role_id = emulator.add_org_user("member@example.com"), _custom_role(emulator)
    return lambda: (client.assign_user_role(user["id"], role_id=role_id), role_id)[1]


def _unassign_user_role(client: OpenAIAdminClient, emulator: EmulatorServer) -> Callable[[], str]:
    user, role_id = emulator.add_org_user("member@example.com"), _custom_role(emulator)
    emulator.state.assign_user_role(user["id"], role_id)
    return lambda: (client.unassign_user_role(user["id"], role_id), role_id)[1]


def _assign_group_role(client: OpenAIAdminClient, emulator: EmulatorServer) -> Callable[[], str]:
    group_id, role_id = _group(emulator), _custom_role(emulator)
    return lambda: (client.assign_group_role(group_id, role_id=role_id), role_id)[1]


def _unassign_group_role(client: OpenAIAdminClient, emulator: EmulatorServer) -> Callable[[], str]:
    group_id, role_id = _group(emulator), _custom_role(emulator)
    emulator.state.assign_group_role(group_id, role_id)
    return lambda: (client.unassign_group_role(group_id, role_id), role_id)[1]


def _add_project_group(client: OpenAIAdminClient, emulator: EmulatorServer) -> Callable[[], str]:
    project_id, group_id = _project(emulator), _group(emulator)
    role_id = _role_id(emulator, "Project Member")
    return lambda: (client.add_project_group(project_id, group_id=group_id, role=role_id), group_id)[1]


def _remove_project_group(client: OpenAIAdminClient, emulator: EmulatorServer) -> Callable[[], str]:
    project_id, group_id = _project(emulator), _group(emulator)
    emulator.state.add_project_group(project_id, group_id, _role_id(emulator, "Project Member"))
    return lambda: (client.remove_project_group(project_id, group_id), group_id)[1]


def _create_role(client: OpenAIAdminClient, emulator: EmulatorServer) -> Callable[[], str]:
    return lambda: client.create_role(role_name="auditor", permissions=["api.organization.read"])["id"]


def _update_role(client: OpenAIAdminClient, emulator: EmulatorServer) -> Callable[[], str]:
    role_id = _custom_role(emulator)
    return lambda: client.update_role(role_id, description="reads")["id"]


def _delete_role(client: OpenAIAdminClient, emulator: EmulatorServer) -> Callable[[], str]:
    role_id = _custom_role(emulator)
    return lambda: client.delete_role(role_id)["id"]


def _create_admin_api_key(client: OpenAIAdminClient, emulator: EmulatorServer) -> Callable[[], str]:
    return lambda: client.create_admin_api_key(name="automation")["id"]


def _delete_admin_api_key(client: OpenAIAdminClient, emulator: EmulatorServer) -> Callable[[], str]:
    key_id = str(emulator.state.create_admin_api_key("retired")["id"])
    return lambda: client.delete_admin_api_key(key_id)["id"]


def _certificate(emulator: EmulatorServer) -> str:
    return str(emulator.state.upload_certificate(make_pem_certificate()[0], "mtls")["id"])


def _upload_certificate(client: OpenAIAdminClient, emulator: EmulatorServer) -> Callable[[], str]:
    pem = make_pem_certificate()[0]
    return lambda: client.upload_certificate(certificate=pem, name="mtls")["id"]


def _modify_certificate(client: OpenAIAdminClient, emulator: EmulatorServer) -> Callable[[], str]:
    certificate_id = _certificate(emulator)
    return lambda: client.update_certificate(certificate_id, name="renamed")["id"]


def _delete_certificate(client: OpenAIAdminClient, emulator: EmulatorServer) -> Callable[[], str]:
    certificate_id = _certificate(emulator)
    return lambda: client.delete_certificate(certificate_id)["id"]


def _activate_organization_certificates(client: OpenAIAdminClient, emulator: EmulatorServer) -> Callable[[], str]:
    certificate_id = _certificate(emulator)
    return lambda: (client.activate_organization_certificates(certificate_ids=[certificate_id]), certificate_id)[1]


def _deactivate_organization_certificates(client: OpenAIAdminClient, emulator: EmulatorServer) -> Callable[[], str]:
    certificate_id = _certificate(emulator)
    emulator.state.set_organization_certificates_active([certificate_id], True)
    return lambda: (client.deactivate_organization_certificates(certificate_ids=[certificate_id]), certificate_id)[1]


def _activate_project_certificates(client: OpenAIAdminClient, emulator: EmulatorServer) -> Callable[[], str]:
    project_id, certificate_id = _project(emulator), _certificate(emulator)
    return lambda: (
        client.activate_project_certificates(project_id, certificate_ids=[certificate_id]),
        certificate_id,
    )[1]


def _deactivate_project_certificates(client: OpenAIAdminClient, emulator: EmulatorServer) -> Callable[[], str]:
    project_id, certificate_id = _project(emulator), _certificate(emulator)
    emulator.state.set_project_certificates_active(project_id, [certificate_id], True)
    return lambda: (
        client.deactivate_project_certificates(project_id, certificate_ids=[certificate_id]),
        certificate_id,
    )[1]


# Settings (data retention, permissions, spend alerts and limits) are recorded as
# ``organization.updated``/``project.updated`` naming the organization or the project.


def _update_organization_data_retention(client: OpenAIAdminClient, emulator: EmulatorServer) -> Callable[[], str]:
    return lambda: (client.update_organization_data_retention(retention_type="zero_data_retention"), ORGANIZATION_ID)[1]


def _update_project_data_retention(client: OpenAIAdminClient, emulator: EmulatorServer) -> Callable[[], str]:
    project_id = _project(emulator)
    return lambda: (client.update_project_data_retention(project_id, retention_type="zero_data_retention"), project_id)[
        1
    ]


def _update_model_permissions(client: OpenAIAdminClient, emulator: EmulatorServer) -> Callable[[], str]:
    project_id, model_id = _project(emulator), emulator.state.models[0].id
    return lambda: (
        client.update_project_model_permissions(project_id, mode="allow_list", model_ids=[model_id]),
        project_id,
    )[1]


def _delete_model_permissions(client: OpenAIAdminClient, emulator: EmulatorServer) -> Callable[[], str]:
    project_id = _project(emulator)
    emulator.state.update_project_model_permissions(project_id, "deny_list", [emulator.state.models[0].id])
    return lambda: (client.delete_project_model_permissions(project_id), project_id)[1]


def _update_hosted_tool_permissions(client: OpenAIAdminClient, emulator: EmulatorServer) -> Callable[[], str]:
    project_id = _project(emulator)
    return lambda: (
        client.update_project_hosted_tool_permissions(project_id, web_search={"enabled": False}),
        project_id,
    )[1]


_CHANNEL: SpendAlertNotificationChannel = {"type": "email", "recipients": ["finance@example.com"]}


def _org_alert(emulator: EmulatorServer) -> str:
    return str(emulator.state.create_spend_alert(None, 50_000, "USD", "month", dict(_CHANNEL))["id"])


def _project_alert(emulator: EmulatorServer, project_id: str) -> str:
    return str(emulator.state.create_spend_alert(project_id, 5_000, "USD", "month", dict(_CHANNEL))["id"])


def _create_organization_spend_alert(client: OpenAIAdminClient, emulator: EmulatorServer) -> Callable[[], str]:
    return lambda: client.create_organization_spend_alert(threshold_amount=50_000, notification_channel=_CHANNEL)["id"]


def _update_organization_spend_alert(client: OpenAIAdminClient, emulator: EmulatorServer) -> Callable[[], str]:
    alert_id = _org_alert(emulator)
    return lambda: client.update_organization_spend_alert(
        alert_id, threshold_amount=60_000, notification_channel=_CHANNEL
    )["id"]


def _delete_organization_spend_alert(client: OpenAIAdminClient, emulator: EmulatorServer) -> Callable[[], str]:
    alert_id = _org_alert(emulator)
    return lambda: client.delete_organization_spend_alert(alert_id)["id"]


def _create_project_spend_alert(client: OpenAIAdminClient, emulator: EmulatorServer) -> Callable[[], str]:
    project_id = _project(emulator)
    return lambda: client.create_project_spend_alert(project_id, threshold_amount=5_000, notification_channel=_CHANNEL)[
        "id"
    ]


def _update_project_spend_alert(client: OpenAIAdminClient, emulator: EmulatorServer) -> Callable[[], str]:
    project_id = _project(emulator)
    alert_id = _project_alert(emulator, project_id)
    return lambda: client.update_project_spend_alert(
        project_id, alert_id, threshold_amount=6_000, notification_channel=_CHANNEL
    )["id"]


def _delete_project_spend_alert(client: OpenAIAdminClient, emulator: EmulatorServer) -> Callable[[], str]:
    project_id = _project(emulator)
    alert_id = _project_alert(emulator, project_id)
    return lambda: client.delete_project_spend_alert(project_id, alert_id)["id"]


def _update_organization_spend_limit(client: OpenAIAdminClient, emulator: EmulatorServer) -> Callable[[], str]:
    return lambda: (client.update_organization_spend_limit(threshold_amount=100_000), ORGANIZATION_ID)[1]


def _delete_organization_spend_limit(client: OpenAIAdminClient, emulator: EmulatorServer) -> Callable[[], str]:
    emulator.state.update_spend_limit(None, 100_000, "USD", "month")
    return lambda: (client.delete_organization_spend_limit(), ORGANIZATION_ID)[1]


def _update_project_spend_limit(client: OpenAIAdminClient, emulator: EmulatorServer) -> Callable[[], str]:
    project_id = _project(emulator)
    return lambda: (client.update_project_spend_limit(project_id, threshold_amount=10_000), project_id)[1]


def _delete_project_spend_limit(client: OpenAIAdminClient, emulator: EmulatorServer) -> Callable[[], str]:
    project_id = _project(emulator)
    emulator.state.update_spend_limit(project_id, 10_000, "USD", "month")
    return lambda: (client.delete_project_spend_limit(project_id), project_id)[1]


DRIVERS: dict[str, Driver] = {
    "create-project": _create_project,
    "modify-project": _modify_project,
    "archive-project": _archive_project,
    "create-project-user": _add_project_user,
    "modify-project-user": _update_project_user,
    "delete-project-user": _remove_project_user,
    "create-project-service-account": _create_service_account,
    "update-project-service-account": _update_service_account,
    "delete-project-service-account": _delete_service_account,
    "CreateanAPIkeyforaserviceaccount": _create_service_account_key,
    "delete-project-api-key": _delete_project_api_key,
    "update-project-rate-limits": _update_rate_limit,
    "inviteUser": _create_invite,
    "delete-invite": _delete_invite,
    "modify-user": _update_user,
    "delete-user": _delete_user,
    "create-group": _create_group,
    "update-group": _update_group,
    "delete-group": _delete_group,
    "add-group-user": _add_group_user,
    "remove-group-user": _remove_group_user,
    "assign-user-role": _assign_user_role,
    "unassign-user-role": _unassign_user_role,
    "assign-group-role": _assign_group_role,
    "unassign-group-role": _unassign_group_role,
    "add-project-group": _add_project_group,
    "remove-project-group": _remove_project_group,
    "create-role": _create_role,
    "update-role": _update_role,
    "delete-role": _delete_role,
    "admin-api-keys-create": _create_admin_api_key,
    "admin-api-keys-delete": _delete_admin_api_key,
    "uploadCertificate": _upload_certificate,
    "modifyCertificate": _modify_certificate,
    "deleteCertificate": _delete_certificate,
    "activateOrganizationCertificates": _activate_organization_certificates,
    "deactivateOrganizationCertificates": _deactivate_organization_certificates,
    "activateProjectCertificates": _activate_project_certificates,
    "deactivateProjectCertificates": _deactivate_project_certificates,
    "update-organization-data-retention": _update_organization_data_retention,
    "update-project-data-retention": _update_project_data_retention,
    "update-project-model-permissions": _update_model_permissions,
    "delete-project-model-permissions": _delete_model_permissions,
    "update-project-hosted-tool-permissions": _update_hosted_tool_permissions,
    "create-organization-spend-alert": _create_organization_spend_alert,
    "update-organization-spend-alert": _update_organization_spend_alert,
    "delete-organization-spend-alert": _delete_organization_spend_alert,
    "create-project-spend-alert": _create_project_spend_alert,
    "update-project-spend-alert": _update_project_spend_alert,
    "delete-project-spend-alert": _delete_project_spend_alert,
    "Updateorganizationspendlimit": _update_organization_spend_limit,
    "Deleteorganizationspendlimit": _delete_organization_spend_limit,
    "Updateprojectspendlimit": _update_project_spend_limit,
    "Deleteprojectspendlimit": _delete_project_spend_limit,
}


def test_every_write_operation_of_the_endpoint_table_has_an_audit_rule() -> None:
    writes = write_operation_ids()
    missing = [op for op in writes if op not in AUDIT_EVENTS]
    assert not missing, f"write operations without an audit rule in AUDIT_EVENTS: {missing}"
    assert sorted(AUDIT_EVENTS) == sorted(writes)  # and no rule for anything else
    assert len(writes) == len([row for row in ENDPOINTS if row.http_method != "GET"])


def test_every_rule_records_an_event_type_of_the_spec() -> None:
    unknown = {op: rule.event_type for op, rule in AUDIT_EVENTS.items() if rule.event_type not in _EVENT_TYPES}
    assert not unknown


_SAMPLE_BODY: dict[str, Any] = {
    "name": "n",
    "role": "member",
    "role_id": "role_1",
    "user_id": "user_1",
    "group_id": "group_1",
    "certificate_ids": ["cert_1", "cert_2"],
    "email": "a@example.com",
    "scopes": ["api.model.request"],
    "role_name": "auditor",
    "permissions": ["api.organization.read"],
    "max_requests_per_1_minute": 10,
}
_SAMPLE_RESPONSE: dict[str, Any] = {
    "id": "obj_1",
    "name": "n",
    "role": "member",
    "data": [{"id": "cert_1", "name": "c"}],
}


@pytest.mark.parametrize("operation_id", sorted(AUDIT_EVENTS))
def test_every_rule_builds_one_spec_valid_event_naming_its_resource(operation_id: str) -> None:
    state = EmulatorState()
    row = BY_OPERATION[operation_id]
    path = {name: f"{name}_1" for name in row.path_params}
    if "project_id" in path:
        path["project_id"] = state.default_project_id

    event = state.record_write(operation_id, path, _SAMPLE_BODY, _SAMPLE_RESPONSE, state.admin_key)

    errors = [error.message for error in _AUDIT_LOG.iter_errors(event)]
    assert not errors
    assert event["type"] == AUDIT_EVENTS[operation_id].event_type
    assert isinstance(event[event["type"]], dict)
    assert state.admin_key not in str(event)
    assert len(state.audit_events) == 1
    assert event["project"] == {"id": state.default_project_id, "name": "Default project"}
    # AuditEventSensor re-checks resource_ids against the details: it sees every target the
    # emulator matches, but a spend alert's (choice ``audit.resource-ids``).
    unseen = [
        rid
        for rid in state.audit_events[0].resource_ids
        if not AuditEventFilter.from_inputs(0, resource_ids=[rid]).matches(event)
    ]
    assert unseen == (list(state.audit_events[0].resource_ids[1:]) if "spend-alert" in operation_id else [])


def test_every_write_route_the_emulator_serves_has_a_driver_here() -> None:
    missing = [op for op in SERVED_WRITES if op not in DRIVERS]
    assert not missing, (
        f"the emulator serves these writes but tests/emulator/test_audit_recording.py cannot drive them: {missing}; "
        "add a driver to DRIVERS"
    )
    assert len(SERVED_WRITES) >= len(DRIVERS)


@pytest.mark.parametrize("operation_id", [op for op in SERVED_WRITES if op in DRIVERS])
def test_each_served_write_records_exactly_one_event_of_its_type(
    emulator: EmulatorServer, client: OpenAIAdminClient, operation_id: str
) -> None:
    act = DRIVERS[operation_id](client, emulator)
    before = len(emulator.state.audit_events)

    resource_id = act()

    new = emulator.state.audit_events[before:]
    assert [event.type for event in new] == [AUDIT_EVENTS[operation_id].event_type]
    assert resource_id in new[0].resource_ids
    # "any admin actions taken via Admin API keys are associated with the default project"
    assert new[0].project == {"id": emulator.state.default_project_id, "name": "Default project"}
    assert new[0].effective_at == emulator.state.now() or new[0].effective_at <= emulator.state.now()
    assert new[0].actor == {
        "type": "api_key",
        "api_key": {
            "id": emulator.state.admin_key_tracking_id(emulator.admin_key),
            "type": "user",
            "user": {"id": emulator.state._owners()[0].id, "email": emulator.state._owners()[0].email},
        },
    }


def test_a_refused_write_records_nothing(emulator: EmulatorServer, client: OpenAIAdminClient) -> None:
    from airflow_provider_openai_projects.client import BadRequestError

    with pytest.raises(BadRequestError):
        client.update_project(emulator.state.default_project_id, name="no")  # the default project is immutable

    assert emulator.state.audit_events == []


def test_a_write_whose_response_is_replaced_by_a_fault_is_still_recorded(
    emulator: EmulatorServer, make_client: Callable[..., OpenAIAdminClient]
) -> None:
    from airflow_provider_openai_projects.client.errors import APIStatusError
    from airflow_provider_openai_projects.emulator.faults import FaultRule

    emulator.faults.add(FaultRule(method="POST", path="/organization/projects", status=500, when="after"))
    with pytest.raises(APIStatusError):
        make_client(max_retries=0).create_project(name="applied")

    assert [event.type for event in emulator.state.audit_events] == ["project.created"]
    assert emulator.log.entries()[0].applied


def test_reset_forgets_the_audit_log(emulator: EmulatorServer, client: OpenAIAdminClient) -> None:
    client.create_project(name="x")
    assert emulator.state.snapshot()["audit_logs"][0]["type"] == "project.created"

    emulator.reset()

    assert emulator.state.audit_events == []
    assert emulator.state.snapshot()["audit_logs"] == []
