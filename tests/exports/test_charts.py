"""The per-project monthly cost chart, drawn from cost files exported over the emulator:
a valid PNG beside the files, showing exactly the costs the emulator served, readable at a
glance: project names, axis labels, dollars with cents (and more digits for small amounts),
sized for its content, nothing clipped, no layout warning."""

from __future__ import annotations

import json
import logging
import struct
import warnings
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
from airflow_provider_openai_projects.exports.charts import (
    cost_chart_figure,
    draw_monthly_cost_chart,
    format_usd,
    monthly_cost_per_project,
)
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
    emulator.state.set_clock(int(day.timestamp()) + 3600)
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
    emulator.state.set_clock(datetime.now(UTC).timestamp())
    base = ObjectStoragePath(f"file://{tmp_path}/costs")

    written = [_export_day(str(base), day) for day in days]
    names = {p["id"]: p["name"] for p in client.list_projects()}
    chart = draw_monthly_cost_chart(written[-1], names)

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
    assert shown["labels"] == {web: "Web", batch: "Batch"}
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


def png_size(path: Path) -> tuple[int, int]:
    """Width and height in pixels, read from the PNG's IHDR chunk (bytes 16 to 24)."""
    header = path.read_bytes()[:24]
    assert header[:8] == b"\x89PNG\r\n\x1a\n"
    assert header[12:16] == b"IHDR"
    width, height = struct.unpack(">II", header[16:24])
    return int(width), int(height)


def test_the_chart_is_sized_for_its_content_and_carries_names_axis_labels_and_cents(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    totals = {"proj_search": 0.00225, "proj_research": 0.0009, "proj_default": 0.00045}
    names = {"proj_search": "team-search", "proj_research": "team-research", "proj_default": "Default project"}
    many = {f"proj_{n:02d}": float(n) for n in range(12)}

    with warnings.catch_warnings(record=True) as caught, caplog.at_level(logging.WARNING):
        warnings.simplefilter("always")
        figure = cost_chart_figure(totals, "2026-11", names)
        figure.savefig(tmp_path / "three.png", dpi=100)
        cost_chart_figure(many, "2026-11").savefig(tmp_path / "twelve.png", dpi=100)
    assert [str(w.message) for w in caught] == []  # e.g. "Tight layout not applied"
    assert caplog.records == []

    axes = figure.axes[0]
    assert axes.get_title() == "OpenAI cost per project, November 2026 (total $0.0036)"
    assert (axes.get_xlabel(), axes.get_ylabel()) == ("Cost (USD)", "Project")
    assert [t.get_text() for t in axes.get_yticklabels()] == ["team-search", "team-research", "Default project"]
    assert sorted(t.get_text().strip() for t in axes.texts) == ["$0.00045", "$0.0009", "$0.00225"]
    ticks = [t.get_text() for t in axes.get_xticklabels()]
    assert ticks[0] == "$0.00"
    assert all(t.startswith("$0.00") for t in ticks)
    assert len(set(ticks)) == len(ticks)
    # Nothing clipped: every text lies inside the figure once drawn.
    figure.draw_without_rendering()
    bounds = figure.bbox
    for text in [axes.title, axes.xaxis.label, axes.yaxis.label, *axes.texts, *axes.get_yticklabels()]:
        extent = text.get_window_extent()
        assert bounds.x0 <= extent.x0 <= extent.x1 <= bounds.x1, text.get_text()
        assert bounds.y0 <= extent.y0 <= extent.y1 <= bounds.y1, text.get_text()

    three, twelve = png_size(tmp_path / "three.png"), png_size(tmp_path / "twelve.png")
    assert three == (700, 325)  # 7 x 3.25 inches at 100 dpi: not a strip 90 pixels high
    assert twelve[0] == three[0]
    assert twelve[1] == three[1] + 9 * 45  # 0.45 inch more per project


def test_long_and_shared_names_are_labelled_so_each_project_is_told_apart() -> None:
    totals = {"proj_a": 2.0, "proj_b": 1.0, "proj_c": 0.5}
    names = {"proj_a": "shared", "proj_b": "shared", "proj_c": "x" * 80 + "\u202e"}
    figure = cost_chart_figure(totals, "2026-11", names)
    labels = [t.get_text() for t in figure.axes[0].get_yticklabels()]
    assert labels[:2] == ["shared (proj_a)", "shared (proj_b)"]
    assert labels[2] == "x" * 47 + "…"  # shortened, never a hidden character
    assert figure.get_size_inches()[0] > 7  # wider for the long label


@pytest.mark.parametrize(
    ("value", "shown"),
    [(0.0, "$0.00"), (0.00225, "$0.00225"), (0.0000123, "$0.0000123"), (0.4, "$0.40"), (1234.5, "$1,234.50")],
)
def test_amounts_show_cents_and_enough_digits_for_small_ones(value: float, shown: str) -> None:
    assert format_usd(value) == shown
