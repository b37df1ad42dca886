"""The interactive charts (plotly figures): equity with drawdown, candles with trades, trade distributions.

Times are epoch milliseconds on date axes (shown in UTC). Arrays go out as float64 so plotly writes
them as compact base64 typed arrays rather than long lists of decimal text.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import plotly.graph_objects as go  # type: ignore[import-untyped]
from plotly.subplots import make_subplots  # type: ignore[import-untyped]

from perpbot.analytics.report.curves import EquityView
from perpbot.analytics.report.downsample import ChartCandles
from perpbot.analytics.report.marks import TradeMarks

Floats = npt.NDArray[np.float64]

GREEN, RED, BLUE, GREY = "#1a9850", "#d73027", "#2c6fbb", "#7f7f7f"
EXIT_COLOURS: dict[str, str] = {
    "signal": "#2c6fbb", "reversal": "#7b3294", "stop_loss": "#d73027", "take_profit": "#1a9850",
    "liquidation": "#000000", "risk_halt": "#f46d43", "end_of_data": "#7f7f7f", "manual": "#8c510a",
}
FONT = "system-ui, -apple-system, 'Segoe UI', Roboto, Helvetica, Arial, sans-serif"
_TIME_HOVER = "%{x|%Y-%m-%d %H:%M} UTC"


def _ms(values: npt.NDArray[np.int64]) -> Floats:
    return np.asarray(values, dtype=np.float64)


def _style(fig: go.Figure, height: int) -> go.Figure:
    fig.update_layout(template="plotly_white", height=height, font={"family": FONT, "size": 12},
                      margin={"l": 60, "r": 20, "t": 30, "b": 40}, hovermode="closest",
                      legend={"orientation": "h", "yanchor": "bottom", "y": 1.01, "x": 0})
    return fig


def equity_figure(view: EquityView, starting_balance: float) -> go.Figure:
    """Equity above, drawdown below, on one time axis (zooming one zooms both)."""
    fig = make_subplots(rows=2, cols=1, shared_xaxes=True, row_heights=[0.68, 0.32], vertical_spacing=0.04)
    x = _ms(view.ts)
    fig.add_trace(go.Scatter(x=x, y=view.equity, mode="lines", name="equity", line={"color": BLUE, "width": 1.5},
                             hovertemplate=f"{_TIME_HOVER}<br>equity %{{y:,.2f}} USDT<extra></extra>"), row=1, col=1)
    fig.add_trace(go.Scatter(x=x, y=-100.0 * view.drawdown, mode="lines", name="drawdown", fill="tozeroy",
                             line={"color": RED, "width": 1}, fillcolor="rgba(215,48,39,0.25)",
                             hovertemplate=f"{_TIME_HOVER}<br>drawdown %{{y:.2f}} %<extra></extra>"), row=2, col=1)
    fig.add_hline(y=starting_balance, line={"color": GREY, "width": 1, "dash": "dot"}, row=1, col=1)
    fig.update_xaxes(type="date")
    fig.update_yaxes(title_text="USDT", tickformat=",.0f", row=1, col=1)
    fig.update_yaxes(title_text="drawdown %", ticksuffix=" %", row=2, col=1)
    return _style(fig, 560)


def candles_figure(candles: ChartCandles, marks: TradeMarks | None, *, webgl: bool = False) -> go.Figure:
    """Candles, each trade's entry (triangle: up long, down short), exit (cross, coloured by exit reason)
    and protective stop (a dotted line from entry to exit at the stop price).

    With `webgl`, markers and stops are drawn on a WebGL canvas: SVG makes one element per marker, and
    tens of thousands of them take the browser many seconds. (The page falls back to SVG without WebGL.)
    """
    frame = candles.frame
    fig = go.Figure(go.Candlestick(
        x=_ms(frame["ts"].to_numpy(dtype=np.int64)), open=frame["open"].to_numpy(dtype=np.float64),
        high=frame["high"].to_numpy(dtype=np.float64), low=frame["low"].to_numpy(dtype=np.float64),
        close=frame["close"].to_numpy(dtype=np.float64), name=f"{candles.timeframe} candles",
        increasing={"line": {"color": GREEN, "width": 1}}, decreasing={"line": {"color": RED, "width": 1}}))
    if marks is not None and len(marks):
        scatter = go.Scattergl if webgl else go.Scatter
        _add_entries(fig, marks, scatter)
        _add_exits(fig, marks, scatter)
        _add_stops(fig, marks, scatter)
    fig.update_xaxes(type="date", rangeslider={"visible": False})
    fig.update_yaxes(title_text="price", tickformat=",")
    return _style(fig, 520)


def _custom(marks: TradeMarks, rows: npt.NDArray[np.bool_]) -> Floats:
    return np.column_stack([marks.trade_no[rows].astype(np.float64), marks.net_pnl[rows]])


def _add_entries(fig: go.Figure, marks: TradeMarks, scatter: type[go.Scatter]) -> None:
    for is_long, name, label, symbol, colour in ((True, "long entries", "long entry", "triangle-up", GREEN),
                                                 (False, "short entries", "short entry", "triangle-down", RED)):
        rows = marks.is_long == is_long
        if not rows.any():
            continue
        fig.add_trace(scatter(
            x=_ms(marks.entry_ts[rows]), y=marks.entry_price[rows], mode="markers", name=name,
            meta={"role": "entry"}, customdata=_custom(marks, rows),
            marker={"symbol": symbol, "size": 9, "color": colour, "line": {"color": "#ffffff", "width": 0.5}},
            hovertemplate=(f"trade %{{customdata[0]:.0f}}: {label} %{{y:,}}<br>{_TIME_HOVER}"
                           "<br>net PnL %{customdata[1]:,.2f} USDT<extra></extra>")))


def _add_exits(fig: go.Figure, marks: TradeMarks, scatter: type[go.Scatter]) -> None:
    reasons = np.array(marks.exit_reason, dtype=object)
    for reason in sorted(set(marks.exit_reason)):
        rows = reasons == reason
        fig.add_trace(scatter(
            x=_ms(marks.exit_ts[rows]), y=marks.exit_price[rows], mode="markers",
            name=f"exit: {reason.replace('_', ' ')}", meta={"role": "exit", "reason": reason},
            customdata=_custom(marks, rows),
            marker={"symbol": "x", "size": 8, "color": EXIT_COLOURS.get(reason, GREY)},
            hovertemplate=(f"trade %{{customdata[0]:.0f}}: exit ({reason.replace('_', ' ')}) %{{y:,}}<br>"
                           f"{_TIME_HOVER}<br>net PnL %{{customdata[1]:,.2f}} USDT<extra></extra>")))


def _add_stops(fig: go.Figure, marks: TradeMarks, scatter: type[go.Scatter]) -> None:
    rows = np.isfinite(marks.stop_price)
    if not rows.any():
        return
    count = int(rows.sum())
    gap = np.full(count, np.nan)  # a NaN between segments breaks the line
    x = np.column_stack([_ms(marks.entry_ts[rows]), _ms(marks.exit_ts[rows]), gap]).ravel()
    y = np.column_stack([marks.stop_price[rows], marks.stop_price[rows], gap]).ravel()
    fig.add_trace(scatter(x=x, y=y, mode="lines", name="stop", meta={"role": "stop", "count": count},
                             connectgaps=False, line={"color": RED, "width": 1, "dash": "dot"},
                             hovertemplate=f"stop %{{y:,}}<br>{_TIME_HOVER}<extra></extra>"))


def histogram_figure(groups: list[tuple[str, Floats, str]], *, title: str, unit: str, bins: int = 60) -> go.Figure:
    """A distribution of per-trade values; each (name, values, colour) group is stacked on the same bins."""
    values = np.concatenate([v for _, v, _ in groups]) if groups else np.empty(0)
    low, high = (float(values.min()), float(values.max())) if values.size else (0.0, 1.0)
    size = (high - low) / bins if high > low else 1.0
    xbins = {"start": low, "end": high + size * 1e-9, "size": size}  # the same edges for every group
    fig = go.Figure()
    for name, group, colour in groups:
        fig.add_trace(go.Histogram(x=group, name=name, xbins=xbins, marker={"color": colour},
                                   hovertemplate=f"%{{x}} {unit}<br>%{{y}} trades<extra>{name}</extra>"))
    fig.update_xaxes(title_text=f"{title} ({unit})")
    fig.update_yaxes(title_text="trades")
    fig.update_layout(barmode="stack", bargap=0.05, showlegend=len(groups) > 1)
    return _style(fig, 360)
