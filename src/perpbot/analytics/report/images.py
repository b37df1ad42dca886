"""Still images of the equity curve and the drawdown, for a terminal or a chat (matplotlib, Agg canvas).

Figures are drawn on their own Agg canvas (no pyplot, no global backend switch), so rendering is
thread-safe and never opens a window. PNG metadata carries no time: same input, same bytes.
"""

from __future__ import annotations

import io

import numpy as np
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.dates import AutoDateLocator, ConciseDateFormatter
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter

from perpbot.analytics.report.charts import BLUE, GREY, RED
from perpbot.analytics.report.curves import EquityView
from perpbot.analytics.report.inputs import ReportMeta

SIZE_INCHES = (12.0, 4.5)
DPI = 100


def equity_png(name: str, meta: ReportMeta, view: EquityView) -> bytes:
    """The equity curve with the starting balance as a dotted line."""
    fig, ax = _figure()
    when = _dates(view)
    ax.plot(when, view.equity, color=BLUE, linewidth=1.2)
    ax.axhline(float(meta.starting_balance), color=GREY, linewidth=0.8, linestyle=":")
    ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _pos: f"{v:,.0f}"))
    ax.set_ylabel("equity (USDT)")
    _titles(fig, ax, f"{name}: equity", meta, view)
    return _png(fig)


def drawdown_png(name: str, meta: ReportMeta, view: EquityView) -> bytes:
    """Drawdown below the running peak, in percent (0 at the top)."""
    fig, ax = _figure()
    when = _dates(view)
    depth = -100.0 * view.drawdown
    ax.fill_between(when, depth, 0.0, color=RED, alpha=0.3, linewidth=0)
    ax.plot(when, depth, color=RED, linewidth=0.8)
    ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _pos: f"{v:g} %"))
    ax.set_ylabel("drawdown")
    _titles(fig, ax, f"{name}: drawdown (max {view.max_drawdown * 100:.2f} %)", meta, view)
    return _png(fig)


def _figure() -> tuple[Figure, Axes]:
    fig = Figure(figsize=SIZE_INCHES, dpi=DPI)
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    locator = AutoDateLocator()  # type: ignore[no-untyped-call]
    ax.xaxis.set_major_locator(locator)
    ax.xaxis.set_major_formatter(ConciseDateFormatter(locator))  # type: ignore[no-untyped-call]
    ax.grid(True, color="#e5e5e5", linewidth=0.6)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    return fig, ax


def _dates(view: EquityView) -> np.ndarray:
    return view.ts.astype("datetime64[ms]")


def _titles(fig: Figure, ax: Axes, title: str, meta: ReportMeta, view: EquityView) -> None:
    ax.set_title(title, loc="left", fontsize=12, fontweight="bold")
    if not meta.is_real_data:
        # the image may travel without the page: it must say by itself that the prices are not real
        fig.text(0.5, 0.5, f"DATA: {meta.data_label}", ha="center", va="center", fontsize=11, color=RED,
                 alpha=0.85, wrap=True, bbox={"facecolor": "#fff5f5", "edgecolor": RED, "alpha": 0.8})
    footer = f"UTC; fingerprint {meta.fingerprint[:12]}"
    if view.thinned:
        footer += f"; {view.ts.size:,} of {view.source_points:,} points (each bucket's extremes kept)"
    ax.set_xlabel(footer, fontsize=8, color=GREY)
    fig.tight_layout()


def _png(fig: Figure) -> bytes:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=DPI, metadata={"Software": None})
    return buffer.getvalue()
