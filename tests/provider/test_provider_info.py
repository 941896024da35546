"""The provider registers with Airflow correctly: a bad provider info breaks every component."""

from __future__ import annotations

import importlib
import importlib.metadata
import json
from pathlib import Path
from typing import Any

import airflow
import jsonschema

from airflow_provider_openai_projects import DISTRIBUTION_NAME, __version__, get_provider_info

AIRFLOW_DIR = Path(airflow.__file__).parent


def _schema(name: str) -> dict[str, Any]:
    return json.loads((AIRFLOW_DIR / name).read_text())


def test_provider_info_validates_against_airflows_provider_info_schema() -> None:
    jsonschema.validate(get_provider_info(), _schema("provider_info.schema.json"))


def test_connection_types_validate_against_the_provider_yaml_schema() -> None:
    """``conn-fields`` and ``ui-field-behaviour`` are checked by the stricter provider.yaml schema."""
    schema = _schema("provider.yaml.schema.json")["properties"]["connection-types"]
    jsonschema.validate(get_provider_info()["connection-types"], schema)


def test_package_name_is_the_distribution_name_and_versions_match() -> None:
    info = get_provider_info()
    assert info["package-name"] == DISTRIBUTION_NAME
    assert importlib.metadata.version(DISTRIBUTION_NAME) == __version__
    assert info["versions"][0] == __version__


def test_entry_point_is_registered() -> None:
    points = importlib.metadata.entry_points(group="apache_airflow_provider")
    ours = [p for p in points if p.value.startswith("airflow_provider_openai_projects")]
    assert len(ours) == 1
    assert ours[0].load()() == get_provider_info()


def _dotted(name: str) -> Any:
    module, _, attr = name.rpartition(".")
    return getattr(importlib.import_module(module), attr)


def test_every_module_and_class_named_in_provider_info_imports() -> None:
    info = get_provider_info()
    for section in ("hooks", "operators", "sensors", "triggers"):
        for entry in info.get(section, []):
            for module in entry["python-modules"]:
                importlib.import_module(module)
    for conn in info["connection-types"]:
        hook = _dotted(conn["hook-class-name"])
        assert hook.conn_type == conn["connection-type"]
        assert hook.hook_name == conn["hook-name"]
    for link in info.get("extra-links", []):
        _dotted(link)


def test_airflow_providers_manager_sees_the_connection_form() -> None:
    from airflow.providers_manager import ProvidersManager
    from airflow.sdk.providers_manager_runtime import ProvidersManagerTaskRuntime

    manager = ProvidersManager()
    assert DISTRIBUTION_NAME in manager.providers
    hook_info = ProvidersManagerTaskRuntime().hooks["openai_admin"]
    assert hook_info is not None
    assert hook_info.hook_class_name.endswith("OpenAIAdminHook")
    behaviour = manager.field_behaviours["openai_admin"]
    assert behaviour["relabeling"]["password"] == "Admin API key"
    assert "login" in behaviour["hidden_fields"]
    widgets = manager.connection_form_widgets
    for field in ("timeout", "max_retries", "requests_per_minute"):
        assert f"extra__openai_admin__{field}" in widgets, field
