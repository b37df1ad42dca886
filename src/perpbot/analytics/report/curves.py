"""The equity curve as a report draws it: drawdown at every point, and returns per calendar month."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from perpbot.analytics.report.downsample import envelope_indices

Floats = npt.NDArray[np.float64]
Ints = npt.NDArray[np.int64]


def drawdown(equity: Floats, starting_balance: float) -> Floats:
    """Fraction below the running peak at each point (0.2 = 20 % down); the peak starts at the starting
    balance, as in the metrics, so a run that starts by losing shows that loss as drawdown."""
    peak = np.maximum.accumulate(np.maximum(equity, starting_balance))
    out: Floats = (peak - equity) / peak
    return out


@dataclass(frozen=True, slots=True)
class EquityView:
    """The curve to draw: a subset of rows that keeps every bucket's extremes, with its drawdown."""

    ts: Ints
    equity: Floats
    drawdown: Floats  # fraction, computed on every row before thinning
    source_points: int
    max_drawdown: float  # over every row given

    @property
    def thinned(self) -> bool:
        return self.ts.size < self.source_points


def equity_view(ts: Ints, equity: Floats, starting_balance: float, max_points: int) -> EquityView:
    """Drawdown on every row given, then the rows a chart of `max_points` needs (see `envelope_indices`)."""
    depth = drawdown(equity, starting_balance)
    keep = envelope_indices(equity, depth, max_points)
    return EquityView(ts[keep], equity[keep], depth[keep], int(equity.size), float(depth.max()))


@dataclass(frozen=True, slots=True)
class MonthlyReturns:
    """Simple returns per UTC calendar month; NaN for months outside the run."""

    years: list[int]
    by_month: Floats  # shape (len(years), 12)
    by_year: Floats  # shape (len(years),)


def monthly_returns(ts: Ints, equity: Floats, starting_balance: float) -> MonthlyReturns:
    """Each month's return from the previous month's last equity (the first month: from the starting balance).

    Equity points are bar close times: a close exactly at midnight on the 1st ends the previous month,
    so it counts there. A month with no point of its own (a gap in a thinned curve) shows no return,
    and the next month is measured from the last equity known before it.
    """
    months = ((ts - 1).astype("datetime64[ms]").astype("datetime64[M]")).astype(np.int64)  # months since 1970-01
    is_last = np.r_[months[1:] != months[:-1], True]
    month_ids, closing = months[is_last], equity[is_last]
    opening = np.r_[starting_balance, closing[:-1]]
    returns = np.where(opening > 0, closing / np.where(opening > 0, opening, 1.0) - 1.0, np.nan)
    first_year, last_year = int(month_ids[0] // 12) + 1970, int(month_ids[-1] // 12) + 1970
    years = list(range(first_year, last_year + 1))
    by_month = np.full((len(years), 12), np.nan)
    by_month[month_ids // 12 + 1970 - first_year, month_ids % 12] = returns
    year_of = month_ids // 12 + 1970
    by_year = np.full(len(years), np.nan)
    for row, year in enumerate(years):
        inside = year_of == year
        if inside.any():
            start = opening[np.flatnonzero(inside)[0]]
            by_year[row] = closing[np.flatnonzero(inside)[-1]] / start - 1.0 if start > 0 else np.nan
    return MonthlyReturns(years, by_month, by_year)
