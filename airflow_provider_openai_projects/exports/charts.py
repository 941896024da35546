"""A per-project monthly cost chart (PNG) drawn from exported cost files.

Optional: needs ``matplotlib`` (the ``plot`` extra). Without it, :func:`draw_monthly_cost_chart`
logs why and returns ``None``: the export itself never depends on the chart.
"""

from __future__ import annotations

import json
import logging
from collections import defaultdict
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Any, cast

log = logging.getLogger(__name__)


def monthly_cost_per_project(lines: Iterable[str], month: str) -> dict[str, float]:
    """Sum ``amount.value`` of every cost result of ``month`` (``YYYY-MM``) per project.

    ``lines`` are the JSONL lines of cost files (one bucket each). Results without a
    ``project_id`` (not grouped by project) count under ``"(all projects)"``.
    """
    totals: dict[str, float] = defaultdict(float)
    for line in lines:
        if not line.strip():
            continue
        bucket: Mapping[str, Any] = json.loads(line)
        started = datetime.fromtimestamp(int(bucket.get("start_time", 0)), UTC)
        if started.strftime("%Y-%m") != month:
            continue
        for result in bucket.get("results") or []:
            amount = (result.get("amount") or {}).get("value") or 0
            totals[str(result.get("project_id") or "(all projects)")] += float(amount)
    return dict(sorted(totals.items(), key=lambda item: (-item[1], item[0])))


def draw_monthly_cost_chart(cost_file: str) -> str | None:
    """Draw ``monthly.png`` beside ``cost_file`` from every cost file of its month.

    Returns the chart's path, or ``None`` when matplotlib is not installed. The PNG carries
    the figures it shows in its ``Description`` text chunk (JSON: ``month`` and
    ``usd_per_project``, as :func:`monthly_cost_per_project` computed them), so a reader
    or a test can check the chart against the data without reading pixels.
    """
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        log.warning("matplotlib is not installed (extra 'plot'): no cost chart drawn")
        return None
    from airflow.sdk import ObjectStoragePath

    written = ObjectStoragePath(cost_file)
    month = _month_of(written.name)
    lines: list[str] = []
    for sibling in sorted(written.parent.iterdir(), key=lambda p: p.name):
        if sibling.name.endswith(".jsonl") and not sibling.name.startswith(".") and _month_of(sibling.name) == month:
            lines.extend(sibling.read_text(encoding="utf-8").splitlines())
    totals = monthly_cost_per_project(lines, month)
    figure, axes = plt.subplots(figsize=(8, 0.5 + 0.4 * max(len(totals), 1)))
    names = list(totals) or ["(no cost)"]
    values = list(totals.values()) or [0.0]
    axes.barh(names[::-1], values[::-1], color="#10a37f")
    axes.set_xlabel("USD")
    axes.set_title(f"OpenAI cost per project, {month}")
    for index, value in enumerate(values[::-1]):
        axes.text(value, index, f" {value:,.2f}", va="center")
    figure.tight_layout()
    chart = written.parent / "monthly.png"
    with cast(Any, chart).open("wb") as stream:
        description = json.dumps({"month": month, "usd_per_project": totals})  # largest first
        figure.savefig(
            stream,
            format="png",
            dpi=100,
            metadata={"Title": f"OpenAI cost per project, {month}", "Description": description},
        )
    plt.close(figure)
    log.info("Drew the cost chart of %s for %d project(s) at %s", month, len(totals), chart)
    return str(chart)


def _month_of(file_name: str) -> str:
    """``20261127T000000Z_20261128T000000Z.jsonl`` -> ``2026-11``."""
    return f"{file_name[0:4]}-{file_name[4:6]}"
