"""Charts of the reports: matplotlib figures written as SVG, embedded in the report's HTML.

Text in the charts uses the same pinned CJK font as the documents (`FONT_PATH`), so labels
like 1 栋 or 收缴率 print the same everywhere; the SVG carries glyphs as paths (no font needed
to view it). Output is deterministic: no date in the metadata, fixed ids.

Values arrive as Decimals; they become floats only here, to be drawn.
"""

from __future__ import annotations

import base64
import io
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from functools import cache
from typing import Any

from billing.render.pdf import FONT_PATH

NAVY = "#14365d"
BLUE = "#3f6fa8"
RED = "#b3261e"
GREY = "#9aa5b1"
PALETTE = ("#14365d", "#3f8fc4", "#e08a2c", "#5a9e5a", "#8e5ba8", "#c45a5a", "#7a8793")

MIN_SLOTS = 6  # the x axis has room for at least this many bars or points
WIDTH_IN = 6.7  # ≈ 170 mm, the text width of an A4 portrait page
HEIGHT_IN = 2.6


@dataclass(frozen=True, slots=True, kw_only=True)
class ChartView:
    """A finished chart: its caption and the SVG text."""

    title: str
    svg: str

    @property
    def data_uri(self) -> str:
        return "data:image/svg+xml;base64," + base64.b64encode(self.svg.encode("utf-8")).decode("ascii")


@cache
def _font_name() -> str:
    from matplotlib import font_manager

    font_manager.fontManager.addfont(str(FONT_PATH))
    return str(font_manager.FontProperties(fname=str(FONT_PATH)).get_name())


def _rc() -> Any:
    return {
        "font.family": _font_name(),
        "font.size": 8,
        "axes.edgecolor": GREY,
        "axes.labelcolor": "#3b4756",
        "axes.titlesize": 9,
        "axes.titlecolor": NAVY,
        "xtick.color": "#3b4756",
        "ytick.color": "#3b4756",
        "svg.hashsalt": "estate-billing",
        "svg.fonttype": "path",
        "axes.unicode_minus": False,
    }


def _number(value: Decimal | None) -> float:
    return float("nan") if value is None else float(value)  # float-ok: drawing only


def _figure(height: float = HEIGHT_IN) -> Any:
    from matplotlib.figure import Figure

    fig = Figure(figsize=(WIDTH_IN, height))
    ax = fig.add_subplot()
    ax.spines[["top", "right"]].set_visible(False)
    ax.grid(axis="y", color="#dfe4ea", linewidth=0.6)
    ax.set_axisbelow(True)
    return fig, ax


def _percent_axis(ax: Any) -> None:
    from matplotlib.ticker import PercentFormatter

    ax.yaxis.set_major_formatter(PercentFormatter(xmax=1, decimals=0))


def _svg(fig: Any) -> str:
    fig.tight_layout(pad=0.6)
    out = io.StringIO()
    fig.savefig(out, format="svg", metadata={"Date": None, "Creator": None})
    return out.getvalue()


def bar_chart(
    title: str,
    labels: Sequence[str],
    values: Sequence[Decimal | None],
    *,
    percent: bool = True,
    limit: Decimal | None = None,
    value_labels: Sequence[str] | None = None,
) -> ChartView:
    """One bar per label (e.g. the collection rate per building), labelled with its value;
    `limit` draws a reference line and colours the bars above it red."""
    import matplotlib

    with matplotlib.rc_context(_rc()):
        fig, ax = _figure()
        heights = [_number(v) for v in values]
        colours = [RED if limit is not None and v is not None and v > limit else BLUE for v in values]
        bars = ax.bar(range(len(labels)), heights, color=colours, width=0.6)
        ax.set_xticks(range(len(labels)), labels)
        pad = max(0.0, (MIN_SLOTS - len(labels)) / 2)  # a lone bar stays a bar, not a wall
        ax.set_xlim(-0.5 - pad, len(labels) - 0.5 + pad)
        if value_labels is not None:
            ax.bar_label(bars, labels=list(value_labels), padding=2, fontsize=7, color="#1d2430")
        if percent:
            _percent_axis(ax)
            top = max([h for h in heights if h == h] + [1.0])
            ax.set_ylim(0, top * 1.12)
        if limit is not None:
            ax.axhline(float(limit), color=RED, linewidth=0.8, linestyle="--")  # float-ok: drawing only
        ax.set_title(title, loc="left")
        return ChartView(title=title, svg=_svg(fig))


def line_chart(
    title: str,
    x_labels: Sequence[str],
    series: Sequence[tuple[str, Sequence[Decimal | None]]],
    *,
    percent: bool = True,
    limit: Decimal | None = None,
    zero_line: bool = False,
) -> ChartView:
    """One line per series over the periods (e.g. a rate over the last 12 periods); a gap
    where a value is None; `limit` draws a dashed reference line."""
    import matplotlib

    with matplotlib.rc_context(_rc()):
        fig, ax = _figure()
        xs = list(range(len(x_labels)))
        for i, (name, values) in enumerate(series):
            ax.plot(
                xs,
                [_number(v) for v in values],
                marker="o",
                markersize=3,
                linewidth=1.4,
                color=PALETTE[i % len(PALETTE)],
                label=name,
            )
        ax.set_xticks(xs, list(x_labels))
        pad = max(0.0, (MIN_SLOTS - len(xs)) / 2)
        ax.set_xlim(-0.5 - pad, len(xs) - 0.5 + pad)
        if len(x_labels) > 8:
            ax.tick_params(axis="x", labelrotation=45)
        if percent:
            _percent_axis(ax)
        if limit is not None:
            ax.axhline(
                float(limit), color=RED, linewidth=0.8, linestyle="--", label="预警线"
            )  # float-ok: drawing only
        if zero_line:
            ax.axhline(0, color=GREY, linewidth=0.6)
        known = [_number(v) for _, values in series for v in values if v is not None]
        known += [float(limit)] if limit is not None else []  # float-ok: drawing only
        if known:
            low, high = min([*known, 0.0] if zero_line else known), max(known)
            margin = max((high - low) * 0.15, 0.02 if percent else abs(high) * 0.1 or 1.0)
            bottom = low - margin
            if percent and low >= 0:
                bottom = max(0.0, bottom)
            ax.set_ylim(bottom, high + margin)
        if len(series) > 1 or limit is not None:
            ax.legend(
                fontsize=7,
                frameon=False,
                loc="lower right",
                bbox_to_anchor=(1.0, 1.0),
                ncols=min(6, len(series) + (limit is not None)),
            )
        ax.set_title(title, loc="left")
        return ChartView(title=title, svg=_svg(fig))
