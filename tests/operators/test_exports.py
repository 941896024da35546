"""Export operators over loopback: exactly once per interval, boundaries, retries, filters."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from airflow.sdk import Asset
from airflow.sdk.exceptions import AirflowFailException

from airflow_provider_openai_projects.client import OpenAIAdminClient
from airflow_provider_openai_projects.emulator.faults import FaultRule
from airflow_provider_openai_projects.emulator.server import EmulatorServer
from airflow_provider_openai_projects.operators.exports import (
    AuditLogsToStorageOperator,
    CostsToStorageOperator,
    UsageToStorageOperator,
)
from tests.operators.conftest import make_context

HOUR = 3600


class OutletEvents(dict[Any, Any]):
    """What Airflow passes as ``outlet_events``: an accessor per asset with an ``extra``."""

    def __missing__(self, asset: Any) -> Any:
        accessor = type("Accessor", (), {"extra": None})()
        self[asset] = accessor
        return accessor


def interval_context(start: datetime, end: datetime) -> Any:
    context = make_context()
    context.update(data_interval_start=start, data_interval_end=end, outlet_events=OutletEvents())
    return context


@pytest.fixture
def client(admin_conn: EmulatorServer) -> Iterator[OpenAIAdminClient]:
    with OpenAIAdminClient(admin_conn.admin_key, base_url=admin_conn.base_url) as c:
        yield c


def at(emulator: EmulatorServer, moment: int) -> None:
    """Set the emulated clock to ``moment`` (Unix seconds)."""
    emulator.state.set_clock(moment)


def hour_start(hours_ago: int) -> datetime:
    now = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
    return now - timedelta(hours=hours_ago)


def lines(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text().splitlines()]


def test_events_at_the_boundaries_are_exported_exactly_once_across_intervals(
    admin_conn: EmulatorServer, client: OpenAIAdminClient, tmp_path: Path
) -> None:
    emulator = admin_conn
    first = hour_start(3)
    second, third = first + timedelta(hours=1), first + timedelta(hours=2)
    made: dict[str, int] = {}
    for name, moment in [
        ("at-first-start", first),
        ("inside-first", first + timedelta(minutes=30)),
        ("last-second-of-first", second - timedelta(seconds=1)),
        ("at-boundary", second),
        ("at-third-start", third),
    ]:
        at(emulator, int(moment.timestamp()))
        made[client.create_project(name=name)["id"]] = int(moment.timestamp())
    at(emulator, int(datetime.now(UTC).timestamp()))
    base = f"file://{tmp_path}"
    exported: dict[str, int] = {}
    for start, end in [(first, second), (second, third)]:
        operator = AuditLogsToStorageOperator(task_id="audit", path=base, event_types=["project.created"])
        result = operator.execute(interval_context(start, end))
        for event in lines(Path(result["path"].removeprefix("file://"))):
            assert event["id"] not in exported
            exported[event["project.created"]["id"]] = event["effective_at"]
    assert exported == {pid: t for pid, t in made.items() if t < int(third.timestamp())}


def test_a_retry_rewrites_the_same_file_whole_and_emits_the_asset_event(
    admin_conn: EmulatorServer, client: OpenAIAdminClient, tmp_path: Path
) -> None:
    start = hour_start(2)
    at(admin_conn, int(start.timestamp()) + 60)
    client.create_project(name="one")
    at(admin_conn, int(datetime.now(UTC).timestamp()))
    operator = AuditLogsToStorageOperator(task_id="audit", path=f"file://{tmp_path}/audit")
    context = interval_context(start, start + timedelta(hours=1))
    first = operator.execute(context)
    second = operator.execute(interval_context(start, start + timedelta(hours=1)))
    assert first == second
    files = sorted(p.name for p in (tmp_path / "audit").iterdir())
    assert files == [Path(first["path"]).name]
    assert first["records"] == len(lines(tmp_path / "audit" / files[0])) == 1
    assert operator.outlets == [Asset("openai_audit_logs_export")]
    assert context["outlet_events"][Asset("openai_audit_logs_export")].extra["path"] == first["path"]


def test_a_task_failing_after_its_first_page_and_retried_leaves_one_complete_file(
    no_retry_conn: EmulatorServer, client: OpenAIAdminClient, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    emulator = no_retry_conn
    start = hour_start(2)
    at(emulator, int(start.timestamp()) + 60)
    for n in range(150):
        client.create_project(name=f"audited-{n}")
    at(emulator, int(datetime.now(UTC).timestamp()))
    operator = AuditLogsToStorageOperator(task_id="audit", path=f"file://{tmp_path}")
    real_iter = operator.hook.iter_audit_logs

    def failing_after_first_page(**filters: Any) -> Iterator[Any]:
        for n, event in enumerate(real_iter(**filters)):
            if n == 99:  # the first page is written; the next page's request fails
                emulator.faults.add(FaultRule(method="GET", path="/organization/audit_logs", status=500))
            yield event

    monkeypatch.setattr(operator.hook, "iter_audit_logs", failing_after_first_page)
    with pytest.raises(Exception, match="500"):
        operator.execute(interval_context(start, start + timedelta(hours=1)))
    assert list(tmp_path.iterdir()) == []
    monkeypatch.undo()
    result = operator.execute(interval_context(start, start + timedelta(hours=1)))
    exported = lines(Path(result["path"].removeprefix("file://")))
    assert len(exported) == len({e["id"] for e in exported}) == 150
    assert [p.name for p in tmp_path.iterdir()] == [Path(result["path"]).name]


def test_one_list_call_per_100_events(admin_conn: EmulatorServer, client: OpenAIAdminClient, tmp_path: Path) -> None:
    start = hour_start(2)
    at(admin_conn, int(start.timestamp()) + 5)
    for n in range(250):
        client.create_project(name=f"p{n}")
    at(admin_conn, int(datetime.now(UTC).timestamp()))
    admin_conn.log.clear()
    result = AuditLogsToStorageOperator(task_id="audit", path=f"file://{tmp_path}").execute(
        interval_context(start, start + timedelta(hours=1))
    )
    assert result["records"] == 250
    calls = [e for e in admin_conn.log.entries() if e.path == "/organization/audit_logs"]
    assert len(calls) == 3
    assert all(e.query.get("limit") == ["100"] for e in calls)


@pytest.mark.parametrize("bounds", ["equal", "none"])
def test_a_run_without_a_data_interval_fails_once_saying_how_to_give_one(
    admin_conn: EmulatorServer, tmp_path: Path, capsys: pytest.CaptureFixture[str], bounds: str
) -> None:
    moment = hour_start(1)
    context = interval_context(moment, moment) if bounds == "equal" else interval_context(None, None)  # type: ignore[arg-type]
    admin_conn.log.clear()
    with pytest.raises(AirflowFailException, match="none to export; set data_interval_start/end in the run's conf"):
        AuditLogsToStorageOperator(task_id="audit", path=f"file://{tmp_path}").execute(context)
    assert admin_conn.log.entries() == []
    logged = capsys.readouterr().out  # the task's log (Airflow 3's structlog writes to stdout here)
    assert "airflow backfill create --dag-id" in logged
    assert '"data_interval_start": ' in logged


def test_a_manual_run_exports_the_interval_given_in_its_conf(
    admin_conn: EmulatorServer, client: OpenAIAdminClient, tmp_path: Path
) -> None:
    start = hour_start(3)
    at(admin_conn, int(start.timestamp()) + 60)
    client.create_project(name="inside")
    at(admin_conn, int(start.timestamp()) + 2 * HOUR + 60)
    client.create_project(name="after")
    operator = AuditLogsToStorageOperator(
        task_id="audit",
        path=f"file://{tmp_path}",
        data_interval_start=start.isoformat(),
        data_interval_end=(start + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%SZ"),
    )
    result = operator.execute(interval_context(None, None))  # type: ignore[arg-type]
    written = lines(Path(result["path"].removeprefix("file://")))
    assert [e["type"] for e in written] == ["project.created"]
    assert result["data_interval_start"] == start.isoformat()


@pytest.mark.parametrize(
    ("given", "missing"),
    [
        ({"data_interval_start": "2026-11-27T10:00:00Z"}, "data_interval_end"),
        ({"data_interval_end": "2026-11-27T10:00:00Z"}, "data_interval_start"),
    ],
)
def test_one_bound_without_the_other_fails_naming_the_missing_one(
    admin_conn: EmulatorServer, tmp_path: Path, given: dict[str, str], missing: str
) -> None:
    moment = hour_start(1)
    operator = AuditLogsToStorageOperator(task_id="audit", path=f"file://{tmp_path}", **given)
    with pytest.raises(AirflowFailException, match=f"invalid {missing}: give both bounds"):
        operator.execute(interval_context(moment, moment + timedelta(hours=1)))


def test_an_interval_beyond_the_retention_fails_with_no_request(admin_conn: EmulatorServer, tmp_path: Path) -> None:
    start = hour_start(24 * 40)
    admin_conn.log.clear()
    operator = AuditLogsToStorageOperator(task_id="audit", path=f"file://{tmp_path}", retention=timedelta(days=30))
    with pytest.raises(AirflowFailException, match="retention of 30 days"):
        operator.execute(interval_context(start, start + timedelta(hours=1)))
    assert admin_conn.log.entries() == []


def test_usage_and_costs_of_a_day_are_exported_one_bucket_a_line(
    admin_conn: EmulatorServer, client: OpenAIAdminClient, tmp_path: Path
) -> None:
    day = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0) - timedelta(days=1)
    project = admin_conn.state.create_project("Spend")["id"]
    key = client.create_service_account(project, name="bot")["api_key"]["value"]
    at(admin_conn, int(day.timestamp()) + HOUR)
    for _ in range(3):
        client.verify_api_key(key)
    at(admin_conn, int(datetime.now(UTC).timestamp()))
    context = interval_context(day, day + timedelta(days=1))
    usage = UsageToStorageOperator(
        task_id="usage", path=f"file://{tmp_path}/usage", kind="completions", group_by=["project_id"]
    ).execute(context)
    costs = CostsToStorageOperator(task_id="costs", path=f"file://{tmp_path}/costs", group_by=["project_id"]).execute(
        context
    )
    usage_buckets = lines(Path(usage["path"].removeprefix("file://")))
    cost_buckets = lines(Path(costs["path"].removeprefix("file://")))
    assert len(usage_buckets) == len(cost_buckets) == 1
    assert sum(r["num_model_requests"] for r in usage_buckets[0]["results"] if r["project_id"] == project) == 3
    assert sum(r["amount"]["value"] for r in cost_buckets[0]["results"] if r["project_id"] == project) > 0
    assert key not in (tmp_path / "usage").joinpath(Path(usage["path"]).name).read_text()


def test_an_unknown_usage_kind_fails_naming_the_field(admin_conn: EmulatorServer, tmp_path: Path) -> None:
    start = hour_start(30)
    with pytest.raises(AirflowFailException, match="kind"):
        UsageToStorageOperator(task_id="usage", path=f"file://{tmp_path}", kind="tokens").execute(
            interval_context(start, start + timedelta(days=1))
        )


@pytest.mark.parametrize(
    ("hours", "requested", "chosen"),
    [(24, None, "1d"), (1, None, "1h"), (2, "1h", "1h"), (24, "1m", "1m"), (1, "1m", "1m")],
    ids=["daily-chooses-1d", "hourly-chooses-1h", "two-hours-1h", "daily-1m", "hourly-1m"],
)
def test_usage_is_queried_with_a_bucket_width_that_tiles_the_interval(
    admin_conn: EmulatorServer, tmp_path: Path, hours: int, requested: str | None, chosen: str
) -> None:
    start = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0) - timedelta(days=2)
    admin_conn.log.clear()

    UsageToStorageOperator(task_id="usage", path=f"file://{tmp_path}", bucket_width=requested).execute(  # type: ignore[arg-type]
        interval_context(start, start + timedelta(hours=hours))
    )

    queries = [e.query for e in admin_conn.log.entries()]
    assert {q["bucket_width"][0] for q in queries} == {chosen}
    assert queries[0]["start_time"] == [str(int(start.timestamp()))]
    assert queries[0]["end_time"] == [str(int((start + timedelta(hours=hours)).timestamp()))]


@pytest.mark.parametrize(
    ("operator", "hours", "offset_minutes"),
    [
        (lambda p: UsageToStorageOperator(task_id="usage", path=p, bucket_width="1d"), 1, 0),
        (lambda p: UsageToStorageOperator(task_id="usage", path=p, bucket_width="1h"), 24, 30),
        (lambda p: UsageToStorageOperator(task_id="usage", path=p), 1, 0.5),
        (lambda p: CostsToStorageOperator(task_id="costs", path=p), 1, 0),
        (lambda p: CostsToStorageOperator(task_id="costs", path=p), 24, 60),
    ],
    ids=["hourly-run-1d-buckets", "half-hour-offset-1h", "no-width-tiles", "hourly-costs", "costs-not-utc-days"],
)
def test_a_bucket_width_that_would_double_count_fails_once_naming_it_with_no_request(
    admin_conn: EmulatorServer, tmp_path: Path, operator: Any, hours: int, offset_minutes: float
) -> None:
    """An hourly run querying 1d buckets would export the whole day's usage each hour."""
    start = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0) - timedelta(days=2)
    start += timedelta(minutes=offset_minutes)
    admin_conn.log.clear()

    with pytest.raises(AirflowFailException, match="bucket_width") as failed:
        operator(f"file://{tmp_path}").execute(interval_context(start, start + timedelta(hours=hours)))

    assert admin_conn.log.entries() == []
    assert "tile" in str(failed.value)
    assert not any(tmp_path.iterdir())


def test_consecutive_hourly_usage_exports_count_each_call_once(
    admin_conn: EmulatorServer, client: OpenAIAdminClient, tmp_path: Path
) -> None:
    day = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0) - timedelta(days=1)
    project = admin_conn.state.create_project("Hourly")["id"]
    key = client.create_service_account(project, name="bot")["api_key"]["value"]
    for hour, calls in ((0, 1), (1, 2), (2, 4)):
        at(admin_conn, int(day.timestamp()) + hour * HOUR + (0 if hour else HOUR - 1))
        for _ in range(calls):
            client.verify_api_key(key)
    at(admin_conn, int(datetime.now(UTC).timestamp()))

    counted = []
    for hour in range(3):
        start = day + timedelta(hours=hour)
        result = UsageToStorageOperator(task_id="usage", path=f"file://{tmp_path}").execute(
            interval_context(start, start + timedelta(hours=1))
        )
        buckets = lines(Path(result["path"].removeprefix("file://")))
        counted.append(sum(r["num_model_requests"] for b in buckets for r in b["results"]))

    assert counted == [1, 2, 4]


def test_the_usage_kinds_are_the_clients_usage_endpoints() -> None:
    """The operator lists the kinds itself (a DAG's parse must not load the client): they are
    exactly the client's ``list_usage_<kind>`` methods."""
    from airflow_provider_openai_projects.client.resources.usage import BUCKET_QUERIES
    from airflow_provider_openai_projects.operators.exports import USAGE_KINDS

    client_kinds = {name.removeprefix("list_usage_") for name in BUCKET_QUERIES if name.startswith("list_usage_")}
    assert sorted(USAGE_KINDS) == sorted(client_kinds)
    assert len(USAGE_KINDS) == 10
