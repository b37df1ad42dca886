"""Statistics of an equity curve: UTC daily returns, annualised ratios, CAGR and drawdowns.

Crypto trades every day, so a year is 365 daily periods; the risk-free rate is 0.
"""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt

from perpbot.analytics.numbers import safe_ratio

Floats = npt.NDArray[np.float64]
Ints = npt.NDArray[np.int64]

DAY_MS = 86_400_000
PERIODS_PER_YEAR = 365
YEAR_MS = PERIODS_PER_YEAR * DAY_MS
_BLOCK = 65_536  # bars per block of the drawdown's temporaries (half a MB each)


def daily_equity(equity: Floats, timestamps_ms: Ints) -> Floats:
    """Equity at each UTC day end, from the first to the last observed day.

    A day's value is its last observation; a day without observations keeps the previous value.
    """
    # The last observation at or before each day's end, found by a search of the sorted times: no temporary as
    # long as the curve (this runs where a backtest's memory peaks).
    calendar = np.arange(timestamps_ms[0] // DAY_MS, timestamps_ms[-1] // DAY_MS + 1, dtype=np.int64)
    return equity[np.searchsorted(timestamps_ms, (calendar + 1) * DAY_MS, side="left") - 1]


def daily_returns(equity: Floats, timestamps_ms: Ints, starting_balance: float) -> Floats:
    """Simple returns between UTC day ends; the first day is measured from `starting_balance`.

    A return whose base equity is <= 0 is undefined (NaN).
    """
    values = daily_equity(equity, timestamps_ms)
    base = np.concatenate([[starting_balance], values[:-1]])
    out = np.full(values.size, np.nan)
    np.divide(values, base, out=out, where=base > 0)
    return out - 1.0


def sharpe(daily: Floats) -> float:
    """Annualised Sharpe: mean / sample stdev (ddof 1) of daily returns x sqrt(365); NaN with < 2 days."""
    if daily.size < 2 or np.isnan(daily).any():
        return math.nan
    mean = float(np.mean(daily))
    return safe_ratio(mean, float(np.std(daily, ddof=1))) * math.sqrt(PERIODS_PER_YEAR)


def sortino(daily: Floats) -> float:
    """Annualised Sortino: mean / downside deviation x sqrt(365), downside = sqrt(mean(min(r, 0)^2)) over all days."""
    if daily.size < 2 or np.isnan(daily).any():
        return math.nan
    downside = math.sqrt(float(np.mean(np.minimum(daily, 0.0) ** 2)))
    return safe_ratio(float(np.mean(daily)), downside) * math.sqrt(PERIODS_PER_YEAR)


def cagr(starting_balance: float, final_equity: float, span_ms: int) -> float:
    """Compound annual growth over `span_ms` (a 365-day year); -1 when wiped out, NaN for a zero span.

    A span shorter than a year is extrapolated, as the formula does; it can be huge (or inf).
    """
    if span_ms <= 0:
        return math.nan
    if final_equity <= 0:
        return -1.0
    exponent = math.log(final_equity / starting_balance) * YEAR_MS / span_ms
    try:
        return math.expm1(exponent)
    except OverflowError:  # beyond the largest float (an exponent above ~709.78), not before it
        return math.inf


def drawdowns(equity: Floats, timestamps_ms: Ints, starting_balance: float) -> tuple[float, float]:
    """(max drawdown as a fraction of the peak, longest drawdown in days).

    The peak starts at `starting_balance`. A drawdown lasts from the time of its peak (the last bar
    at the peak, or the first bar if the curve starts below the starting balance) to the first bar
    back at or above the peak, or to the last bar if it never recovers.
    """
    # Whole-curve float temporaries only a block long: this runs at the end of a backtest, where memory peaks,
    # and a year of minutes makes each float series 4 MB. The running peak carries from block to block, and
    # a maximum is exact, so the figures are those of the whole curve at once.
    underwater = np.empty(equity.size, dtype=bool)
    carried, max_dd = starting_balance, 0.0
    for start in range(0, equity.size, _BLOCK):
        part = equity[start:start + _BLOCK]
        peak = np.maximum(part, carried)
        np.maximum.accumulate(peak, out=peak)
        np.less(part, peak, out=underwater[start:start + _BLOCK])
        drop = np.subtract(peak, part)
        drop /= peak
        max_dd = max(max_dd, float(np.max(drop)))
        carried = float(peak[-1])
    if not underwater.any():
        return 0.0, 0.0
    # A drawdown ending at a recovery (or at the last bar) started at the last bar at the peak before it.
    at_peak = np.flatnonzero(~underwater)
    recovered = np.flatnonzero(~underwater[1:] & underwater[:-1]) + 1
    last_under = np.append(recovered - 1, equity.size - 1) if underwater[-1] else recovered - 1
    before = np.searchsorted(at_peak, last_under, side="right") - 1
    peak_bars = at_peak if at_peak.size else np.zeros(1, dtype=np.int64)
    start_ts = np.where(before >= 0, timestamps_ms[peak_bars[np.maximum(before, 0)]], timestamps_ms[0])
    ends = np.append(timestamps_ms[recovered], timestamps_ms[-1]) if underwater[-1] else timestamps_ms[recovered]
    return max_dd, int(np.max(ends - start_ts)) / DAY_MS

