"""Finding 1: an id of ``..`` or ``.`` must never turn a project call into an organization call.

The attack (issue 14): ``AddProjectUserOperator(project_id="..", role="owner", email=...)``
sent ``POST /organization/users/user-...`` with ``{"role": "owner"}`` (a reader became an
organization owner), because requests and httpx remove dot segments before sending. Every
operator, sensor and hook method that takes an id is run here with ``..`` and ``.`` in
each id parameter (the hook's methods and the operators' id parameters are found by
introspection, so a new one is covered, or fails the coverage check, automatically): each
one refuses naming the parameter, and the emulator's request log stays empty.
"""

from __future__ import annotations

import inspect
import json
from collections.abc import Callable
from typing import Any

import pytest
from airflow.sdk.exceptions import AirflowFailException

import airflow_provider_openai_projects.operators as operators_module
import airflow_provider_openai_projects.sensors as sensors_module
from airflow_provider_openai_projects.client import InvalidInputError, OpenAIAdminClient
from airflow_provider_openai_projects.client.transport import Transport
from airflow_provider_openai_projects.emulator.server import EmulatorServer
from airflow_provider_openai_projects.hooks.admin import OpenAIAdminHook
from airflow_provider_openai_projects.sinks.memory import InMemoryKeySink
from tests.reliability.hygiene import CONN_ENV, make_context

CLIMBING_IDS = ("..", ".")
# A body field, never a path segment; an Airflow task id (whose XCom holds a plan), not an API id.
NOT_PATH_IDS = frozenset({"external_key_id", "plan_task_id", "approval_task_ids"})  # Airflow task ids, not API ids


@pytest.fixture
def conn(emulator: EmulatorServer, monkeypatch: pytest.MonkeyPatch) -> EmulatorServer:
    connection = {"conn_type": "openai_admin", "host": emulator.base_url, "password": emulator.admin_key}
    monkeypatch.setenv(CONN_ENV, json.dumps({**connection, "extra": {"max_retries": 0}}))
    return emulator


def id_params(callable_: Callable[..., Any], *, positional_only: bool = False) -> list[str]:
    """The parameters of ``callable_`` that are ids (``*_id``, ``*_ids``), body fields aside;
    with ``positional_only``, those given positionally (the path ids of hook methods)."""
    params = inspect.signature(callable_).parameters.values()
    names = [p.name for p in params if not positional_only or p.kind is p.POSITIONAL_OR_KEYWORD]
    return [n for n in names if (n.endswith("_id") or n.endswith("_ids")) and n not in NOT_PATH_IDS]


# -- hook (and so client) methods ------------------------------------------------------------

HOOK_KWARGS: dict[str, dict[str, Any]] = {
    "add_project_user": {"role": "owner", "email": "ada@example.com"},
    "update_project_user": {"role": "owner"},
    "update_user": {"role": "owner"},
    "create_service_account": {"name": "bot"},
    "update_rate_limit": {"max_requests_per_1_minute": 1},
}


def hook_methods_taking_ids() -> list[tuple[str, str]]:
    """(method, id parameter) for every public hook method with a positional id."""
    found = []
    for name, method in inspect.getmembers(OpenAIAdminHook, inspect.isfunction):
        if name.startswith("_") or name in ("get_conn", "test_connection", "get_connection", "get_hook"):
            continue
        found += [(name, param) for param in id_params(method, positional_only=True)]
    return found


def test_introspection_finds_the_hook_methods_that_take_ids() -> None:
    methods = {name for name, _ in hook_methods_taking_ids()}
    assert {"get_project", "add_project_user", "update_user", "delete_user", "update_rate_limit"} <= methods
    assert len(methods) >= 20


@pytest.mark.parametrize("bad", CLIMBING_IDS)
@pytest.mark.parametrize(("method", "param"), hook_methods_taking_ids())
def test_every_hook_method_refuses_a_climbing_id_and_sends_nothing(
    conn: EmulatorServer, method: str, param: str, bad: str
) -> None:
    hook = OpenAIAdminHook()
    signature = inspect.signature(getattr(OpenAIAdminHook, method))
    args: list[Any] = []
    kwargs: dict[str, Any] = dict(HOOK_KWARGS.get(method, {}))
    for p in list(signature.parameters.values())[1:]:
        if p.kind is p.VAR_KEYWORD or p.name in kwargs:
            continue
        value = bad if p.name == param else ("proj_ok" if p.name.endswith("_id") else "x")
        if p.kind is p.POSITIONAL_OR_KEYWORD:
            args.append(value)
        elif p.default is p.empty:
            kwargs[p.name] = value
    before = conn.state.snapshot()
    with pytest.raises(InvalidInputError) as caught:
        getattr(hook, method)(*args, **kwargs)
    assert caught.value.field == param
    assert conn.log.entries() == []
    assert conn.state.snapshot() == before


# -- operators and sensors -------------------------------------------------------------------

OPERATOR_KWARGS: dict[str, dict[str, Any]] = {
    "AddGroupUserOperator": {"group_id": "group_ok", "user_id": "user-ok"},
    "AddProjectUserOperator": {"project_id": "proj_ok", "role": "owner", "email": "ada@example.com"},
    "ArchiveProjectOperator": {"project_id": "proj_ok"},
    "CreateServiceAccountOperator": {"project_id": "proj_ok", "name": "bot"},
    "DeleteProjectApiKeyOperator": {"project_id": "proj_ok", "api_key_id": "key_ok"},
    "DeleteServiceAccountGenerationsOperator": {"project_id": "proj_ok", "service_account_name": "bot"},
    "DeleteServiceAccountOperator": {"project_id": "proj_ok", "service_account_id": "svc_acct_ok"},
    "OffboardUserOperator": {"user_id": "user-ok"},
    "RemoveGroupUserOperator": {"group_id": "group_ok", "user_id": "user-ok"},
    "RemoveProjectUserOperator": {"project_id": "proj_ok", "email": "ada@example.com"},
    "RotateServiceAccountOperator": {"project_id": "proj_ok", "service_account_name": "bot"},
    "SyncRateLimitsOperator": {"rate_limits": {"gpt-4o": {"max_requests_per_1_minute": 1}}, "project_ids": ["p"]},
    "UpdateProjectOperator": {"project_id": "proj_ok", "name": "x"},
    "ApiKeyUsageSensor": {"project_id": "proj_ok", "api_key_id": "key_ok"},
    "InviteUserOperator": {"email": "ada@example.com", "projects": [{"id": "proj_ok", "role": "owner"}]},
}
EXTRA_ID_PARAMS = {"InviteUserOperator": ["projects"]}


def operator_classes() -> dict[str, type]:
    classes = {}
    for module in (operators_module, sensors_module):
        for name in module.__all__:
            cls = getattr(module, name)
            if inspect.isclass(cls) and hasattr(cls, "execute"):
                classes[name] = cls
    return classes


def operator_cases() -> list[tuple[str, str]]:
    cases = []
    for name, cls in operator_classes().items():
        for param in [*id_params(cls.__init__), *EXTRA_ID_PARAMS.get(name, [])]:
            cases.append((name, param))
    return cases


def test_every_operator_with_an_id_parameter_has_a_case() -> None:
    with_ids = {name for name, _ in operator_cases()}
    assert with_ids - set(OPERATOR_KWARGS) == set(), "add the new operator's minimal kwargs to OPERATOR_KWARGS"
    assert len(operator_cases()) >= 15


def with_bad_id(name: str, param: str, bad: str) -> dict[str, Any]:
    kwargs = dict(OPERATOR_KWARGS[name])
    if param == "projects":
        kwargs["projects"] = [{"id": bad, "role": "owner"}]
    elif param.endswith("_ids"):
        kwargs[param] = [bad]
    else:
        for either in ("user_id", "email", "service_account_id", "name"):
            if param in ("user_id", "service_account_id") and either != param and name != "UpdateProjectOperator":
                kwargs.pop(either, None)
        kwargs[param] = bad
    return kwargs


@pytest.mark.parametrize("bad", CLIMBING_IDS)
@pytest.mark.parametrize(("name", "param"), operator_cases())
def test_every_operator_refuses_a_climbing_id_and_sends_nothing(
    conn: EmulatorServer, name: str, param: str, bad: str
) -> None:
    cls = operator_classes()[name]
    kwargs = with_bad_id(name, param, bad)
    if "key_sink" in inspect.signature(cls.__init__).parameters:
        kwargs["key_sink"] = InMemoryKeySink()
    operator = cls(task_id="attack", deferrable=False, **kwargs)
    before = conn.state.snapshot()
    with pytest.raises(AirflowFailException) as caught:
        operator.execute(make_context())
    assert param.rstrip("s") in str(caught.value) or param in str(caught.value)
    assert conn.log.entries() == [], [(e.method, e.path) for e in conn.log.entries()]
    assert conn.state.snapshot() == before


def test_the_reported_escalation_is_refused(conn: EmulatorServer) -> None:
    """The issue's exact attack: a reader must not become an organization owner."""
    reader = conn.add_org_user("ada@example.com", "Ada", role="reader")
    operator = operators_module.AddProjectUserOperator(
        task_id="escalate", project_id="..", role="owner", email="ada@example.com", deferrable=False
    )
    with pytest.raises(AirflowFailException, match="project_id"):
        operator.execute(make_context())
    assert conn.log.entries() == []
    assert next(u for u in conn.state.snapshot()["users"] if u["id"] == reader["id"])["role"] == "reader"


# -- belt and braces: the transport's own check of the final path ----------------------------


def test_the_transport_refuses_a_route_whose_sent_path_would_differ(emulator: EmulatorServer) -> None:
    """Even a route template that climbs (not an id: the validator cannot see it) is not sent."""
    transport = Transport(emulator.admin_key, base_url=emulator.base_url)
    route = "/organization/projects/{project_id}/../../users/{user_id}"
    with pytest.raises(InvalidInputError, match="different path"):
        transport.request("POST", route, path_params={"project_id": "p", "user_id": "u"}, json={"role": "owner"})
    assert emulator.log.entries() == []


@pytest.mark.asyncio
async def test_the_async_client_refuses_climbing_ids_and_routes(emulator: EmulatorServer) -> None:
    from airflow_provider_openai_projects.client.aio import AsyncOpenAIAdminClient

    async with AsyncOpenAIAdminClient(emulator.admin_key, base_url=emulator.base_url) as client:
        for bad in CLIMBING_IDS:
            with pytest.raises(InvalidInputError, match="project_id"):
                await client.get_project_api_key(bad, "key_1")
        with pytest.raises(InvalidInputError, match="different path"):
            await client.request("GET", "/organization/projects/{project_id}/..", path_params={"project_id": "p"})
    assert emulator.log.entries() == []


@pytest.mark.parametrize("bad", ["", "a/b", "a%2Fb", "a?b", "a#b", "a b", "a\x1bb", "a\u202eb", "é", "a" * 300])
def test_ids_outside_the_apis_alphabet_are_refused_before_sending(emulator: EmulatorServer, bad: str) -> None:
    client = OpenAIAdminClient(emulator.admin_key, base_url=emulator.base_url)
    with pytest.raises(InvalidInputError, match="project_id"):
        client.get_project(bad)
    assert emulator.log.entries() == []


@pytest.mark.parametrize("good", ["proj_abc", "user-abc", "rl-gpt-4.1-mini-2025-04-14", "rl-ft:gpt-4o-mini:org:x:1"])
def test_real_id_shapes_are_accepted(good: str) -> None:
    from airflow_provider_openai_projects.client.config import validate_id

    assert validate_id("id", good) == good
