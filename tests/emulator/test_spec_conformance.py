"""Responses against OpenAI's spec: documented errors, and one object of each kind.

(Every 200 response of the other tests is validated by the ``api`` fixture already.)
"""

from __future__ import annotations

from typing import Any

import jsonschema
import pytest
import requests
from openapi_core import OpenAPI
from openapi_core.contrib.requests import RequestsOpenAPIRequest, RequestsOpenAPIResponse

from airflow_provider_openai_projects.emulator.server import EmulatorServer

from .conftest import Api


def _validate(openapi: OpenAPI, response: requests.Response) -> None:
    openapi.validate_response(RequestsOpenAPIRequest(response.request), RequestsOpenAPIResponse(response))


def test_documented_400s_match_the_error_response_schema(
    api: Api, emulator: EmulatorServer, openapi: OpenAPI, project: dict[str, Any], member: dict[str, Any]
) -> None:
    base = f"/organization/projects/{project['id']}"
    account = api.ok("POST", f"{base}/service_accounts", json={"name": "bot"})
    documented_400s = [
        api.post(f"/organization/projects/{emulator.state.default_project_id}", json={"name": "x"}),
        api.post(f"{base}/users", json={"user_id": "user-nobody", "role": "member"}),
        api.post(f"{base}/users/{member['id']}", json={"role": "boss"}),
        api.delete(f"{base}/api_keys/{account['api_key']['id']}"),
        api.post(f"{base}/rate_limits/rl-gpt-4o", json={"max_requests_per_1_minute": -1}),
    ]
    api.ok("POST", f"{base}/archive")
    documented_400s += [api.get(f"{base}/users"), api.get(f"{base}/service_accounts")]
    for response in documented_400s:
        assert response.status_code == 400, response.text
        _validate(openapi, response)


@pytest.mark.spec_violations_expected
def test_every_error_matches_the_error_schema(
    api: Api, make_api: Any, spec_document: dict[str, Any], project: dict[str, Any]
) -> None:
    schemas = spec_document["components"]["schemas"]
    schema = {"$ref": "#/components/schemas/ErrorResponse", "components": {"schemas": schemas}}
    responses = [
        api.get("/organization/projects/proj_nope"),
        api.get("/organization/projects", params={"limit": 0}),
        api.post("/organization/projects", json={"bogus": 1}),
        api.get("/organization/nowhere"),
        make_api(None).get("/organization/projects"),
        make_api("sk-admin-nope-000000000000").get("/organization/projects"),
        api.get("/models"),
    ]
    for response in responses:
        assert response.status_code >= 400
        jsonschema.validate(response.json(), schema)
