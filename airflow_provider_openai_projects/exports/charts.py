"""A per-project monthly cost chart (PNG) drawn from exported cost files, readable at a glance.

Optional: needs ``matplotlib`` (the ``plot`` extra). Without it, :func:`draw_monthly_cost_chart`
logs why and returns ``None``: the export itself never depends on the chart.

What a person sees: one horizontal bar per project, labelled with the project's **name** (its
id only when the name is unknown, or in brackets when two projects share a name), largest
first; the amount at the end of each bar in dollars with at least cents and enough digits for
a small amount to read as itself (``$0.00225``, not ``0.00``); axis labels ("Cost (USD)",
"Project"); a title with the month and the total. The figure is sized for its content (taller
per project, wider for long names) and laid out by matplotlib's constrained layout, so nothing
is clipped and no "Tight layout not applied" warning is logged.
"""

from __future__ import annotations

import json
import logging
import math
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, cast

from airflow_provider_openai_projects.domain.display import printable

if TYPE_CHECKING:
    from matplotlib.figure import Figure

log = logging.getLogger(__name__)

NO_PROJECT = "(all projects)"
#: Inches: the figure's fixed part (title, axis, labels) and each bar's share of the height.
BASE_HEIGHT, BAR_HEIGHT = 1.9, 0.45
#: Inches: the narrowest figure, and the width per character of the longest project label.
MIN_WIDTH, LABEL_CHAR_WIDTH, MAX_WIDTH = 7.0, 0.085, 16.0
#: Project labels longer than this are shortened with an ellipsis (names can be 100+ characters).
MAX_LABEL = 48
DPI = 100


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
            totals[str(result.get("project_id") or NO_PROJECT)] += float(amount)
    return dict(sorted(totals.items(), key=lambda item: (-item[1], item[0])))


def format_usd(value: float) -> str:
    """Dollars with at least cents, and for an amount under a dollar enough decimals to show
    its first three significant digits: ``$1,234.50``, ``$0.42``, ``$0.00225``, ``$0.00``."""
    if value == 0 or not math.isfinite(value):
        return "$0.00"
    sign = "-" if value < 0 else ""
    magnitude = abs(value)
    if magnitude >= 1:
        return f"{sign}${magnitude:,.2f}"
    decimals = min(10, max(2, 2 - math.floor(math.log10(magnitude))))
    text = f"{magnitude:.{decimals}f}".rstrip("0")
    whole, _, fraction = text.partition(".")
    return f"{sign}${whole}.{fraction.ljust(2, '0')}"


def project_labels(project_ids: Iterable[str], names: Mapping[str, str] | None) -> dict[str, str]:
    """Each project's label: its name (printable), with the id in brackets when two of the
    chart's projects share that name; the id itself when the name is unknown."""
    ids = list(project_ids)
    named = {pid: printable((names or {}).get(pid) or pid) for pid in ids}
    counts = Counter(named.values())
    labels = {}
    for pid in ids:
        label = named[pid] if counts[named[pid]] == 1 or named[pid] == pid else f"{named[pid]} ({pid})"
        labels[pid] = label if len(label) <= MAX_LABEL else label[: MAX_LABEL - 1] + "…"
    return labels


def month_title(month: str) -> str:
    """``2026-11`` -> ``November 2026``."""
    return datetime.strptime(month, "%Y-%m").replace(tzinfo=UTC).strftime("%B %Y")


def cost_chart_figure(totals: Mapping[str, float], month: str, names: Mapping[str, str] | None = None) -> Figure:
    """The chart of ``totals`` (USD per project id, largest first) as a matplotlib figure.

    Built on :class:`matplotlib.figure.Figure` directly (no pyplot state); every text is
    plain (``parse_math=False``: a ``$`` never starts mathtext).
    """
    from matplotlib.figure import Figure
    from matplotlib.ticker import FuncFormatter, MaxNLocator

    labels = project_labels(totals, names)
    rows = [(labels[pid], value) for pid, value in totals.items()] or [("(no cost this month)", 0.0)]
    longest = max(len(label) for label, _ in rows)
    width = min(MAX_WIDTH, max(MIN_WIDTH, 4.5 + LABEL_CHAR_WIDTH * longest))
    figure = Figure(figsize=(width, BASE_HEIGHT + BAR_HEIGHT * len(rows)), dpi=DPI, layout="constrained")
    axes = figure.add_subplot()
    positions = list(range(len(rows)))[::-1]  # the largest at the top
    axes.barh(positions, [value for _, value in rows], color="#10a37f", height=0.6)
    axes.set_yticks(positions, [label for label, _ in rows], parse_math=False)
    top = max((value for _, value in rows), default=0.0)
    axes.set_xlim(0, top * 1.3 if top > 0 else 1.0)  # room for the amounts at the bars' ends
    axes.xaxis.set_major_locator(MaxNLocator(nbins=5))
    axes.xaxis.set_major_formatter(FuncFormatter(lambda x, _: format_usd(x)))
    for position, (_, value) in zip(positions, rows, strict=True):
        axes.text(value, position, " " + format_usd(value), va="center", parse_math=False)
    axes.set_xlabel("Cost (USD)", parse_math=False)
    axes.set_ylabel("Project", parse_math=False)
    total = sum(value for _, value in rows)
    axes.set_title(f"OpenAI cost per project, {month_title(month)} (total {format_usd(total)})", parse_math=False)
    axes.spines[["top", "right"]].set_visible(False)
    return figure


def draw_monthly_cost_chart(cost_file: str, project_names: Mapping[str, str] | None = None) -> str | None:
    """Draw ``monthly.png`` beside ``cost_file`` from every cost file of its month.

    :param project_names: project id -> name (for example from ``list_projects``); a project
        missing from it is labelled with its id.

    Returns the chart's path, or ``None`` when matplotlib is not installed. The PNG carries
    the figures it shows in its ``Description`` text chunk (JSON: ``month``,
    ``usd_per_project`` as :func:`monthly_cost_per_project` computed them, and ``labels``,
    each project's label), so a reader or a test can check the chart against the data
    without reading pixels.
    """
    try:
        import matplotlib  # noqa: F401
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
    figure = cost_chart_figure(totals, month, project_names)
    chart = written.parent / "monthly.png"
    title = f"OpenAI cost per project, {month_title(month)}"
    description = json.dumps(
        {"month": month, "usd_per_project": totals, "labels": project_labels(totals, project_names)}
    )
    with cast(Any, chart).open("wb") as stream:
        figure.savefig(stream, format="png", dpi=DPI, metadata={"Title": title, "Description": description})
    log.info("Drew the cost chart of %s for %d project(s) at %s", month, len(totals), chart)
    return str(chart)


def _month_of(file_name: str) -> str:
    """``20261127T000000Z_20261128T000000Z.jsonl`` -> ``2026-11``."""
    return f"{file_name[0:4]}-{file_name[4:6]}"
