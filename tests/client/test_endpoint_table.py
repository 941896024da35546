"""The endpoint table against the official spec: every operation has exactly one row."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from airflow_provider_openai_projects.client.endpoints import BY_METHOD, BY_OPERATION, ENDPOINTS

SPEC = Path(__file__).resolve().parents[1] / "spec" / "openapi-admin.yaml"
HTTP_METHODS = ("get", "post", "put", "patch", "delete")


def spec_operations() -> dict[str, tuple[str, str]]:
    spec: dict[str, Any] = yaml.safe_load(SPEC.read_text())
    return {
        operation["operationId"]: (method.upper(), path)
        for path, item in spec["paths"].items()
        for method, operation in item.items()
        if method in HTTP_METHODS
    }


def test_every_spec_operation_has_exactly_one_row_with_its_method_and_route() -> None:
    operations = spec_operations()
    assert len(operations) == 106
    missing = sorted(set(operations) - set(BY_OPERATION))
    assert not missing, f"operations of the spec without a row in ENDPOINTS: {missing}"
    extra = sorted(set(BY_OPERATION) - set(operations))
    assert not extra, f"rows of ENDPOINTS that the spec does not have: {extra}"
    for row in ENDPOINTS:
        assert (row.http_method, row.route) == operations[row.operation_id], row.operation_id


def test_method_names_and_operation_ids_are_unique() -> None:
    assert len(BY_METHOD) == len(ENDPOINTS) == len(BY_OPERATION)


@pytest.mark.parametrize("row", ENDPOINTS, ids=lambda row: row.method_name)
def test_retry_class_follows_the_http_method(row: Any) -> None:
    expected = {"GET": {"read"}, "DELETE": {"delete"}, "POST": {"set", "create", "action"}}
    assert row.retry in expected[row.http_method]
    assert row.is_idempotent == (row.retry in ("read", "set", "delete"))


def test_lists_and_only_lists_page() -> None:
    spec: dict[str, Any] = yaml.safe_load(SPEC.read_text())
    schemas = spec["components"]["schemas"]
    for row in ENDPOINTS:
        operation = spec["paths"][row.route][row.http_method.lower()]
        schema = operation["responses"]["200"]["content"]["application/json"]["schema"]
        while "$ref" in schema:
            schema = schemas[schema["$ref"].rsplit("/", 1)[-1]]
        fields = set(schema.get("properties", {}))
        style = "page" if "next_page" in fields else "next" if "next" in fields else "cursor"
        is_list = row.http_method == "GET" and "data" in fields and "has_more" in fields
        assert row.paging == (style if is_list else None), row.operation_id


def test_the_responses_with_one_time_secrets_are_marked() -> None:
    marked = {row.method_name: row.secret_fields for row in ENDPOINTS if row.secret_fields}
    assert marked == {
        "create_service_account": ("api_key.value",),
        "create_service_account_api_key": ("value",),
        "create_admin_api_key": ("value",),
    }
