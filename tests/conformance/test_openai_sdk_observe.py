"""The official ``openai`` SDK drives the audit-log, usage and costs endpoints of the emulator
and parses what comes back (``sdk.admin.organization.audit_logs`` and ``.usage``).

The SDK sends arrays and objects in brackets (``project_ids[]=``, ``effective_at[gte]=``,
``group_by[]=``); the emulator reads them as the API does. The suite-wide spec check
validates every exchange on top.
"""

from __future__ import annotations

from typing import Any

import openai
import pytest

from airflow_provider_openai_projects.emulator.families.usage import CALL_INPUT_TOKENS, INPUT_COST_USD, OUTPUT_COST_USD
from airflow_provider_openai_projects.emulator.server import EmulatorServer

DAY = 86400


@pytest.fixture
def org(emulator: EmulatorServer) -> Any:
    sdk = openai.OpenAI(admin_api_key=emulator.admin_key, api_key="unused", base_url=emulator.base_url, max_retries=0)
    return sdk.admin.organization


def _today(emulator: EmulatorServer) -> int:
    now = emulator.state.now()
    return now - now % DAY


def _metered_key(emulator: EmulatorServer) -> tuple[str, str, str]:
    """(project id, service-account key id, key value)."""
    project_id = str(emulator.state.create_project("metered", None, None)["id"])
    account = emulator.state.create_service_account(project_id, "bot")
    return project_id, str(account["api_key"]["id"]), str(account["api_key"]["value"])


@pytest.mark.sdk_drives("create-project", "list-audit-logs", "modify-project")
def test_the_sdk_lists_and_filters_audit_logs_across_pages(org: Any, emulator: EmulatorServer) -> None:
    first = org.projects.create(name="one")
    emulator.state.advance_clock(60)
    since = emulator.state.now()
    second = org.projects.create(name="two")
    org.projects.update(second.id, name="two v2")
    emulator.log.clear()

    events = list(org.audit_logs.list(limit=1))

    assert sorted(e.type for e in events) == ["project.created", "project.created", "project.updated"]
    assert len(emulator.log.entries()) == 3  # one event per page, the SDK follows the cursor
    created = {e.project_created.id: e for e in events if e.type == "project.created"}
    assert created[first.id].project.id == emulator.state.default_project_id  # an admin key's action
    assert created[first.id].project_created.data.name == "one"
    assert created[first.id].actor.type == "api_key"
    assert created[first.id].actor.api_key.id == emulator.state.admin_key_tracking_id(emulator.admin_key)
    late = list(org.audit_logs.list(effective_at={"gte": since}, resource_ids=[second.id]))
    assert sorted(e.type for e in late) == ["project.created", "project.updated"]
    updated = list(org.audit_logs.list(event_types=["project.updated"]))
    assert [e.project_updated.changes_requested.title for e in updated] == ["two v2"]
    assert emulator.log.entries()[-1].query["event_types[]"] == ["project.updated"]


@pytest.mark.sdk_drives("usage-completions")
def test_the_sdk_reads_completions_usage_counted_from_model_calls(org: Any, emulator: EmulatorServer) -> None:
    project_id, key_id, value = _metered_key(emulator)
    for _ in range(2):
        emulator.use_key(value)

    page = org.usage.completions(start_time=_today(emulator), group_by=["project_id", "api_key_id"])

    assert (page.object, page.has_more, page.next_page) == ("page", False, None)
    [bucket] = page.data
    [result] = bucket.results
    assert (result.project_id, result.api_key_id, result.num_model_requests) == (project_id, key_id, 2)
    assert result.input_tokens == 2 * CALL_INPUT_TOKENS
    assert [c.api_key_id for c in emulator.state.model_calls] == [key_id, key_id]


@pytest.mark.sdk_drives("usage-costs")
def test_the_sdk_reads_costs_and_follows_next_page(org: Any, emulator: EmulatorServer) -> None:
    project_id, _, value = _metered_key(emulator)
    emulator.use_key(value)
    start = _today(emulator) - 9 * DAY

    first = org.usage.costs(start_time=start, limit=5, group_by=["project_id"])
    second = org.usage.costs(start_time=start, limit=5, page=first.next_page, group_by=["project_id"])

    assert (len(first.data), first.has_more, len(second.data), second.has_more) == (5, True, 5, False)
    [result] = second.data[-1].results
    assert result.project_id == project_id
    assert result.amount.value == pytest.approx(INPUT_COST_USD + OUTPUT_COST_USD)
    assert result.amount.currency == "usd"


@pytest.mark.parametrize(
    "kind",
    [
        pytest.param(kind, marks=pytest.mark.sdk_drives(f"usage-{kind.replace('_', '-')}"), id=kind)
        for kind in (
            "audio_speeches",
            "audio_transcriptions",
            "code_interpreter_sessions",
            "embeddings",
            "file_search_calls",
            "images",
            "moderations",
            "vector_stores",
            "web_search_calls",
        )
    ],
)
def test_the_sdk_parses_every_other_usage_endpoint(org: Any, emulator: EmulatorServer, kind: str) -> None:
    start = _today(emulator)

    page = getattr(org.usage, kind)(start_time=start, end_time=start + 3 * 3600, bucket_width="1h", project_ids=["p"])

    assert [(b.start_time, b.results) for b in page.data] == [(start + i * 3600, []) for i in range(3)]
    assert emulator.log.entries()[-1].query["project_ids[]"] == ["p"]
