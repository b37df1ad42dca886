"""The HTML page: tables and chart data put into the package's Jinja2 template, plotly.js inlined once.

The page fetches nothing: no CDN, no web font, no remote script or style. Chart data sit in
`<script type="application/json">` blocks under fixed ids and are drawn by a few lines of script,
so two reports of the same input are byte-identical.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import cache

import jinja2
import numpy as np
import pandas as pd
import plotly.graph_objects as go  # type: ignore[import-untyped]
import plotly.offline  # type: ignore[import-untyped]

import perpbot
from perpbot.analytics.report.charts import (
    BLUE,
    GREEN,
    GREY,
    RED,
    Floats,
    candles_figure,
    equity_figure,
    histogram_figure,
)
from perpbot.analytics.report.curves import EquityView, monthly_returns
from perpbot.analytics.report.downsample import chart_candles
from perpbot.analytics.report.inputs import ReportInput, equity_arrays
from perpbot.analytics.report.marks import TradeMarks, trade_marks
from perpbot.analytics.report.tables import breakdown_tables, headline, meta_rows, monthly_table

TEMPLATE = "report.html.j2"
HOUR_MS = 3_600_000


@dataclass(frozen=True, slots=True)
class ReportLimits:
    """How much a chart draws: enough for a wide screen, little enough to open in a few seconds."""

    max_equity_points: int = 4000  # the curve keeps each bucket's low, high and deepest drawdown
    max_candles: int = 2500  # per symbol; finer candles are merged into a coarser timeframe
    max_svg_trades: int = 2000  # per symbol; above it, trade markers and stops are drawn with WebGL


@dataclass(frozen=True, slots=True)
class ChartBlock:
    id: str  # the element id: fixed, so the same input gives the same bytes
    title: str
    note: str
    figure_json: str  # plotly figure as JSON, safe inside a <script> element
    height: int  # pixels, reserved before the chart is drawn so the page does not jump


@cache
def _environment() -> jinja2.Environment:
    return jinja2.Environment(loader=jinja2.PackageLoader("perpbot.analytics.report", "templates"),
                              autoescape=True, undefined=jinja2.StrictUndefined, trim_blocks=True,
                              lstrip_blocks=True, keep_trailing_newline=True)


@cache
def plotly_js() -> str:
    """The plotly.js bundle shipped with the plotly package (read once per process)."""
    return str(plotly.offline.get_plotlyjs())


def script_safe_json(fig: go.Figure) -> str:
    """The figure's JSON with <, > and & escaped, so no string in it can end the <script> element."""
    text = str(fig.to_json())
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def chart_block(element: str, title: str, note: str, fig: go.Figure) -> ChartBlock:
    return ChartBlock(element, title, note, script_safe_json(fig), int(fig.layout.height))


def element_id(prefix: str, name: str) -> str:
    return f"{prefix}-{re.sub(r'[^A-Za-z0-9_-]', '-', name)}"


def render_page(report: ReportInput, view: EquityView, limits: ReportLimits) -> str:
    """The whole page as text."""
    starting = float(report.meta.starting_balance)
    monthly = monthly_returns(*equity_arrays(report), starting)
    equity_chart = chart_block("chart-equity", "Equity and drawdown", _equity_note(view),
                               equity_figure(view, starting))
    marks = trade_marks(report.frames)
    candle_charts = [_candle_block(symbol, report, marks.get(symbol), limits) for symbol in sorted(report.candles)]
    distribution_charts = _distribution_blocks(report)
    context = {
        "title": report.name,
        "perpbot_version": perpbot.__version__,
        "real_data": report.meta.is_real_data,
        "data_label": report.meta.data_label,
        "fingerprint": report.meta.fingerprint,
        "meta_rows": meta_rows(report),
        "figures": headline(report),
        "equity_chart": equity_chart,
        "monthly": monthly_table(monthly),
        "candle_charts": candle_charts,
        "distribution_charts": distribution_charts,
        "all_charts": [equity_chart, *candle_charts, *distribution_charts],
        "breakdowns": breakdown_tables(report.breakdowns),
        "config_json": json.dumps(report.config, indent=2, sort_keys=True, default=str),
        "plotly_js": plotly_js(),
    }
    return _environment().get_template(TEMPLATE).render(context)


def _equity_note(view: EquityView) -> str:
    drawn = (f"{view.ts.size:,} of {view.source_points:,} points drawn: in each bucket of consecutive points the "
             f"lowest and highest equity and the deepest drawdown are kept, so no peak, trough or drawdown is "
             f"flattened" if view.thinned else f"all {view.source_points:,} points drawn")
    return (f"{drawn}. Drawdown is measured from the running peak (starting at the starting balance) on every "
            f"point given; deepest: {view.max_drawdown * 100:.2f} %. Times are UTC.")


def _candle_block(symbol: str, report: ReportInput, marks: TradeMarks | None, limits: ReportLimits) -> ChartBlock:
    candles = chart_candles(report.candles[symbol], limits.max_candles)
    count = len(marks) if marks is not None else 0
    stops = int(np.isfinite(marks.stop_price).sum()) if marks is not None else 0
    shown = (f"{candles.source_rows:,} {candles.source_timeframe} candles merged into {len(candles.frame):,} "
             f"{candles.timeframe} candles for the chart (first open, highest high, lowest low, last close)"
             if candles.resampled else f"{candles.source_rows:,} {candles.source_timeframe} candles")
    webgl = count > limits.max_svg_trades
    note = (f"{shown}. Every trade is marked: {count:,} entries (triangles), {count:,} exits (crosses, coloured "
            f"by exit reason), {stops:,} protective stops (dotted, from entry to exit)"
            f"{'; so many markers are drawn with WebGL (zoom in to tell them apart)' if webgl else ''}. "
            f"Times are UTC.")
    return chart_block(element_id("chart-candles", symbol), symbol, note, candles_figure(candles, marks, webgl=webgl))


def _distribution_blocks(report: ReportInput) -> list[ChartBlock]:
    trades = report.frames.trades
    if trades.empty:
        return []
    pnl: Floats = np.asarray(pd.to_numeric(trades["net_pnl"]), dtype=np.float64)
    hours = (trades["exit_ts"].to_numpy(dtype=np.int64) - trades["entry_ts"].to_numpy(dtype=np.int64)) / HOUR_MS
    wins, losses = pnl > 0, pnl < 0
    pnl_groups = [(name, pnl[rows], colour) for name, rows, colour in
                  (("losing", losses, RED), ("break-even", ~(wins | losses), GREY), ("winning", wins, GREEN))
                  if rows.any()]
    return [
        chart_block("chart-pnl", "Net PnL per trade",
                    f"{len(trades):,} trades after fees and funding: {int(wins.sum()):,} winning, "
                    f"{int(losses.sum()):,} losing.", histogram_figure(pnl_groups, title="net PnL", unit="USDT")),
        chart_block("chart-duration", "Trade duration", f"{len(trades):,} trades, from entry to exit.",
                    histogram_figure([("trades", hours, BLUE)], title="duration", unit="hours")),
    ]
