"""The performance report of one run: returns, risk-adjusted ratios, drawdowns and trade statistics.

Conventions, also recorded in every report: Sharpe and Sortino use DAILY returns of the equity curve
sampled at UTC day ends, annualised with sqrt(365) (crypto trades every day), risk-free rate 0.
Undefined values are NaN (e.g. a win rate with no trades); ratios over a zero risk are +/-inf.
`to_dict()` is strict-JSON safe: NaN -> null, inf -> "inf", -inf -> "-inf".
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, fields

import numpy as np
import numpy.typing as npt

from perpbot.analytics.equity import (
    DAY_MS,
    PERIODS_PER_YEAR,
    cagr,
    daily_returns,
    drawdowns,
    sharpe,
    sortino,
)
from perpbot.analytics.numbers import json_number, safe_ratio
from perpbot.analytics.trades import BREAKDOWN_KEYS, GroupStats, breakdown, trade_stats
from perpbot.model import Trade

__all__ = [
    "BREAKDOWN_KEYS",
    "GroupStats",
    "PerformanceReport",
    "breakdown",
    "compute_metrics",
    "exposure_from_trades",
]


@dataclass(frozen=True, slots=True)
class PerformanceReport:
    """Every headline metric of a run. Money is in the account currency (USDT), fractions are 0.1 = 10 %."""

    start_ts: int
    end_ts: int
    days: float  # span of the equity curve
    starting_balance: float
    final_equity: float
    total_return: float
    cagr: float  # 365-day years over the curve's span
    sharpe: float  # daily returns, annualised sqrt(365), risk-free 0
    sortino: float  # daily returns, downside deviation vs 0, annualised sqrt(365)
    calmar: float  # cagr / max_drawdown
    max_drawdown: float  # fraction of the running peak
    max_drawdown_duration_days: float  # longest peak-to-recovery; an unrecovered one runs to the end
    num_daily_returns: int
    num_trades: int
    num_wins: int
    num_losses: int
    win_rate: float
    profit_factor: float  # gross profit / gross loss, inf with no losses
    expectancy: float  # mean net PnL per trade
    avg_win: float
    avg_loss: float  # a negative number
    best_trade: float
    worst_trade: float
    longest_win_streak: int
    longest_loss_streak: int
    exposure: float  # fraction of the curve's time with a position open
    fees_paid: float
    funding_paid: float
    periods_per_year: int = PERIODS_PER_YEAR
    risk_free_rate: float = 0.0
    returns_basis: str = "daily returns at UTC day ends"

    def to_dict(self) -> dict[str, object]:
        """Field name -> value, strict-JSON safe (see module doc)."""
        out: dict[str, object] = {}
        for f in fields(self):
            value = getattr(self, f.name)
            out[f.name] = json_number(value) if isinstance(value, float) else value
        return out


def exposure_from_trades(trades: Sequence[Trade], start_ts: int, end_ts: int) -> float:
    """Fraction of [start_ts, end_ts] covered by at least one trade's [entry_ts, exit_ts]; NaN for a zero span."""
    span = end_ts - start_ts
    if span <= 0:
        return math.nan
    covered = 0
    cur_start = cur_end = start_ts  # an empty interval to merge into; every clipped entry is >= start_ts
    for entry, exit_ in sorted((max(t.entry_ts, start_ts), min(t.exit_ts, end_ts)) for t in trades):
        if exit_ <= entry:
            continue
        if entry > cur_end:
            covered += cur_end - cur_start
            cur_start, cur_end = entry, exit_
        else:
            cur_end = max(cur_end, exit_)
    covered += cur_end - cur_start
    return covered / span


def compute_metrics(
    equity: npt.NDArray[np.float64],
    timestamps_ms: npt.NDArray[np.int64],
    trades: Sequence[Trade],
    *,
    starting_balance: float,
    exposure_fraction: float | None = None,
    fees_paid: float,
    funding_paid: float,
    trade_pnl: Sequence[float] | None = None,
) -> PerformanceReport:
    """Build the report from the equity curve (one value per timestamp, sorted) and the closed trades.

    `exposure_fraction` is the time in market as the engine measured it; without it, exposure is
    the union of the trades' holding intervals over the curve's span. `fees_paid`/`funding_paid`
    are the ledger's totals, reported as given. `trade_pnl` is `analytics.trade_pnl(trades)`, when the caller
    has it already.
    """
    eq = np.asarray(equity, dtype=np.float64)
    ts = np.asarray(timestamps_ms, dtype=np.int64)
    if eq.ndim != 1 or eq.size == 0 or eq.shape != ts.shape:
        raise ValueError(
            f"equity and timestamps must be 1-d, non-empty and equally long, were {eq.shape} and {ts.shape}"
        )
    if not np.isfinite(eq).all():
        raise ValueError("equity must be finite everywhere")
    if ts.size > 1 and np.any(ts[1:] < ts[:-1]):
        raise ValueError("timestamps must be sorted ascending")
    if not (math.isfinite(starting_balance) and starting_balance > 0):
        raise ValueError(f"starting_balance must be positive, was {starting_balance}")
    if exposure_fraction is not None and not 0 <= exposure_fraction <= 1:
        raise ValueError(f"exposure_fraction must be in [0, 1], was {exposure_fraction}")

    start_ts, end_ts = int(ts[0]), int(ts[-1])
    final = float(eq[-1])
    daily = daily_returns(eq, ts, starting_balance)
    growth = cagr(starting_balance, final, end_ts - start_ts)
    max_dd, dd_days = drawdowns(eq, ts, starting_balance)
    stats = trade_stats(trades, trade_pnl)
    exposure = exposure_fraction if exposure_fraction is not None else exposure_from_trades(trades, start_ts, end_ts)
    return PerformanceReport(
        start_ts=start_ts,
        end_ts=end_ts,
        days=(end_ts - start_ts) / DAY_MS,
        starting_balance=float(starting_balance),
        final_equity=final,
        total_return=final / starting_balance - 1.0,
        cagr=growth,
        sharpe=sharpe(daily),
        sortino=sortino(daily),
        calmar=safe_ratio(growth, max_dd),
        max_drawdown=max_dd,
        max_drawdown_duration_days=dd_days,
        num_daily_returns=int(daily.size),
        num_trades=stats.num_trades,
        num_wins=stats.num_wins,
        num_losses=stats.num_losses,
        win_rate=stats.win_rate,
        profit_factor=stats.profit_factor,
        expectancy=stats.expectancy,
        avg_win=stats.avg_win,
        avg_loss=stats.avg_loss,
        best_trade=stats.best_trade,
        worst_trade=stats.worst_trade,
        longest_win_streak=stats.longest_win_streak,
        longest_loss_streak=stats.longest_loss_streak,
        exposure=float(exposure),
        fees_paid=float(fees_paid),
        funding_paid=float(funding_paid),
    )
