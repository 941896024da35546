"""Every operation of the official spec has a row, a client method and a hook method.

Read from the spec itself (``tests/spec/openapi-admin.yaml``): an operation the table
lacks, a row whose method the client or the hook lacks, or a method whose positional
parameters are not the route's ids in path order, fails here by name.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any

import pytest

from airflow_provider_openai_projects.client import OpenAIAdminClient
from airflow_provider_openai_projects.client.endpoints import BY_OPERATION, Endpoint
from airflow_provider_openai_projects.hooks.admin import OpenAIAdminHook
from tests.client.test_endpoint_table import spec_operations

SPEC_OPERATIONS = sorted(spec_operations())
_POSITIONAL = (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)


def _positional_names(method: Callable[..., Any]) -> list[str]:
    """The names of the parameters after ``self`` that can be given positionally
    (``*args`` counts, as ``*args``)."""
    parameters = list(inspect.signature(method).parameters.values())[1:]
    names = [p.name for p in parameters if p.kind in _POSITIONAL]
    names += [f"*{p.name}" for p in parameters if p.kind is inspect.Parameter.VAR_POSITIONAL]
    return names


def _row(operation_id: str) -> Endpoint:
    row = BY_OPERATION.get(operation_id)
    assert row is not None, f"spec operation {operation_id!r} has no row in ENDPOINTS"
    return row


def test_the_spec_has_106_operations() -> None:
    assert len(SPEC_OPERATIONS) == 106


@pytest.mark.parametrize("owner", [OpenAIAdminClient, OpenAIAdminHook], ids=lambda owner: owner.__name__)
@pytest.mark.parametrize("operation_id", SPEC_OPERATIONS)
def test_every_spec_operation_has_a_method_taking_its_ids_positionally_in_path_order(
    owner: type, operation_id: str
) -> None:
    row = _row(operation_id)
    method = getattr(owner, row.method_name, None)
    assert callable(method), f"{owner.__name__} has no method {row.method_name!r} for {operation_id!r}"
    assert _positional_names(method) == list(row.path_params), (
        f"{owner.__name__}.{row.method_name}: positional parameters must be exactly the route's ids "
        f"{list(row.path_params)} in path order (everything else keyword-only)"
    )


@pytest.mark.parametrize("operation_id", SPEC_OPERATIONS)
def test_every_method_calls_its_own_row(operation_id: str) -> None:
    """The method sends its own row's request: its body names its ``method_name`` in the
    ``_call``/``_list`` primitive (a copy-pasted method calling a sibling's row fails)."""
    row = _row(operation_id)
    source = inspect.getsource(getattr(OpenAIAdminClient, row.method_name))
    assert f'"{row.method_name}"' in source, f"{row.method_name} does not call its row {operation_id!r}"


def test_the_hook_and_the_client_share_every_endpoint_method() -> None:
    """The hook does not override an endpoint method (it only masks secrets in ``_call``)."""
    for operation_id in SPEC_OPERATIONS:
        name = _row(operation_id).method_name
        assert getattr(OpenAIAdminHook, name) is getattr(OpenAIAdminClient, name), name
