"""Data retention over loopback HTTP (DESIGN.md fact 12): the request says
``retention_type``, the answer ``type``; a project also takes ``organization_default``
and ``none``; setting a value replaces it and repeating it changes nothing."""

from __future__ import annotations

import pytest
import requests

from airflow_provider_openai_projects.client import OpenAIAdminClient
from airflow_provider_openai_projects.client.errors import InvalidInputError, NotFoundError
from airflow_provider_openai_projects.emulator.server import EmulatorServer


def test_organization_retention_request_field_is_retention_type_and_answer_field_type(
    client: OpenAIAdminClient, emulator: EmulatorServer
) -> None:
    assert client.get_organization_data_retention() == {
        "object": "organization.data_retention",
        "type": "modified_abuse_monitoring",
    }

    updated = client.update_organization_data_retention(retention_type="zero_data_retention")

    assert updated == {"object": "organization.data_retention", "type": "zero_data_retention"}
    assert emulator.log.entries()[-1].body == {"retention_type": "zero_data_retention"}
    assert emulator.state.organization_data_retention == "zero_data_retention"
    assert client.update_organization_data_retention(retention_type="zero_data_retention") == updated
    assert client.get_organization_data_retention() == updated


@pytest.mark.parametrize("value", ["organization_default", "none", "enhanced_zero_data_retention"])
def test_project_retention_takes_the_project_only_values(
    client: OpenAIAdminClient, emulator: EmulatorServer, value: str
) -> None:
    project_id = emulator.state.default_project_id
    assert client.get_project_data_retention(project_id) == {
        "object": "project.data_retention",
        "type": "organization_default",
    }

    updated = client.update_project_data_retention(project_id, retention_type=value)  # type: ignore[arg-type]

    assert updated == {"object": "project.data_retention", "type": value}
    assert emulator.state.project_data_retention.get(project_id, "organization_default") == value
    assert emulator.state.snapshot()["data_retention"]["projects"][project_id] == value
    assert emulator.state.organization_data_retention == "modified_abuse_monitoring"


@pytest.mark.parametrize("value", ["none", "organization_default", "forever"])
def test_values_the_organization_does_not_take_are_refused_before_sending(
    client: OpenAIAdminClient, emulator: EmulatorServer, value: str
) -> None:
    with pytest.raises(InvalidInputError) as refused:
        client.update_organization_data_retention(retention_type=value)  # type: ignore[arg-type]
    assert refused.value.field == "retention_type"
    with pytest.raises(InvalidInputError):
        client.update_project_data_retention(emulator.state.default_project_id, retention_type="forever")  # type: ignore[arg-type]
    assert emulator.log.entries() == []


@pytest.mark.spec_violations_expected
def test_the_emulator_refuses_none_for_the_organization(emulator: EmulatorServer) -> None:
    response = requests.post(
        emulator.base_url + "/organization/data_retention",
        json={"retention_type": "none"},
        headers={"Authorization": f"Bearer {emulator.admin_key}"},
        timeout=10,
    )
    assert response.status_code == 400
    assert response.json()["error"]["param"] == "retention_type"
    assert emulator.state.organization_data_retention == "modified_abuse_monitoring"


def test_an_unknown_project_is_not_found(client: OpenAIAdminClient) -> None:
    with pytest.raises(NotFoundError):
        client.get_project_data_retention("proj_missing")
