"""The per-project monthly cost chart, drawn from cost files exported over the emulator:
a valid PNG beside the files, showing exactly the costs the emulator served."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from airflow.sdk import ObjectStoragePath
from PIL import Image

from airflow_provider_openai_projects.client import OpenAIAdminClient
from airflow_provider_openai_projects.emulator.families.usage import INPUT_COST_USD, OUTPUT_COST_USD
from airflow_provider_openai_projects.emulator.server import EmulatorServer
from airflow_provider_openai_projects.exports.charts import draw_monthly_cost_chart, monthly_cost_per_project
from airflow_provider_openai_projects.operators.exports import CostsToStorageOperator
from tests.operators.conftest import connect, make_context

pytest.importorskip("matplotlib")  # the `plot` extra; the dev group installs it

DAY = 86400
CALL_USD = INPUT_COST_USD + OUTPUT_COST_USD


@pytest.fixture
def client(emulator: EmulatorServer, monkeypatch: pytest.MonkeyPatch) -> Iterator[OpenAIAdminClient]:
    connect(monkeypatch, emulator)
    with OpenAIAdminClient(emulator.admin_key, base_url=emulator.base_url) as c:
        yield c


def _calls_on(emulator: EmulatorServer, client: OpenAIAdminClient, key: str, day: datetime, count: int) -> None:
    emulator.state.advance_clock(int(day.timestamp()) + 3600 - emulator.state.now())
    for _ in range(count):
        client.verify_api_key(key)


def _export_day(base: str, day: datetime) -> str:
    context: Any = make_context()
    context.update(data_interval_start=day, data_interval_end=day + timedelta(days=1))
    operator = CostsToStorageOperator(task_id="costs", path=base, group_by=["project_id"])
    return str(operator.execute(context)["path"])


def test_the_monthly_chart_is_a_png_showing_each_projects_cost_of_the_month(
    emulator: EmulatorServer, client: OpenAIAdminClient, tmp_path: Path
) -> None:
    this_month = datetime.now(UTC).replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    month_start = (this_month - timedelta(days=1)).replace(day=1)  # last month: every day is past
    days = [month_start + timedelta(days=n) for n in (9, 10, 11)]
    web = client.create_project(name="Web")["id"]
    batch = client.create_project(name="Batch")["id"]
    web_key = client.create_service_account(web, name="bot")["api_key"]["value"]
    batch_key = client.create_service_account(batch, name="bot")["api_key"]["value"]
    _calls_on(emulator, client, web_key, days[0], 3)
    _calls_on(emulator, client, batch_key, days[1], 1)
    _calls_on(emulator, client, web_key, days[2], 2)
    emulator.state.advance_clock(datetime.now(UTC).timestamp() - emulator.state.now())
    base = ObjectStoragePath(f"file://{tmp_path}/costs")

    written = [_export_day(str(base), day) for day in days]
    chart = draw_monthly_cost_chart(written[-1])

    assert chart is not None
    assert ObjectStoragePath(chart) == base / "monthly.png"
    png = tmp_path / "costs" / "monthly.png"
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    with Image.open(png) as image:
        image.verify()  # a whole, decodable PNG
    with Image.open(png) as image:
        assert image.format == "PNG"
        assert image.size[0] > 100
        shown = json.loads(image.info["Description"])
    month = month_start.strftime("%Y-%m")
    expected = {web: pytest.approx(5 * CALL_USD), batch: pytest.approx(1 * CALL_USD)}
    assert shown["month"] == month
    assert shown["usd_per_project"] == expected
    assert list(shown["usd_per_project"]) == sorted([web, batch], key=lambda p: p != web)  # largest first
    lines = [line for path in sorted((tmp_path / "costs").glob("*.jsonl")) for line in path.read_text().splitlines()]
    assert monthly_cost_per_project(lines, month) == expected


def test_without_matplotlib_no_chart_is_drawn_and_none_is_returned(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    import sys

    monkeypatch.setitem(sys.modules, "matplotlib", None)  # as if the `plot` extra were not installed
    cost_file = tmp_path / "20261001T000000Z_20261002T000000Z.jsonl"
    cost_file.write_text("")

    assert draw_monthly_cost_chart(f"file://{cost_file}") is None
    assert not (tmp_path / "monthly.png").exists()
