"""Issue 18 point 5: exports that cannot escape their folder, race themselves or stall.

The attacks: a templated ``path`` of ``.../base/../../escaped_dir`` wrote outside the base; a
re-run of one interval deleted the first run's temporary file (``FileNotFoundError``); an
audit event with a 10 MB field failed every try with ``ResponseTooLargeError``; ``NaN`` and
``Infinity`` were written into the JSONL; ``effective_at: 1e400`` raised ``OverflowError`` and
``"soon"`` a ``ValueError``; two events without an id collapsed into one record.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from airflow.sdk.exceptions import AirflowFailException

from airflow_provider_openai_projects.emulator.server import EmulatorServer
from airflow_provider_openai_projects.operators.exports import (
    AuditLogsToStorageOperator,
    CostsToStorageOperator,
)
from tests.operators.conftest import make_context
from tests.reliability.hostile import Received, Scripted, hostile

START = datetime(2026, 11, 1, 10, tzinfo=UTC)
END = START + timedelta(hours=1)
INSIDE = int(START.timestamp()) + 60
JSON = {"content-type": "application/json"}


def interval_context() -> Any:
    context = make_context()
    context.update(data_interval_start=START, data_interval_end=END)
    return context


def audit(path: Path, **kwargs: Any) -> AuditLogsToStorageOperator:
    return AuditLogsToStorageOperator(task_id="audit", path=f"file://{path}", retention=None, **kwargs)


def event(event_id: str | None, effective_at: object = INSIDE, **fields: Any) -> dict[str, Any]:
    record: dict[str, Any] = {"type": "project.created", "effective_at": effective_at, **fields}
    if event_id is not None:
        record["id"] = event_id
    return record


def page(*events: Any, has_more: bool = False, raw: str | None = None) -> Scripted:
    last = events[-1].get("id") if events and isinstance(events[-1], dict) else None
    body = raw or json.dumps({"object": "list", "data": list(events), "last_id": last, "has_more": has_more})
    return Scripted(200, JSON, body.encode())


def upstream_connection(monkeypatch: pytest.MonkeyPatch, base_url: str, **extra: Any) -> None:
    conn = {"conn_type": "openai_admin", "host": base_url, "password": "sk-admin-hostile-test", "extra": extra}
    monkeypatch.setenv("AIRFLOW_CONN_OPENAI_ADMIN_DEFAULT", json.dumps(conn))


# -- the path ------------------------------------------------------------------------------


@pytest.mark.parametrize("suffix", ["base/../../escaped_dir", "base/%2e%2e/%2E%2E/escaped_dir", "base/.."])
def test_a_path_leaving_its_base_fails_before_any_request_and_writes_nothing(
    admin_conn: EmulatorServer, tmp_path: Path, suffix: str
) -> None:
    (tmp_path / "inner").mkdir()
    with pytest.raises(AirflowFailException, match=r"invalid path: .*'\.\.' segments"):
        AuditLogsToStorageOperator(task_id="audit", path=f"file://{tmp_path}/inner/{suffix}", retention=None).execute(
            interval_context()
        )
    assert sorted(p.name for p in tmp_path.rglob("*")) == ["inner"]
    assert admin_conn.log.entries() == []


# -- hostile records -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "problem"),
    [
        ('{"id": "evt_nan", "effective_at": INSIDE, "amount": NaN}', "non-finite number .* at amount"),
        ('{"id": "evt_inf", "effective_at": INSIDE, "x": {"y": [Infinity]}}', r"at x\.y\[0\]"),
        ('{"id": "evt_big", "effective_at": 1e400}', "effective_at = inf, not a time"),
        ('{"id": "evt_soon", "effective_at": "soon"}', "effective_at = 'soon', not a time"),
        ('{"id": "evt_bool", "effective_at": true}', "effective_at = True, not a time"),
        ('{"id": "evt_neg", "effective_at": -5}', "effective_at = -5, not a time"),
        ('{"effective_at": 99999999999999}', r"record #1 \(no id\) has effective_at = 99999999999999"),
    ],
)
def test_a_record_that_is_not_valid_json_or_has_no_real_time_is_a_validation_error_naming_it(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, raw: str, problem: str
) -> None:
    record = raw.replace("INSIDE", str(INSIDE))
    body = '{"object": "list", "data": [RECORD], "last_id": null, "has_more": false}'.replace("RECORD", record)
    with hostile(lambda _: page(raw=body)) as upstream:
        upstream_connection(monkeypatch, upstream.base_url)
        with pytest.raises(AirflowFailException, match=f"GET /organization/audit_logs: .*{problem}"):
            audit(tmp_path).execute(interval_context())
    assert len(upstream.received) == 1  # not retried: no retry makes the record valid
    assert list(tmp_path.iterdir()) == []


def test_a_cost_bucket_with_a_non_finite_amount_names_the_endpoint(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    day = datetime(2026, 11, 1, tzinfo=UTC)  # costs come in whole UTC days
    start = int(day.timestamp())
    body = (
        f'{{"object": "page", "data": [{{"object": "bucket", "start_time": {start}, "end_time": {start + 86400}, '
        '"results": [{"amount": {"value": Infinity, "currency": "usd"}}]}], "has_more": false, "next_page": null}'
    )
    with hostile(lambda _: page(raw=body)) as upstream:
        upstream_connection(monkeypatch, upstream.base_url)
        context = make_context()
        context.update(data_interval_start=day, data_interval_end=day + timedelta(days=1))
        with pytest.raises(AirflowFailException, match=r"GET /organization/costs: record #1 .*results\[0\]\.amount"):
            CostsToStorageOperator(task_id="costs", path=f"file://{tmp_path}", retention=None).execute(context)
    assert list(tmp_path.iterdir()) == []


def test_events_without_an_id_are_never_merged(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    events = [event(None), event(None), event("evt_1"), event("evt_1")]
    with hostile(lambda _: page(*events)) as upstream:
        upstream_connection(monkeypatch, upstream.base_url)
        result = audit(tmp_path).execute(interval_context())
    assert result["records"] == 3  # both id-less events, and evt_1 once
    lines = Path(result["path"].removeprefix("file://")).read_text().splitlines()
    assert [json.loads(line).get("id") for line in lines] == [None, None, "evt_1"]


def test_an_audit_page_too_large_to_take_fails_once_naming_the_last_event_and_how_to_resume(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    def respond(received: Received) -> Scripted:
        if "after=" not in received.path:
            return page(event("evt_a"), event("evt_b"), has_more=True)
        return page(event("evt_huge", blob="x" * 300_000))

    with hostile(respond) as upstream:
        upstream_connection(monkeypatch, upstream.base_url, max_response_bytes=100_000)
        with pytest.raises(AirflowFailException) as caught:
            audit(tmp_path).execute(interval_context())
    message = str(caught.value)
    assert "after event 'evt_b'" in message
    assert "max_response_bytes" in message
    assert "clear this task to resume" in message
    assert len(upstream.received) == 2  # failed once, not retried for ever
    assert list(tmp_path.iterdir()) == []

    # Raised above the page's size, the same interval exports whole.
    with hostile(respond) as upstream:
        upstream_connection(monkeypatch, upstream.base_url, max_response_bytes=1_000_000)
        assert audit(tmp_path).execute(interval_context())["records"] == 3
