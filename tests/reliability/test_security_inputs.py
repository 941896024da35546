"""Finding 8: integers bounded, parse errors mapped to the field, duplicate keys refused on
every path, names refused with any control or format character.

The attack (issue 14): rate-limit values of ``10**30`` and ``2**63`` passed validation and
were written; a 5000-digit integer in a JSON policy raised a raw ``ValueError``; a
Python-literal policy with a repeated key kept the last value silently; project names with
ESC, a right-to-left override or NUL were created, putting terminal escape sequences into
``CHANGE:`` log lines. Each case: the task fails at once naming the field, and the emulator's
request log holds no write (the policy and the names are checked before any request).
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from airflow.sdk.exceptions import AirflowFailException

from airflow_provider_openai_projects.client import InvalidInputError, OpenAIAdminClient
from airflow_provider_openai_projects.emulator.server import EmulatorServer
from airflow_provider_openai_projects.operators import (
    CreateProjectOperator,
    CreateServiceAccountOperator,
    EnsureProjectsOperator,
    SyncRateLimitsOperator,
    UpdateProjectOperator,
)
from tests.reliability.hygiene import CONN_ENV, make_context

FIELD = "max_requests_per_1_minute"


@pytest.fixture
def conn(emulator: EmulatorServer, monkeypatch: pytest.MonkeyPatch) -> EmulatorServer:
    connection = {"conn_type": "openai_admin", "host": emulator.base_url, "password": emulator.admin_key}
    monkeypatch.setenv(CONN_ENV, json.dumps(connection))
    return emulator


def writes(emulator: EmulatorServer) -> list[tuple[str, str]]:
    return [(e.method, e.path) for e in emulator.log.entries() if e.method != "GET"]


POLICIES: list[tuple[str, Any, str]] = [
    ("10**30", {"gpt-4o": {FIELD: 10**30}}, f"rate_limits['gpt-4o'].{FIELD}"),
    ("2**63", {"gpt-4o": {FIELD: 2**63}}, f"rate_limits['gpt-4o'].{FIELD}"),
    ("2**63 as JSON", json.dumps({"gpt-4o": {FIELD: 2**63}}), f"rate_limits['gpt-4o'].{FIELD}"),
    ("5000 digits in JSON", '{{"gpt-4o": {{"{}": {}}}}}'.format(FIELD, "9" * 5000), "rate_limits"),
    ("10**30 as a literal", f"{{'gpt-4o': {{'{FIELD}': 10**30}}}}", "rate_limits"),
    ("big literal", f"{{'gpt-4o': {{'{FIELD}': {10**30}}}}}", "rate_limits"),
    ("repeated key, JSON", f'{{"gpt-4o": {{"{FIELD}": 1}}, "gpt-4o": {{"{FIELD}": 2}}}}', "rate_limits['gpt-4o']"),
    ("repeated key, literal", f"{{'gpt-4o': {{'{FIELD}': 1}}, 'gpt-4o': {{'{FIELD}': 2}}}}", "rate_limits['gpt-4o']"),
    ("repeated field, literal", f"{{'gpt-4o': {{'{FIELD}': 1, '{FIELD}': 2}}}}", "rate_limits"),
    ("escape in a model", {"gpt-4o\x1b[2J": {FIELD: 1}}, "rate_limits"),
    ("deep nesting", "[" * 100000, "rate_limits"),
]


@pytest.mark.parametrize(("case", "policy", "field"), POLICIES, ids=[c[0] for c in POLICIES])
def test_a_bad_policy_fails_once_naming_the_field_and_writes_nothing(
    conn: EmulatorServer, case: str, policy: Any, field: str
) -> None:
    before = conn.state.snapshot()
    operator = SyncRateLimitsOperator(task_id="sync", rate_limits=policy, deferrable=False)
    with pytest.raises(AirflowFailException) as caught:
        operator.execute(make_context())
    assert f"invalid {field}" in str(caught.value), str(caught.value)[:300]
    assert len(str(caught.value)) < 500  # never the 5000 digits echoed back
    assert conn.log.entries() == []
    assert conn.state.snapshot() == before


def test_the_client_refuses_an_integer_beyond_64_bits_on_any_endpoint(emulator: EmulatorServer) -> None:
    project_id = emulator.state.create_project("team")["id"]
    client = OpenAIAdminClient(emulator.admin_key, base_url=emulator.base_url)
    with pytest.raises(InvalidInputError, match=FIELD):
        client.update_rate_limit(project_id, "rl-gpt-4o", **{FIELD: 2**63})
    assert emulator.log.entries() == []


BAD_NAMES = ["team\x1b[31mred", "team\u202eevil", "team\x00nul", "team\u200bzero-width", "team\x7fdel", "a\rb"]


@pytest.mark.parametrize("name", BAD_NAMES)
def test_names_with_control_or_format_characters_are_refused_before_any_write(conn: EmulatorServer, name: str) -> None:
    project_id = conn.state.create_project("team")["id"]
    before = conn.state.snapshot()
    for operator in (
        CreateProjectOperator(task_id="create", name=name, deferrable=False),
        UpdateProjectOperator(task_id="update", project_id=project_id, name=name, deferrable=False),
        CreateServiceAccountOperator(task_id="bot", project_id=project_id, name=name, deferrable=False),
        EnsureProjectsOperator(task_id="ensure", names=["ok", name], deferrable=False),
    ):
        with pytest.raises(AirflowFailException, match="name"):
            operator.execute(make_context())
    assert writes(conn) == []
    assert conn.state.snapshot() == before


def test_ordinary_unicode_names_still_pass(conn: EmulatorServer) -> None:
    operator = CreateProjectOperator(task_id="create", name="Équipe données 東京", deferrable=False)
    operator.execute(make_context())
    assert [p["name"] for p in conn.state.snapshot()["projects"]][-1] == "Équipe données 東京"


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("rate_limits:\n  gpt-4o: {max_requests_per_1_minute: 1}\n  gpt-4o: {max_requests_per_1_minute: 2}\n", "twice"),
        ("rate_limits:\n  gpt-4o: {max_requests_per_1_minute: 1, max_requests_per_1_minute: 2}\n", "twice"),
        (f"rate_limits:\n  gpt-4o: {{max_requests_per_1_minute: {2**63}}}\n", "at most"),
        ("rate_limits: [\n", "not valid YAML at line"),
    ],
)
def test_a_yaml_policy_file_refuses_repeated_keys_and_huge_integers(text: str, problem: str) -> None:
    from airflow_provider_openai_projects.domain.ratelimit_policy import load_policy_document

    with pytest.raises(InvalidInputError, match=problem) as caught:
        load_policy_document(text, "file config/rate_limits.yaml", yaml_document=True)
    assert "config/rate_limits.yaml" in str(caught.value)


def test_a_json_policy_variable_refuses_repeated_keys() -> None:
    from airflow_provider_openai_projects.domain.ratelimit_policy import load_policy_document

    text = '{"rate_limits": {"gpt-4o": {"max_requests_per_1_minute": 1}}, "rate_limits": {}}'
    with pytest.raises(InvalidInputError, match="twice"):
        load_policy_document(text, "Variable 'openai_rate_limits'")
