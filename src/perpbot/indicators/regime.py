"""Regime features: is the market trending, ranging or unusually volatile?

Plain per-candle arrays, no decision: a regime classifier (in `signals/`) turns them into a label.
- ADX: trend strength regardless of direction (above ~25 usually reads as trending).
- NATR: ATR as a percent of price, the volatility level comparable across symbols.
- efficiency ratio (Kaufman): net move / path length over N candles, 1 = straight line, ~0 = chop.
- Bollinger bandwidth: band width / middle, low in a squeeze, high after an expansion.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from perpbot.indicators.ta import Array, adx, as_f64, bbands, natr, rolling_sum
from perpbot.indicators.warmup import adx_warmup, atr_warmup, sma_warmup

__all__ = ["RegimeFeatures", "bandwidth", "efficiency_ratio", "regime_features", "regime_warmup"]


def efficiency_ratio(close: npt.ArrayLike, period: int = 20) -> Array:
    """Kaufman's efficiency ratio in [0, 1]: |close - close[t - period]| / sum of |bar-to-bar moves|.

    A perfectly flat stretch (no movement at all) reads 0. Lookback `period`.
    """
    c = as_f64(close)
    out = np.full(c.size, np.nan)
    if c.size <= period:
        return out
    moves = np.empty_like(c)
    moves[0] = np.nan
    np.abs(np.diff(c), out=moves[1:])
    path = rolling_sum(moves, period)[period:]
    net = np.abs(c[period:] - c[:-period])
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(path > 0.0, net / path, 0.0)
    # Summation order differs from the per-bar moves, so clip the rounding residue.
    out[period:] = np.clip(ratio, 0.0, 1.0)
    return out


def bandwidth(close: npt.ArrayLike, period: int = 20, nbdev: float = 2.0) -> Array:
    """Bollinger bandwidth: (upper - lower) / middle. Lookback period - 1."""
    upper, middle, lower = bbands(close, period, nbdev)
    with np.errstate(divide="ignore", invalid="ignore"):
        return (upper - lower) / middle


@dataclass(frozen=True, slots=True)
class RegimeFeatures:
    """Regime features aligned row-for-row with the candles they came from."""

    adx: Array
    natr: Array
    efficiency: Array
    bandwidth: Array

    def row(self, index: int = -1) -> dict[str, float]:
        """One row as plain floats (NaN during warm-up), e.g. the latest for a live classifier."""
        return {
            "adx": float(self.adx[index]),
            "natr": float(self.natr[index]),
            "efficiency": float(self.efficiency[index]),
            "bandwidth": float(self.bandwidth[index]),
        }


def regime_features(
    high: npt.ArrayLike,
    low: npt.ArrayLike,
    close: npt.ArrayLike,
    *,
    adx_period: int = 14,
    atr_period: int = 14,
    er_period: int = 20,
    bb_period: int = 20,
) -> RegimeFeatures:
    """All regime features in one pass over the candles."""
    h, lo, c = as_f64(high), as_f64(low), as_f64(close)
    return RegimeFeatures(
        adx=adx(h, lo, c, adx_period),
        natr=natr(h, lo, c, atr_period),
        efficiency=efficiency_ratio(c, er_period),
        bandwidth=bandwidth(c, bb_period),
    )


def regime_warmup(*, adx_period: int = 14, atr_period: int = 14, er_period: int = 20, bb_period: int = 20) -> int:
    """Closed candles needed before every feature is valid and independent of the window start."""
    return max(adx_warmup(adx_period), atr_warmup(atr_period), er_period + 1, sma_warmup(bb_period))
