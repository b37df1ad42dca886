"""Fewer points for a screen that cannot show more, without hiding what matters.

A year of one-minute bars is 525,600 points; a chart a few thousand pixels wide shows a few thousand.
The equity curve keeps, in every bucket of consecutive rows, the lowest and highest equity and the
deepest drawdown, so no peak, trough or drawdown is flattened. Candles are merged into a coarser
timeframe the way an exchange builds them (first open, highest high, lowest low, last close).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pandas as pd

from perpbot.model.timeframe import TIMEFRAMES, timeframe_ms

Floats = npt.NDArray[np.float64]
Ints = npt.NDArray[np.int64]

MIN_POINTS = 5  # the two ends plus one bucket's low, high and deepest point


def envelope_indices(equity: Floats, depth: Floats, max_points: int) -> Ints:
    """Rows to draw: both ends, and in each bucket the lowest and highest equity and the deepest drawdown.

    At most `max_points` rows, in time order; every row when there are no more than that.
    """
    if max_points < MIN_POINTS:
        raise ValueError(f"max_points must be at least {MIN_POINTS}, was {max_points}")
    n = int(equity.size)
    if n <= max_points:
        return np.arange(n, dtype=np.int64)
    size = -(-n // ((max_points - 2) // 3))  # rows per bucket, so that 3 per bucket + 2 ends fit
    buckets = -(-n // size)
    pad = buckets * size - n
    offsets = np.arange(buckets, dtype=np.int64) * size

    def per_bucket(values: Floats, fill: float) -> npt.NDArray[np.float64]:
        return np.concatenate([values, np.full(pad, fill)]).reshape(buckets, size)

    lows = per_bucket(equity, np.inf).argmin(axis=1) + offsets
    highs = per_bucket(equity, -np.inf).argmax(axis=1) + offsets
    deepest = per_bucket(depth, -np.inf).argmax(axis=1) + offsets
    ends = np.array([0, n - 1], dtype=np.int64)
    return np.unique(np.concatenate([ends, lows, highs, deepest]))


@dataclass(frozen=True, slots=True)
class ChartCandles:
    """Candles ready to draw, and what was done to them."""

    frame: pd.DataFrame  # ts (bucket open time, ms UTC), open, high, low, close
    timeframe: str  # the timeframe drawn
    source_timeframe: str  # the timeframe given
    source_rows: int

    @property
    def resampled(self) -> bool:
        return self.timeframe != self.source_timeframe


def timeframe_name(step_ms: int) -> str:
    """perpbot's name for a candle length ("15m", "4h"), or the length in minutes if it has none."""
    for name in TIMEFRAMES:
        if timeframe_ms(name) == step_ms:
            return name
    return f"{step_ms / 60_000:g} min"


def chart_candles(frame: pd.DataFrame, max_candles: int) -> ChartCandles:
    """The finest timeframe that draws `frame` in at most `max_candles` candles (1d at the coarsest)."""
    if max_candles < 1:
        raise ValueError(f"max_candles must be at least 1, was {max_candles}")
    ts = frame["ts"].to_numpy(dtype=np.int64)
    base = int(np.diff(ts).min()) if ts.size > 1 else timeframe_ms("1m")
    source_tf = timeframe_name(base)
    columns = ["ts", "open", "high", "low", "close"]
    if ts.size <= max_candles:
        return ChartCandles(frame[columns].reset_index(drop=True), source_tf, source_tf, int(ts.size))
    coarser = [timeframe_ms(tf) for tf in TIMEFRAMES if timeframe_ms(tf) > base and timeframe_ms(tf) % base == 0]
    if not coarser:
        return ChartCandles(frame[columns].reset_index(drop=True), source_tf, source_tf, int(ts.size))
    step = next((s for s in coarser if ts[-1] // s - ts[0] // s + 1 <= max_candles), coarser[-1])
    return ChartCandles(merge_candles(frame, step), timeframe_name(step), source_tf, int(ts.size))


def merge_candles(frame: pd.DataFrame, step_ms: int) -> pd.DataFrame:
    """Candles of `step_ms` from finer ones: first open, highest high, lowest low, last close.

    Unlike the data layer's resampling, partial buckets at the ends are kept: the chart must show
    the first and last hours of the run, and their candles are still true for the time they cover.
    """
    ts = frame["ts"].to_numpy(dtype=np.int64)
    bucket = ts - ts % step_ms
    starts = np.flatnonzero(np.r_[True, bucket[1:] != bucket[:-1]])
    ends = np.r_[starts[1:], ts.size] - 1
    return pd.DataFrame({
        "ts": bucket[starts],
        "open": frame["open"].to_numpy(dtype=np.float64)[starts],
        "high": np.maximum.reduceat(frame["high"].to_numpy(dtype=np.float64), starts),
        "low": np.minimum.reduceat(frame["low"].to_numpy(dtype=np.float64), starts),
        "close": frame["close"].to_numpy(dtype=np.float64)[ends],
    })
