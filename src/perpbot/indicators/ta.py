"""Thin helpers over TA-Lib: float64 numpy arrays in, float64 numpy arrays out.

Each output is aligned with its input; the first `lookback` values are NaN. No pandas here: these run
in the hot path of every backtest and every live cycle.
"""

from __future__ import annotations

from typing import Any, cast

import numpy as np
import numpy.typing as npt
import talib

Array = npt.NDArray[np.float64]

__all__ = [
    "Array",
    "adx",
    "as_f64",
    "atr",
    "bbands",
    "donchian",
    "ema",
    "lag",
    "macd",
    "minus_di",
    "natr",
    "plus_di",
    "roc",
    "rolling_max",
    "rolling_min",
    "rolling_sum",
    "rsi",
    "sma",
    "stddev",
    "true_range",
]


def _raw(function: Any) -> Any:
    """The TA-Lib C function without talib's pandas/polars wrapper.

    The wrapper looks for a Series among the arguments on every call; the live path makes over a
    hundred calls per symbol and close, all on float64 arrays of a few hundred values, where that
    look cost about as much as the indicator itself.
    """
    return getattr(function, "__wrapped__", function)


_SMA, _EMA, _RSI, _TRANGE, _ATR, _NATR, _ADX = map(
    _raw, (talib.SMA, talib.EMA, talib.RSI, talib.TRANGE, talib.ATR, talib.NATR, talib.ADX))
_PLUS_DI, _MINUS_DI, _BBANDS, _MACD, _ROC, _STDDEV, _MAX, _MIN, _SUM = map(
    _raw, (talib.PLUS_DI, talib.MINUS_DI, talib.BBANDS, talib.MACD, talib.ROC, talib.STDDEV, talib.MAX, talib.MIN,
           talib.SUM))


def as_f64(values: npt.ArrayLike) -> Array:
    """A C-contiguous float64 view of `values` (no copy when it already is one), as TA-Lib needs."""
    return np.ascontiguousarray(values, dtype=np.float64)


def _out(values: object) -> Array:
    return cast(Array, values)


def sma(close: npt.ArrayLike, period: int) -> Array:
    """Simple moving average; lookback period - 1."""
    return _out(_SMA(as_f64(close), timeperiod=period))


def ema(close: npt.ArrayLike, period: int) -> Array:
    """Exponential moving average (alpha = 2 / (period + 1), seeded with the SMA); lookback period - 1."""
    return _out(_EMA(as_f64(close), timeperiod=period))


def rsi(close: npt.ArrayLike, period: int = 14) -> Array:
    """Wilder's RSI in [0, 100]; lookback period."""
    return _out(_RSI(as_f64(close), timeperiod=period))


def true_range(high: npt.ArrayLike, low: npt.ArrayLike, close: npt.ArrayLike) -> Array:
    """True range (uses the previous close); lookback 1."""
    return _out(_TRANGE(as_f64(high), as_f64(low), as_f64(close)))


def atr(high: npt.ArrayLike, low: npt.ArrayLike, close: npt.ArrayLike, period: int = 14) -> Array:
    """Wilder's average true range, in price units; lookback period."""
    return _out(_ATR(as_f64(high), as_f64(low), as_f64(close), timeperiod=period))


def natr(high: npt.ArrayLike, low: npt.ArrayLike, close: npt.ArrayLike, period: int = 14) -> Array:
    """ATR as a percentage of the close (ATR%), comparable across symbols; lookback period."""
    return _out(_NATR(as_f64(high), as_f64(low), as_f64(close), timeperiod=period))


def adx(high: npt.ArrayLike, low: npt.ArrayLike, close: npt.ArrayLike, period: int = 14) -> Array:
    """Wilder's average directional index in [0, 100] (trend strength, not direction); lookback 2 * period - 1."""
    return _out(_ADX(as_f64(high), as_f64(low), as_f64(close), timeperiod=period))


def plus_di(high: npt.ArrayLike, low: npt.ArrayLike, close: npt.ArrayLike, period: int = 14) -> Array:
    """+DI, the upward directional indicator; lookback period."""
    return _out(_PLUS_DI(as_f64(high), as_f64(low), as_f64(close), timeperiod=period))


def minus_di(high: npt.ArrayLike, low: npt.ArrayLike, close: npt.ArrayLike, period: int = 14) -> Array:
    """-DI, the downward directional indicator; lookback period."""
    return _out(_MINUS_DI(as_f64(high), as_f64(low), as_f64(close), timeperiod=period))


def bbands(close: npt.ArrayLike, period: int = 20, nbdev: float = 2.0) -> tuple[Array, Array, Array]:
    """Bollinger bands on the SMA: (upper, middle, lower); lookback period - 1."""
    upper, middle, lower = _BBANDS(as_f64(close), timeperiod=period, nbdevup=nbdev, nbdevdn=nbdev)
    return _out(upper), _out(middle), _out(lower)


def macd(close: npt.ArrayLike, fast: int = 12, slow: int = 26, signal: int = 9) -> tuple[Array, Array, Array]:
    """MACD line, signal line and histogram; lookback slow + signal - 2."""
    line, sig, hist = _MACD(as_f64(close), fastperiod=fast, slowperiod=slow, signalperiod=signal)
    return _out(line), _out(sig), _out(hist)


def roc(close: npt.ArrayLike, period: int = 10) -> Array:
    """Rate of change in percent: 100 * (close / close[t - period] - 1); lookback period."""
    return _out(_ROC(as_f64(close), timeperiod=period))


def stddev(close: npt.ArrayLike, period: int) -> Array:
    """Rolling population standard deviation; lookback period - 1."""
    return _out(_STDDEV(as_f64(close), timeperiod=period, nbdev=1.0))


def rolling_max(values: npt.ArrayLike, period: int) -> Array:
    """Highest value of the last `period` rows, this row included (exact: no arithmetic); lookback period - 1."""
    return _out(_MAX(as_f64(values), timeperiod=period))


def rolling_min(values: npt.ArrayLike, period: int) -> Array:
    """Lowest value of the last `period` rows, this row included; lookback period - 1."""
    return _out(_MIN(as_f64(values), timeperiod=period))


def rolling_sum(values: npt.ArrayLike, period: int) -> Array:
    """Sum of the last `period` rows; lookback period - 1."""
    return _out(_SUM(as_f64(values), timeperiod=period))


def donchian(high: npt.ArrayLike, low: npt.ArrayLike, period: int) -> tuple[Array, Array]:
    """Donchian channel (highest high, lowest low) of the last `period` rows, this row included.

    For a breakout test against the *previous* N bars, compare with `lag(upper, 1)`.
    """
    return rolling_max(high, period), rolling_min(low, period)


def lag(values: npt.ArrayLike, periods: int = 1) -> Array:
    """`values` delayed by `periods` rows (row t holds row t - periods); the first rows are NaN.

    Only backward shifts exist here: a forward shift would leak the future into a signal.
    """
    if periods < 0:
        raise ValueError(f"lag periods must be >= 0, was {periods}")
    src = as_f64(values)
    out = np.empty_like(src)
    out[:periods] = np.nan
    if periods < src.size:
        out[periods:] = src[: src.size - periods]
    return out
