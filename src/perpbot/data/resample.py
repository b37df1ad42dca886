"""Candles of a coarser timeframe built from finer ones, the way Bybit builds them.

Buckets start at multiples of the target length since the epoch (so 4h candles open at 00, 04, ...
UTC, and 1d at midnight UTC). Only complete buckets are kept: a partial candle would look like a
real one with a wrong high, low or volume.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd

from perpbot.data.frames import empty_candles
from perpbot.errors import DataError
from perpbot.model.timeframe import TIMEFRAMES, timeframe_ms


def can_resample(from_tf: str, to_tf: str) -> bool:
    """True when `to_tf` is a whole multiple of `from_tf` (and not finer)."""
    src, dst = timeframe_ms(from_tf), timeframe_ms(to_tf)
    return dst >= src and dst % src == 0


def finer_timeframes(to_tf: str, available: Iterable[str]) -> list[str]:
    """The available timeframes that `to_tf` can be built from, coarsest first (fewest rows to read)."""
    timeframe_ms(to_tf)
    usable = {tf for tf in available if tf in TIMEFRAMES and tf != to_tf and can_resample(tf, to_tf)}
    return sorted(usable, key=timeframe_ms, reverse=True)


def resample_candles(df: pd.DataFrame, from_tf: str, to_tf: str) -> pd.DataFrame:
    """Aggregate a valid candle frame: first open, max high, min low, last close, summed volume.

    Leading and trailing buckets that are not complete are dropped (as is any bucket with a hole).
    """
    if not can_resample(from_tf, to_tf):
        raise DataError(f"cannot resample {from_tf} candles to {to_tf}: the target must be a whole multiple "
                        f"of the source timeframe")
    if from_tf == to_tf:
        return df.reset_index(drop=True).copy()
    if df.empty:
        return empty_candles()
    ts = df["ts"].to_numpy(dtype=np.int64)
    if np.any(np.diff(ts) <= 0):
        raise DataError(f"cannot resample {from_tf} candles to {to_tf}: timestamps are not strictly increasing")
    step = timeframe_ms(to_tf)
    per_bucket = step // timeframe_ms(from_tf)
    bucket = ts - ts % step
    starts = np.flatnonzero(np.r_[True, bucket[1:] != bucket[:-1]])
    counts = np.diff(np.r_[starts, len(ts)])
    complete = counts == per_bucket
    ends = starts + counts - 1
    out = pd.DataFrame({
        "ts": bucket[starts],
        "open": df["open"].to_numpy(dtype=np.float64)[starts],
        "high": np.maximum.reduceat(df["high"].to_numpy(dtype=np.float64), starts),
        "low": np.minimum.reduceat(df["low"].to_numpy(dtype=np.float64), starts),
        "close": df["close"].to_numpy(dtype=np.float64)[ends],
        "volume": np.add.reduceat(df["volume"].to_numpy(dtype=np.float64), starts),
    })
    kept: pd.DataFrame = out.loc[complete].reset_index(drop=True)
    return kept
