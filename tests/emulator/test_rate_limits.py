"""Rate limits: list and update only; per-model fields; validation."""

from __future__ import annotations

from typing import Any

import pytest
import requests

from airflow_provider_openai_projects.emulator.model_catalog import synthetic_catalog
from airflow_provider_openai_projects.emulator.server import EmulatorServer

from .conftest import Api, assert_error


def _limits(project: dict[str, Any]) -> str:
    return f"/organization/projects/{project['id']}/rate_limits"


def test_list_shows_each_models_own_fields(api: Api, project: dict[str, Any]) -> None:
    limits = {rl["model"]: rl for rl in api.ok("GET", _limits(project))["data"]}
    assert limits["gpt-4o"]["object"] == "project.rate_limit"
    assert limits["gpt-4o"]["id"] == "rl-gpt-4o"
    assert "max_images_per_1_minute" not in limits["gpt-4o"]
    assert limits["dall-e-3"]["max_images_per_1_minute"] > 0
    assert limits["whisper-1"]["max_audio_megabytes_per_1_minute"] > 0
    assert limits["text-embedding-3-small"]["max_requests_per_1_day"] > 0
    assert all(rl["max_requests_per_1_minute"] > 0 and rl["max_tokens_per_1_minute"] > 0 for rl in limits.values())


def test_update_returns_and_keeps_the_new_values(api: Api, project: dict[str, Any]) -> None:
    path = f"{_limits(project)}/rl-gpt-4o"
    updated = api.ok("POST", path, json={"max_requests_per_1_minute": 100, "max_tokens_per_1_minute": 0})
    assert (updated["max_requests_per_1_minute"], updated["max_tokens_per_1_minute"]) == (100, 0)
    listed = next(rl for rl in api.ok("GET", _limits(project))["data"] if rl["id"] == "rl-gpt-4o")
    assert listed == updated


def test_rate_limits_are_per_project(api: Api, emulator: EmulatorServer, project: dict[str, Any]) -> None:
    api.ok("POST", f"{_limits(project)}/rl-o3", json={"max_requests_per_1_minute": 1})
    default = {"id": emulator.state.default_project_id}
    o3 = next(rl for rl in api.ok("GET", _limits(default))["data"] if rl["id"] == "rl-o3")
    assert o3["max_requests_per_1_minute"] == 5000


@pytest.mark.parametrize(
    ("body", "param"),
    [
        ({"max_requests_per_1_minute": -1}, "max_requests_per_1_minute"),
        pytest.param(
            {"max_requests_per_1_minute": "10"}, "max_requests_per_1_minute", marks=pytest.mark.spec_violations_expected
        ),
        pytest.param(
            {"max_requests_per_1_minute": 1.5}, "max_requests_per_1_minute", marks=pytest.mark.spec_violations_expected
        ),
        pytest.param(
            {"max_requests_per_1_minute": True}, "max_requests_per_1_minute", marks=pytest.mark.spec_violations_expected
        ),
        pytest.param(
            {"max_tokens_per_1_minute": None}, "max_tokens_per_1_minute", marks=pytest.mark.spec_violations_expected
        ),
        pytest.param(
            {"max_requests_per_1_minute": 5, "max_widgets_per_1_minute": 3},
            "max_widgets_per_1_minute",
            marks=pytest.mark.spec_violations_expected,
        ),
        ({"max_images_per_1_minute": 3}, "max_images_per_1_minute"),
    ],
)
def test_update_rejects_invalid_fields_without_changing_anything(
    api: Api, project: dict[str, Any], body: dict[str, Any], param: str
) -> None:
    before = api.ok("GET", _limits(project))["data"]
    assert_error(api.post(f"{_limits(project)}/rl-gpt-4o", json=body), 400, param=param)
    assert api.ok("GET", _limits(project))["data"] == before


def test_update_of_an_unknown_rate_limit_is_404(api: Api, project: dict[str, Any]) -> None:
    assert_error(api.post(f"{_limits(project)}/rl-gpt-99", json={"max_requests_per_1_minute": 1}), 404)


@pytest.mark.spec_violations_expected
def test_there_is_no_get_one_and_no_delete(api: Api, project: dict[str, Any]) -> None:
    assert_error(api.get(f"{_limits(project)}/rl-gpt-4o"), 405)
    assert_error(api.delete(f"{_limits(project)}/rl-gpt-4o"), 405)


def test_list_pages_forward_and_backward(api: Api, project: dict[str, Any]) -> None:
    everything = [rl["id"] for rl in api.ok("GET", _limits(project))["data"]]
    first = api.ok("GET", _limits(project), params={"limit": 5})
    assert [rl["id"] for rl in first["data"]] == everything[:5]
    assert first["has_more"] is True
    second = api.ok("GET", _limits(project), params={"limit": 5, "after": first["last_id"]})
    assert [rl["id"] for rl in second["data"]] == everything[5:10]
    back = api.ok("GET", _limits(project), params={"limit": 3, "before": second["first_id"]})
    assert [rl["id"] for rl in back["data"]] == everything[2:5]
    assert back["has_more"] is True
    between = api.ok("GET", _limits(project), params={"after": everything[0], "before": everything[3]})
    assert [rl["id"] for rl in between["data"]] == everything[1:3]
    assert_error(api.get(_limits(project), params={"before": "rl-nope"}), 400, param="before")


def test_the_catalog_is_configurable_and_the_default_page_is_100() -> None:
    with EmulatorServer(models=synthetic_catalog(150)) as server:
        headers = {"Authorization": f"Bearer {server.admin_key}"}
        url = f"{server.base_url}/organization/projects/{server.state.default_project_id}/rate_limits"
        first = requests.get(url, headers=headers, timeout=10).json()
        assert len(first["data"]) == 100
        assert first["has_more"] is True
        rest = requests.get(url, headers=headers, params={"after": first["last_id"]}, timeout=10).json()
        assert len(rest["data"]) == 50
        assert rest["has_more"] is False
        assert rest["last_id"] == "rl-model-0149"
