"""Fixtures for the emulator's own tests: an admin HTTP client that checks every 200
response against OpenAI's spec, and a helper that checks error responses."""

from __future__ import annotations

import copy
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
import yaml
from openapi_core import OpenAPI

from airflow_provider_openai_projects.emulator.server import EmulatorServer

SPEC_PATH = Path(__file__).resolve().parents[1] / "spec" / "openapi-admin.yaml"


@pytest.fixture(scope="session")
def spec_document() -> dict[str, Any]:
    return yaml.safe_load(SPEC_PATH.read_text())


@pytest.fixture(scope="session")
def openapi(spec_document: dict[str, Any], emulator_server: EmulatorServer) -> OpenAPI:
    """The vendored spec with its server pointed at the session's emulator."""
    document = copy.deepcopy(spec_document)
    document["servers"] = [{"url": emulator_server.base_url}]
    return OpenAPI.from_dict(document)


class Api:
    """``requests`` against the emulator with a given key. Every exchange is validated
    against the spec by the suite-wide check (``tests/conformance/spec_validation.py``)."""

    def __init__(self, server: EmulatorServer, key: str | None) -> None:
        self.server = server
        self.session = requests.Session()
        if key is not None:
            self.session.headers["Authorization"] = f"Bearer {key}"

    def request(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        return self.session.request(method, self.server.base_url + path, timeout=10, **kwargs)

    def get(self, path: str, **kwargs: Any) -> requests.Response:
        return self.request("GET", path, **kwargs)

    def post(self, path: str, json: Any = None, **kwargs: Any) -> requests.Response:
        return self.request("POST", path, json=json, **kwargs)

    def delete(self, path: str, **kwargs: Any) -> requests.Response:
        return self.request("DELETE", path, **kwargs)

    def ok(self, method: str, path: str, **kwargs: Any) -> Any:
        """The JSON body of a request that must succeed."""
        response = self.request(method, path, **kwargs)
        assert response.status_code == 200, response.text
        return response.json()

    def list_all(self, path: str, **params: Any) -> list[dict[str, Any]]:
        """Every item of a list endpoint, following ``after`` cursors."""
        items: list[dict[str, Any]] = []
        while True:
            page = self.ok("GET", path, params=params)
            items += page["data"]
            if not page["has_more"]:
                return items
            params["after"] = page["last_id"]


@pytest.fixture
def api(emulator: EmulatorServer) -> Iterator[Api]:
    """A client holding the admin key."""
    client = Api(emulator, emulator.admin_key)
    yield client
    client.session.close()


@pytest.fixture
def make_api(emulator: EmulatorServer) -> Iterator[Any]:
    """``make_api(key)``: a client holding another key (or none)."""
    clients: list[Api] = []

    def make(key: str | None) -> Api:
        clients.append(Api(emulator, key))
        return clients[-1]

    yield make
    for client in clients:
        client.session.close()


def assert_error(
    response: requests.Response, status: int, param: str | None = None, code: str | None = None
) -> dict[str, Any]:
    """The response is the API's error shape with this status (and param/code if given)."""
    assert response.status_code == status, response.text
    error = response.json()["error"]
    assert set(error) == {"message", "type", "param", "code"}
    assert isinstance(error["message"], str)
    assert error["message"]
    assert isinstance(error["type"], str)
    if param is not None:
        assert error["param"] == param
    if code is not None:
        assert error["code"] == code
    return error


@pytest.fixture
def project(api: Api) -> dict[str, Any]:
    """A fresh active project."""
    return api.ok("POST", "/organization/projects", json={"name": "Test project"})


@pytest.fixture
def member(emulator: EmulatorServer) -> dict[str, Any]:
    """A fresh organization member (reader) who is in no project."""
    return emulator.add_org_user("member@example.com", name="Mem Ber")
