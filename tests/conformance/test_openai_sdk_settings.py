"""The official ``openai`` SDK drives every operation of the settings families against the
emulator and parses what comes back: admin API keys, certificates (organization and
project), data retention, model and hosted-tool permissions, spend alerts and limits.

Each test asserts the SDK's parsed models and the emulator's state afterwards; the
suite-wide spec check (``tests/conftest.py``) validates every exchange on top.
"""

from __future__ import annotations

from typing import Any

import openai
import pytest

from airflow_provider_openai_projects.emulator.server import EmulatorServer
from tests.x509_certificates import make_pem_certificate

CHANNEL = {"type": "email", "recipients": ["finance@example.com"], "subject_prefix": "[spend]"}


@pytest.fixture
def sdk(emulator: EmulatorServer) -> openai.OpenAI:
    """The SDK pointed at the emulator, without its own retries (they would hide faults)."""
    return openai.OpenAI(admin_api_key=emulator.admin_key, api_key="unused", base_url=emulator.base_url, max_retries=0)


@pytest.fixture
def org(sdk: openai.OpenAI) -> Any:
    return sdk.admin.organization


def _new_project(emulator: EmulatorServer, name: str = "sdk settings") -> str:
    return str(emulator.state.create_project(name, None, None)["id"])


@pytest.mark.sdk_drives("admin-api-keys-create", "admin-api-keys-delete", "admin-api-keys-get", "admin-api-keys-list")
def test_the_sdk_creates_lists_retrieves_and_deletes_admin_api_keys(
    org: Any, emulator: EmulatorServer, sdk: openai.OpenAI
) -> None:
    created = org.admin_api_keys.create(name="sdk key", expires_in_seconds=600)
    assert created.value.startswith("sk-admin-")
    assert (created.object, created.name, created.owner.type) == ("organization.admin_api_key", "sdk key", "user")
    assert created.expires_at == created.created_at + 600

    listed = list(org.admin_api_keys.list(limit=1))  # auto-paginates one key per page
    assert [k.id for k in listed][1:] == [created.id]
    assert listed[0].redacted_value.endswith(emulator.admin_key[-4:])
    assert org.admin_api_keys.retrieve(created.id).redacted_value == created.redacted_value

    second = openai.OpenAI(admin_api_key=created.value, api_key="unused", base_url=emulator.base_url, max_retries=0)
    assert second.admin.organization.admin_api_keys.retrieve(created.id).last_used_at is not None

    deleted = org.admin_api_keys.delete(created.id)
    assert (deleted.id, deleted.deleted) == (created.id, True)
    assert emulator.state.admin_api_keys.get(created.id) is None
    with pytest.raises(openai.AuthenticationError):
        second.admin.organization.admin_api_keys.list()


@pytest.mark.sdk_drives(
    "activateOrganizationCertificates",
    "deactivateOrganizationCertificates",
    "deleteCertificate",
    "getCertificate",
    "listOrganizationCertificates",
    "modifyCertificate",
    "uploadCertificate",
)
def test_the_sdk_manages_organization_certificates(org: Any, emulator: EmulatorServer) -> None:
    pem, valid_at, expires_at = make_pem_certificate("sdk.example.com")
    created = org.certificates.create(certificate=pem, name="sdk cert")
    assert (created.object, created.name, created.active) == ("certificate", "sdk cert", False)
    assert (created.certificate_details.valid_at, created.certificate_details.expires_at) == (valid_at, expires_at)

    with_content = org.certificates.retrieve(created.id, include=["content"])
    assert with_content.certificate_details.content == pem
    assert org.certificates.retrieve(created.id).certificate_details.content is None
    assert org.certificates.update(created.id, name="renamed").name == "renamed"

    activated = org.certificates.activate(certificate_ids=[created.id])
    assert [(c.id, c.active) for c in activated] == [(created.id, True)]
    assert [(c.id, c.active) for c in org.certificates.list()] == [(created.id, True)]
    deactivated = org.certificates.deactivate(certificate_ids=[created.id])
    assert [(c.id, c.active) for c in deactivated] == [(created.id, False)]

    deleted = org.certificates.delete(created.id)
    assert (deleted.object, deleted.id) == ("certificate.deleted", created.id)
    assert emulator.state.certificates.get(created.id) is None


@pytest.mark.sdk_drives("listOrganizationCertificates")
def test_the_sdk_pages_certificates_newest_first(org: Any, emulator: EmulatorServer) -> None:
    pem = make_pem_certificate()[0]
    ids = [emulator.state.upload_certificate(pem, f"c{i}")["id"] for i in range(5)]
    assert [c.id for c in org.certificates.list(limit=2)] == ids[::-1]
    assert [c.id for c in org.certificates.list(limit=2, order="asc")] == ids


@pytest.mark.sdk_drives("activateProjectCertificates", "deactivateProjectCertificates", "listProjectCertificates")
def test_the_sdk_manages_project_certificates(org: Any, emulator: EmulatorServer) -> None:
    project_id = _new_project(emulator)
    cert = emulator.state.upload_certificate(make_pem_certificate()[0], "project cert")

    activated = org.projects.certificates.activate(project_id, certificate_ids=[cert["id"]])
    assert [(c.id, c.object, c.active) for c in activated] == [(cert["id"], "organization.project.certificate", True)]
    assert [(c.id, c.active) for c in org.projects.certificates.list(project_id)] == [(cert["id"], True)]
    stored = emulator.state.certificates.get(cert["id"])
    assert stored is not None
    assert stored.active_projects == {project_id}

    deactivated = org.projects.certificates.deactivate(project_id, certificate_ids=[cert["id"]])
    assert [c.active for c in deactivated] == [False]
    assert stored.active_projects == set()


@pytest.mark.sdk_drives(
    "retrieve-organization-data-retention",
    "retrieve-project-data-retention",
    "update-organization-data-retention",
    "update-project-data-retention",
)
def test_the_sdk_reads_and_sets_data_retention(org: Any, emulator: EmulatorServer) -> None:
    assert org.data_retention.retrieve().type == "modified_abuse_monitoring"
    assert org.data_retention.update(retention_type="zero_data_retention").type == "zero_data_retention"
    assert emulator.state.organization_data_retention == "zero_data_retention"

    project_id = _new_project(emulator)
    assert org.projects.data_retention.retrieve(project_id).type == "organization_default"
    updated = org.projects.data_retention.update(project_id, retention_type="none")
    assert (updated.object, updated.type) == ("project.data_retention", "none")
    assert emulator.state.project_data_retention[project_id] == "none"


@pytest.mark.sdk_drives(
    "delete-project-model-permissions", "retrieve-project-model-permissions", "update-project-model-permissions"
)
def test_the_sdk_sets_and_resets_model_permissions(org: Any, emulator: EmulatorServer) -> None:
    project_id = _new_project(emulator)
    assert org.projects.model_permissions.retrieve(project_id).mode == "deny_list"

    updated = org.projects.model_permissions.update(project_id, mode="allow_list", model_ids=["gpt-4.1", "o3"])
    assert (updated.mode, updated.model_ids) == ("allow_list", ["gpt-4.1", "o3"])
    assert emulator.state.model_permissions[project_id].model_ids == ("gpt-4.1", "o3")

    deleted = org.projects.model_permissions.delete(project_id)
    assert deleted.deleted is True
    assert project_id not in emulator.state.model_permissions


@pytest.mark.sdk_drives("retrieve-project-hosted-tool-permissions", "update-project-hosted-tool-permissions")
def test_the_sdk_merges_hosted_tool_permissions(org: Any, emulator: EmulatorServer) -> None:
    project_id = _new_project(emulator)
    assert org.projects.hosted_tool_permissions.retrieve(project_id).mcp.enabled is True

    org.projects.hosted_tool_permissions.update(project_id, mcp={"enabled": False})
    merged = org.projects.hosted_tool_permissions.update(project_id, web_search={"enabled": False})

    assert (merged.mcp.enabled, merged.web_search.enabled, merged.file_search.enabled) == (False, False, True)
    assert emulator.state.hosted_tool_permissions[project_id]["mcp"] is False


@pytest.mark.sdk_drives(
    "Deleteorganizationspendlimit",
    "Getorganizationspendlimit",
    "Updateorganizationspendlimit",
    "create-organization-spend-alert",
    "delete-organization-spend-alert",
    "list-organization-spend-alerts",
    "retrieve-organization-spend-alert",
    "update-organization-spend-alert",
)
def test_the_sdk_manages_organization_spend_alerts_and_limit(org: Any, emulator: EmulatorServer) -> None:
    limit = org.spend_limit.update(threshold_amount=100_000, currency="USD", interval="month")
    assert (limit.object, limit.threshold_amount, limit.enforcement.status) == (
        "organization.spend_limit",
        100_000,
        "enforcing",
    )
    alert = org.spend_alerts.create(
        threshold_amount=50_000, currency="USD", interval="month", notification_channel=CHANNEL
    )
    assert (alert.object, alert.notification_channel.recipients) == (
        "organization.spend_alert",
        ["finance@example.com"],
    )
    assert org.spend_alerts.retrieve(alert.id).threshold_amount == 50_000
    updated = org.spend_alerts.update(
        alert.id, threshold_amount=60_000, currency="USD", interval="month", notification_channel=CHANNEL
    )
    assert updated.threshold_amount == 60_000
    assert [a.id for a in org.spend_alerts.list()] == [alert.id]
    assert org.spend_limit.retrieve().threshold_amount == 100_000  # the alert writes left the limit alone

    assert org.spend_alerts.delete(alert.id).deleted is True
    assert org.spend_limit.delete().deleted is True
    spend = emulator.state.snapshot()["spend"]["organization"]
    assert spend == {"spend_limit": None, "spend_alerts": []}


@pytest.mark.sdk_drives(
    "Deleteprojectspendlimit",
    "Getprojectspendlimit",
    "Updateprojectspendlimit",
    "create-project-spend-alert",
    "delete-project-spend-alert",
    "list-project-spend-alerts",
    "retrieve-project-spend-alert",
    "update-project-spend-alert",
)
def test_the_sdk_manages_project_spend_alerts_and_limit(org: Any, emulator: EmulatorServer) -> None:
    project_id = _new_project(emulator)
    limit = org.projects.spend_limit.update(project_id, threshold_amount=5_000, currency="USD", interval="month")
    assert (limit.object, limit.threshold_amount) == ("project.spend_limit", 5_000)
    assert org.projects.spend_limit.retrieve(project_id).threshold_amount == 5_000

    alert = org.projects.spend_alerts.create(
        project_id, threshold_amount=4_000, currency="USD", interval="month", notification_channel=CHANNEL
    )
    assert alert.object == "project.spend_alert"
    assert org.projects.spend_alerts.retrieve(alert.id, project_id=project_id).id == alert.id
    updated = org.projects.spend_alerts.update(
        alert.id,
        project_id=project_id,
        threshold_amount=4_500,
        currency="USD",
        interval="month",
        notification_channel=CHANNEL,
    )
    assert updated.threshold_amount == 4_500
    assert [a.id for a in org.projects.spend_alerts.list(project_id)] == [alert.id]

    assert org.projects.spend_alerts.delete(alert.id, project_id=project_id).deleted is True
    assert org.projects.spend_limit.delete(project_id).deleted is True
    assert emulator.state.snapshot()["spend"]["projects"][project_id] == {"spend_limit": None, "spend_alerts": []}
