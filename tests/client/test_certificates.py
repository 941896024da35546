"""mTLS certificates over loopback HTTP (docs/design.md fact 16): real PEM fields, inactive on
upload, ``include[]=content``, rename, per-organization and per-project activation in
batches of 1-10 (idempotent), delete only when inactive everywhere, at most 50."""

from __future__ import annotations

import logging
from typing import Any

import pytest
import requests

from airflow_provider_openai_projects.client import OpenAIAdminClient
from airflow_provider_openai_projects.client.errors import BadRequestError, InvalidInputError, NotFoundError
from airflow_provider_openai_projects.emulator.server import EmulatorServer
from tests.x509_certificates import make_pem_certificate


def _stored(emulator: EmulatorServer, certificate_id: str) -> Any:
    stored = emulator.state.certificates.get(certificate_id)
    assert stored is not None
    return stored


def _new_project(emulator: EmulatorServer, name: str) -> str:
    return str(emulator.state.create_project(name, None, None)["id"])


def test_upload_parses_the_pem_and_starts_inactive_everywhere(
    client: OpenAIAdminClient, emulator: EmulatorServer
) -> None:
    pem, valid_at, expires_at = make_pem_certificate("svc.example.com", days=90)

    created = client.upload_certificate(certificate=pem, name="gateway")

    assert created["id"].startswith("cert_")
    assert created["object"] == "certificate"
    assert created["name"] == "gateway"
    assert created["certificate_details"] == {"valid_at": valid_at, "expires_at": expires_at}
    assert created["active"] is False
    stored = _stored(emulator, created["id"])
    assert (stored.content, stored.active_for_organization, stored.active_projects) == (pem, False, set())
    assert emulator.log.entries()[-1].body == {"certificate": pem, "name": "gateway"}


def test_get_returns_the_content_only_when_asked(client: OpenAIAdminClient, emulator: EmulatorServer) -> None:
    pem, _, _ = make_pem_certificate()
    created = client.upload_certificate(certificate=pem)
    assert created["name"] is None

    plain = client.get_certificate(created["id"])
    with_content = client.get_certificate(created["id"], include=["content"])

    assert "content" not in plain["certificate_details"]
    assert with_content["certificate_details"]["content"] == pem
    assert emulator.log.entries()[-1].query == {"include[]": ["content"]}
    with pytest.raises(InvalidInputError) as refused:
        client.get_certificate(created["id"], include=["private_key"])  # type: ignore[list-item]
    assert refused.value.field == "include"


def test_rename_changes_only_the_name(client: OpenAIAdminClient, emulator: EmulatorServer) -> None:
    pem, _, _ = make_pem_certificate()
    created = client.upload_certificate(certificate=pem, name="old")

    renamed = client.update_certificate(created["id"], name="new")

    assert renamed["name"] == "new"
    assert renamed["certificate_details"] == created["certificate_details"]
    assert _stored(emulator, created["id"]).name == "new"
    assert client.update_certificate(created["id"], name="new") == renamed


def test_organization_activation_is_idempotent_and_shows_in_the_list(
    client: OpenAIAdminClient, emulator: EmulatorServer
) -> None:
    first = client.upload_certificate(certificate=make_pem_certificate()[0], name="a")
    second = client.upload_certificate(certificate=make_pem_certificate()[0], name="b")
    ids = [first["id"], second["id"]]

    activated = client.activate_organization_certificates(certificate_ids=ids)
    again = client.activate_organization_certificates(certificate_ids=ids)

    assert activated["object"] == "organization.certificate.activation"
    assert [(c["id"], c["object"], c["active"]) for c in activated["data"]] == [
        (i, "organization.certificate", True) for i in ids
    ]
    assert again == activated
    assert all(_stored(emulator, i).active_for_organization for i in ids)
    listed = client.list_organization_certificates()
    assert [(c["id"], c["active"]) for c in listed] == [(second["id"], True), (first["id"], True)]  # newest first

    deactivated = client.deactivate_organization_certificates(certificate_ids=[first["id"]])
    assert deactivated["object"] == "organization.certificate.deactivation"
    assert [(c["id"], c["active"]) for c in deactivated["data"]] == [(first["id"], False)]
    assert client.deactivate_organization_certificates(certificate_ids=[first["id"]]) == deactivated
    assert not _stored(emulator, first["id"]).active_for_organization
    assert _stored(emulator, second["id"]).active_for_organization


def test_project_activation_is_per_project(client: OpenAIAdminClient, emulator: EmulatorServer) -> None:
    cert = client.upload_certificate(certificate=make_pem_certificate()[0], name="mtls")
    alpha, beta = _new_project(emulator, "alpha"), _new_project(emulator, "beta")

    activated = client.activate_project_certificates(alpha, certificate_ids=[cert["id"]])

    assert activated["object"] == "organization.project.certificate.activation"
    assert [(c["id"], c["object"], c["active"]) for c in activated["data"]] == [
        (cert["id"], "organization.project.certificate", True)
    ]
    assert client.activate_project_certificates(alpha, certificate_ids=[cert["id"]]) == activated
    assert _stored(emulator, cert["id"]).active_projects == {alpha}
    assert [(c["id"], c["active"]) for c in client.list_project_certificates(alpha)] == [(cert["id"], True)]
    assert [(c["id"], c["active"]) for c in client.list_project_certificates(beta)] == [(cert["id"], False)]
    assert "active" not in client.get_certificate(cert["id"])  # "Not returned when getting details"
    assert [c["active"] for c in client.list_organization_certificates()] == [False]  # not for the organization

    deactivated = client.deactivate_project_certificates(alpha, certificate_ids=[cert["id"]])
    assert deactivated["object"] == "organization.project.certificate.deactivation"
    assert deactivated["data"][0]["active"] is False
    assert _stored(emulator, cert["id"]).active_projects == set()


def test_delete_only_when_inactive_for_the_organization_and_every_project(
    client: OpenAIAdminClient, emulator: EmulatorServer
) -> None:
    cert = client.upload_certificate(certificate=make_pem_certificate()[0], name="rotate me")
    project = _new_project(emulator, "uses mtls")
    client.activate_organization_certificates(certificate_ids=[cert["id"]])
    client.activate_project_certificates(project, certificate_ids=[cert["id"]])

    with pytest.raises(BadRequestError) as active_in_org:
        client.delete_certificate(cert["id"])
    assert active_in_org.value.param == "certificate_id"
    client.deactivate_organization_certificates(certificate_ids=[cert["id"]])
    with pytest.raises(BadRequestError) as active_in_project:
        client.delete_certificate(cert["id"])
    assert project in str(active_in_project.value)
    assert emulator.state.certificates.get(cert["id"]) is not None

    client.deactivate_project_certificates(project, certificate_ids=[cert["id"]])
    deleted = client.delete_certificate(cert["id"])

    assert deleted == {"object": "certificate.deleted", "id": cert["id"]}
    assert emulator.state.certificates.get(cert["id"]) is None
    with pytest.raises(NotFoundError):
        client.get_certificate(cert["id"])


def test_rotation_upload_activate_deactivate_old_delete_old(
    client: OpenAIAdminClient, emulator: EmulatorServer
) -> None:
    old = client.upload_certificate(certificate=make_pem_certificate(days=30)[0], name="mtls-2025")
    client.activate_organization_certificates(certificate_ids=[old["id"]])

    new = client.upload_certificate(certificate=make_pem_certificate(days=365)[0], name="mtls-2026")
    client.activate_organization_certificates(certificate_ids=[new["id"]])
    client.deactivate_organization_certificates(certificate_ids=[old["id"]])
    client.delete_certificate(old["id"])

    assert [(c["name"], c["active"]) for c in client.list_organization_certificates()] == [("mtls-2026", True)]
    assert new["certificate_details"]["expires_at"] > old["certificate_details"]["expires_at"]
    assert [c["name"] for c in emulator.state.snapshot()["certificates"]] == ["mtls-2026"]


def test_at_most_50_certificates_per_organization(client: OpenAIAdminClient, emulator: EmulatorServer) -> None:
    pem = make_pem_certificate()[0]
    ids = [emulator.state.upload_certificate(pem, f"c{i}")["id"] for i in range(50)]

    with pytest.raises(BadRequestError) as refused:
        client.upload_certificate(certificate=pem, name="one too many")

    assert "50" in str(refused.value)
    assert len(list(emulator.state.certificates)) == 50
    emulator.log.clear()
    assert [c["id"] for c in client.list_organization_certificates()] == ids[::-1]
    assert len(emulator.log.entries()) == 1


@pytest.mark.parametrize("ids", [[], [f"cert_{i}" for i in range(11)]])
def test_batches_of_1_to_10_ids_are_checked_before_sending(
    client: OpenAIAdminClient, emulator: EmulatorServer, ids: list[str]
) -> None:
    with pytest.raises(InvalidInputError) as refused:
        client.activate_organization_certificates(certificate_ids=ids)
    assert refused.value.field == "certificate_ids"
    with pytest.raises(InvalidInputError):
        client.deactivate_project_certificates(emulator.state.default_project_id, certificate_ids=ids)
    assert emulator.log.entries() == []


def test_an_unknown_id_in_a_batch_changes_nothing(client: OpenAIAdminClient, emulator: EmulatorServer) -> None:
    cert = client.upload_certificate(certificate=make_pem_certificate()[0])
    with pytest.raises(NotFoundError) as refused:
        client.activate_organization_certificates(certificate_ids=[cert["id"], "cert_missing"])
    assert refused.value.param == "certificate_ids"
    assert not _stored(emulator, cert["id"]).active_for_organization


@pytest.mark.spec_violations_expected
def test_the_emulator_refuses_a_batch_of_11(emulator: EmulatorServer) -> None:
    response = requests.post(
        emulator.base_url + "/organization/certificates/activate",
        json={"certificate_ids": [f"cert_{i}" for i in range(11)]},
        headers={"Authorization": f"Bearer {emulator.admin_key}"},
        timeout=10,
    )
    assert response.status_code == 400
    assert response.json()["error"]["param"] == "certificate_ids"


def test_a_non_pem_certificate_is_refused_before_sending(client: OpenAIAdminClient, emulator: EmulatorServer) -> None:
    with pytest.raises(InvalidInputError) as refused:
        client.upload_certificate(certificate="not a certificate")
    assert refused.value.field == "certificate"
    assert emulator.log.entries() == []


def test_a_pem_block_that_is_no_certificate_is_refused_without_echoing_it(
    client: OpenAIAdminClient, emulator: EmulatorServer, caplog: pytest.LogCaptureFixture
) -> None:
    garbage = (
        "-----BEGIN CERTIFICATE-----\nTUlJQm9ndXNDZXJ0aWZpY2F0ZUJvZHlUaGF0SXNOb3RERVI=\n-----END CERTIFICATE-----\n"
    )
    with caplog.at_level(logging.DEBUG), pytest.raises(BadRequestError) as refused:
        client.upload_certificate(certificate=garbage, name="bogus")
    assert refused.value.param == "certificate"
    assert "TUlJQm9n" not in str(refused.value)
    assert "TUlJQm9n" not in caplog.text
    assert list(emulator.state.certificates) == []
