"""How many candles an indicator needs before its value no longer depends on where the data starts.

Live trading computes on a rolling window (e.g. the last 500 candles); a backtest computes once on the
whole history. Finite-window indicators (SMA, MAX, ROC, Bollinger) agree as soon as their lookback is
covered. Recursive ones (EMA, Wilder's RSI/ATR/ADX) are seeded from the first values they see and
remember that seed forever, shrinking by a factor r = 1 - alpha per candle. They agree to
`SETTLE_TOLERANCE` (relative to the seed's error) once r**n <= tolerance, i.e. after

    n = ln(tolerance) / ln(1 - alpha)  candles after the seed,

about 11.5 * (period + 1) for an EMA (alpha = 2 / (period + 1)) and 23 * period for Wilder's smoothing
(alpha = 1 / period) at 1e-10. Cascaded smoothers (ADX, MACD's signal line) are bounded by
C(n + k - 1, k - 1) * r_max**n <= tolerance for k stages.

The `*_warmup` functions return the number of CLOSED candles needed so that the last row is valid and
settled: a window at least that long gives the same value as the full history. Rule of thumb for the
live window: at least 12.5 x the longest EMA period, 24 x the longest RSI/ATR period, 32 x the ADX
period (the SMA-like ones need just their period). Examples: EMA 34 -> 426, MACD 12/26/9 -> 411,
ATR 14 or RSI 14 -> 326, ADX 14 -> 420; so the default live window of 500 covers periods up to
EMA 39, RSI/ATR 21, ADX 16.
"""

from __future__ import annotations

import math

SETTLE_TOLERANCE = 1e-10
"""Residual weight of the seed accepted as 'forgotten': far below a price tick, and below the 1e-9
relative agreement the parity tests demand of stop distances."""


def settle_bars(*alphas: float, tolerance: float = SETTLE_TOLERANCE) -> int:
    """Candles after the seed until a cascade of exponential smoothers (one alpha per stage) forgets it."""
    if not alphas:
        return 0
    for alpha in alphas:
        if not 0.0 < alpha <= 1.0:
            raise ValueError(f"smoothing alpha must be in (0, 1], was {alpha}")
    r = 1.0 - min(alphas)
    if r == 0.0:
        return 0
    stages = len(alphas)
    n = math.ceil(math.log(tolerance) / math.log(r))
    while math.comb(n + stages - 1, stages - 1) * r**n > tolerance:
        n += 1
    return n


def ema_alpha(period: int) -> float:
    return 2.0 / (period + 1.0)


def wilder_alpha(period: int) -> float:
    return 1.0 / period


def sma_warmup(period: int) -> int:
    """SMA, rolling max/min/sum/stddev, Donchian, Bollinger bands: exactly the lookback window."""
    return period


def ema_warmup(period: int) -> int:
    return period + settle_bars(ema_alpha(period))


def rsi_warmup(period: int) -> int:
    return period + 1 + settle_bars(wilder_alpha(period))


def atr_warmup(period: int) -> int:
    """ATR and NATR (Wilder smoothing of the true range, which needs the previous close)."""
    return period + 1 + settle_bars(wilder_alpha(period))


def adx_warmup(period: int) -> int:
    """ADX: Wilder-smoothed directional movement, then a Wilder average of DX (two stages)."""
    return 2 * period + settle_bars(wilder_alpha(period), wilder_alpha(period))


def macd_warmup(fast: int, slow: int, signal: int) -> int:
    """MACD histogram: the slower line's EMA, then the signal EMA over it (two stages)."""
    return max(fast, slow) + signal - 1 + settle_bars(ema_alpha(max(fast, slow)), ema_alpha(signal))


def roc_warmup(period: int) -> int:
    return period + 1
