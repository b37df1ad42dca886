"""The report's tables as text cells: headline figures, where the data came from, breakdowns, monthly returns."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

import numpy as np
import pandas as pd

from perpbot.analytics.report.curves import MonthlyReturns
from perpbot.analytics.report.formatting import (
    NOT_AVAILABLE,
    as_float,
    exact_money,
    money,
    number,
    percent,
    sign_class,
    utc_minute,
)
from perpbot.analytics.report.inputs import ReportInput

MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


@dataclass(frozen=True, slots=True)
class Cell:
    text: str
    css: str = ""  # "pos" / "neg" / "num" / ...
    style: str = ""  # inline style, used for heatmap colours only


@dataclass(frozen=True, slots=True)
class Table:
    id: str
    title: str
    note: str
    header: list[str]
    rows: list[list[Cell]]


@dataclass(frozen=True, slots=True)
class Figure:
    """One headline figure."""

    label: str
    text: str
    css: str = ""
    hint: str = ""


def exact_sum(column: pd.Series) -> Decimal:
    """The exact sum of a column of decimal text."""
    return sum((Decimal(str(v)) for v in column if v is not None and str(v) != ""), start=Decimal(0))


def headline(report: ReportInput) -> list[Figure]:
    """What a trader reads first. Fees and funding are summed exactly from the fills and settlements."""
    m, meta = report.metrics, report.meta
    fees = exact_sum(report.frames.fills["fee"]) if "fee" in report.frames.fills else None
    funding = exact_sum(report.frames.funding["amount"]) if "amount" in report.frames.funding else None
    net = meta.final_balance - meta.starting_balance
    figures = [
        Figure("net PnL (USDT)", money(net), sign_class(net), f"exact: {exact_money(net)}"),
        Figure("total return", percent(m.get("total_return")), sign_class(m.get("total_return"))),
        Figure("CAGR", percent(m.get("cagr")), sign_class(m.get("cagr")), "365-day years over the run's span"),
        Figure("Sharpe", number(m.get("sharpe")), "", "daily returns at UTC day ends, x sqrt(365), risk-free 0"),
        Figure("Sortino", number(m.get("sortino")), "", "downside deviation of daily returns, x sqrt(365)"),
        Figure("Calmar", number(m.get("calmar")), "", "CAGR / max drawdown"),
        Figure("max drawdown", percent(m.get("max_drawdown")), "neg" if as_float(m.get("max_drawdown")) else "",
               "of the running peak"),
        Figure("max drawdown duration", _days(m.get("max_drawdown_duration_days")), "",
               "longest peak-to-recovery; an unrecovered one runs to the end"),
        Figure("trades", number(m.get("num_trades", len(report.frames.trades)))),
        Figure("win rate", percent(m.get("win_rate"))),
        Figure("profit factor", number(m.get("profit_factor")), "", "gross profit / gross loss"),
        Figure("expectancy (USDT)", money(m.get("expectancy")), sign_class(m.get("expectancy")),
               "mean net PnL per trade"),
        Figure("fees paid (USDT)", money(fees) if fees is not None else money(m.get("fees_paid")), "",
               f"exact: {exact_money(fees)}" if fees is not None else ""),
        Figure("funding (USDT)", money(funding) if funding is not None else NOT_AVAILABLE, sign_class(funding),
               "+ received, - paid" + (f"; exact: {exact_money(funding)}" if funding is not None else "")),
        Figure("time in market", percent(m.get("exposure"))),
    ]
    stats = report.venue_stats
    if "ambiguous_bars" in stats:
        figures.append(Figure("ambiguous bars", number(stats["ambiguous_bars"]), "",
                              "bars where stop and target were both in range: counted as the stop"))
    for key, label in (("liquidations", "liquidations"), ("rejected_orders", "orders rejected")):
        if key in stats:
            figures.append(Figure(label, number(stats[key]), "neg" if stats[key] else ""))
    return figures


def _days(value: object) -> str:
    days = as_float(value)
    return NOT_AVAILABLE if days is None else f"{days:,.1f} days"


def meta_rows(report: ReportInput) -> list[tuple[str, str]]:
    """Label and value of everything that identifies the run."""
    meta = report.meta
    days = (meta.end_ts - meta.start_ts) / 86_400_000
    rows = [
        ("data", "real market data (not generated)" if meta.is_real_data else meta.data_label),
        ("period", f"{utc_minute(meta.start_ts)} to {utc_minute(meta.end_ts)} ({days:,.2f} days)"),
        ("execution timeframe", meta.timeframe),
        ("starting balance", f"{exact_money(meta.starting_balance)} USDT"),
        ("final balance (ledger)", f"{exact_money(meta.final_balance)} USDT"),
    ]
    final_equity = as_float(report.metrics.get("final_equity"))
    if final_equity is not None:
        rows.append(("final equity (incl. open positions)", f"{money(final_equity)} USDT"))
    rows.append(("config fingerprint", meta.fingerprint))
    if meta.code_version:
        rows.append(("code version", meta.code_version))
    if meta.generated_at:
        rows.append(("generated", meta.generated_at))
    rows.extend(("candles", line) for line in meta.data_sources)
    return rows


_BREAKDOWNS: dict[str, tuple[str, str]] = {
    "strategy": ("Per strategy", "A trade counts once for each strategy that agreed with its entry, so the rows "
                                 "can add up to more than all trades."),
    "symbol": ("Per symbol", ""),
    "regime": ("Per regime", "The market regime when the trade was entered."),
    "exit_reason": ("Per exit reason", ""),
    "side": ("Per side", ""),
}
_COLUMNS: dict[str, tuple[str, Callable[[object], str], bool]] = {
    "count": ("trades", number, False),
    "net_pnl": ("net PnL (USDT)", money, True),
    "win_rate": ("win rate", percent, False),
    "avg_pnl": ("avg PnL (USDT)", money, True),
    "profit_factor": ("profit factor", number, False),
}


def breakdown_tables(breakdowns: dict[str, list[dict[str, object]]]) -> list[Table]:
    """One table per breakdown key, the usual ones first; columns not known here are printed as they are."""
    keys = [k for k in _BREAKDOWNS if k in breakdowns] + sorted(k for k in breakdowns if k not in _BREAKDOWNS)
    tables: list[Table] = []
    for key in keys:
        rows = breakdowns[key]
        title, note = _BREAKDOWNS.get(key, (f"Per {key.replace('_', ' ')}", ""))
        columns = list(dict.fromkeys(c for row in rows for c in row if c != "key"))
        header = [key.replace("_", " "), *(_COLUMNS[c][0] if c in _COLUMNS else c.replace("_", " ") for c in columns)]
        body = [[Cell(str(row.get("key", ""))), *(_cell(c, row.get(c)) for c in columns)] for row in rows]
        tables.append(Table(f"by-{key.replace('_', '-')}", title, note, header, body))
    return tables


def _cell(column: str, value: object) -> Cell:
    if column in _COLUMNS:
        _, fmt, signed = _COLUMNS[column]
        return Cell(fmt(value), "num " + (sign_class(value) if signed else ""))
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return Cell(number(value), "num")
    return Cell("" if value is None else str(value))


def monthly_table(monthly: MonthlyReturns) -> Table:
    """Years down, months across, the year's compound return last; cells shaded by size and sign."""
    finite = monthly.by_month[np.isfinite(monthly.by_month)]
    scale = float(np.max(np.abs(finite))) if finite.size else 0.0
    rows = []
    for i, year in enumerate(monthly.years):
        cells = [Cell(str(year))]
        cells.extend(_heat(float(v), scale) for v in monthly.by_month[i])
        cells.append(_heat(float(monthly.by_year[i]), 0.0))
        rows.append(cells)
    note = ("Each month from the previous month's last equity; the first month from the starting balance. "
            "Open positions are valued at the candle close.")
    return Table("monthly", "Monthly returns", note, ["year", *MONTHS, "year"], rows)


def _heat(value: float, scale: float) -> Cell:
    if math.isnan(value):
        return Cell("", "num")
    text = f"{value * 100:,.1f} %"
    if scale <= 0:
        return Cell(text, "num " + sign_class(value))
    alpha = min(1.0, abs(value) / scale) * 0.55 + 0.05
    rgb = "26,152,80" if value > 0 else "215,48,39" if value < 0 else "200,200,200"
    return Cell(text, "num", f"background-color: rgba({rgb},{alpha:.2f})")
