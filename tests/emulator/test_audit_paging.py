"""Listing the audit log costs O(page), not O(log): the cursor and the time bounds
position the walk, which stops at ``limit + 1`` matches; the pages are exactly those of
filtering the whole log (checked against a reference that does, cursors both ways, a
clock that went back)."""

from __future__ import annotations

import random
from typing import Any

from airflow_provider_openai_projects.emulator.families.audit_logs import AuditEvent, AuditOps, AuditQuery
from airflow_provider_openai_projects.emulator.server import EmulatorServer
from tests.emulator.conftest import Api

LOG_SIZE = 20_000
START = 1_700_000_000
TYPES = ("project.updated", "api_key.created", "user.added")


def _seed(state: AuditOps, count: int, *, step: int = 1) -> list[AuditEvent]:
    """``count`` events, one per ``step`` seconds from ``START``, types and projects in turn."""
    return [
        state.seed_audit_event(
            TYPES[n % len(TYPES)],
            {"id": f"res_{n}"},
            effective_at=START + n * step,
            resource_ids=[f"res_{n}"],
        )
        for n in range(count)
    ]


def _reference(
    events: list[AuditEvent], query: AuditQuery, limit: int, after: str | None, before: str | None
) -> tuple[list[str], bool]:
    """The page of filtering the whole log (what the listing did before it was indexed)."""
    newest_first = list(reversed(events))
    positions = {event.id: index for index, event in enumerate(newest_first)}
    low = positions[after] + 1 if after is not None else 0
    high = positions[before] if before is not None else len(newest_first)
    matching = [event for event in newest_first[low:high] if query.matches(event)]
    page = matching[-limit:] if before is not None and after is None else matching[:limit]
    return [event.id for event in page], len(matching) > limit


def test_a_page_deep_in_a_large_log_examines_only_that_page(emulator: EmulatorServer, api: Api) -> None:
    events = _seed(emulator.state, LOG_SIZE)
    cursor = events[LOG_SIZE // 2]  # page k = 100 of 200: after the 10,000 newest
    emulator.state.audit_events_examined = 0

    page = api.ok("GET", "/organization/audit_logs", params={"limit": 100, "after": cursor.id})

    expected = [event.id for event in reversed(events[LOG_SIZE // 2 - 100 : LOG_SIZE // 2])]
    assert [event["id"] for event in page["data"]] == expected
    assert page["has_more"] is True
    assert emulator.state.audit_events_examined == 101  # the page and one more (has_more)


def test_paging_a_time_window_of_a_large_log_examines_only_the_window(emulator: EmulatorServer, api: Api) -> None:
    events = _seed(emulator.state, LOG_SIZE)
    window = {"effective_at[gte]": START + 12_000, "effective_at[lt]": START + 12_450}
    emulator.state.audit_events_examined = 0

    listed = api.list_all("/organization/audit_logs", limit=100, **{"event_types[]": ["api_key.created"]}, **window)

    expected = [e.id for e in reversed(events[12_000:12_450]) if e.type == "api_key.created"]
    assert [event["id"] for event in listed] == expected
    assert len(listed) == 150
    assert len(emulator.log.entries()) == 2  # 150 events, pages of 100
    # each page walks from its cursor to its 101st match: the window, plus at most the
    # gap between two matches examined again by the next page; never the other 19,550
    assert emulator.state.audit_events_examined <= 450 + 2 * len(TYPES)


def test_pages_equal_filtering_the_whole_log_for_any_cursor_and_filter(emulator: EmulatorServer) -> None:
    state = emulator.state
    events = _seed(state, 600, step=3)
    chosen = random.Random(12)
    queries: list[dict[str, Any]] = [
        {},
        {"event_types": ["user.added"]},
        {"effective_at": {"gt": START + 300, "lte": START + 1200}},
        {"effective_at": {"gte": START + 301, "lt": START + 900}, "resource_ids": ["res_200", "res_250"]},
        {"effective_at": {"lt": START}},
    ]
    for _ in range(300):
        query = AuditQuery(**chosen.choice(queries))
        limit = chosen.choice([1, 7, 100])
        after = chosen.choice([None, chosen.choice(events).id])
        before = chosen.choice([None, chosen.choice(events).id])
        listed = state.list_audit_logs(query, limit, after, before)
        ids, has_more = _reference(events, query, limit, after, before)
        assert [event["id"] for event in listed["data"]] == ids, (query, limit, after, before)
        assert listed["has_more"] is has_more


def test_time_filters_stay_exact_after_the_clock_went_back(emulator: EmulatorServer) -> None:
    state = emulator.state
    events = _seed(state, 50, step=10)
    events.append(
        state.seed_audit_event("user.added", {"id": "late"}, effective_at=START + 5, resource_ids=["late"])
    )  # appended last, effective earlier than most
    query = AuditQuery(effective_at={"gte": START, "lt": START + 20})

    listed = state.list_audit_logs(query, 100)

    assert [event["id"] for event in listed["data"]] == [events[-1].id, events[1].id, events[0].id]
    assert listed["data"] == [event.render() for event in (events[-1], events[1], events[0])]
