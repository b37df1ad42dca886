"""An equity curve at a resolution a chart can use, without hiding the drawdown.

The curve is cut into equal buckets of points; each bucket keeps its highest, lowest and last points,
which draws the same envelope as the full curve. Bucket extremes alone can still understate the
deepest drawdown (a peak early in a bucket, a trough after it and a higher point later in the same
bucket keep only the trough and the higher point), so the peak and the trough of the deepest drawdown
(as a fraction of the peak, and in money) are kept too. A subset of the points cannot show a deeper
fall than the full curve, and it holds that pair, so its maximum drawdown is exactly the real one.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

MAX_POINTS = 5000


def downsample_equity(frame: pd.DataFrame, max_points: int = MAX_POINTS) -> pd.DataFrame:
    """At most `max_points + 5` rows of (ts, equity, exposed) in time order; every row when already small."""
    n = len(frame)
    if n <= max_points:
        return frame.reset_index(drop=True)
    equity = frame["equity"].to_numpy(dtype=np.float64)
    buckets = max(1, max_points // 3)
    edges = np.linspace(0, n, buckets + 1).astype(np.int64)
    keep = np.empty(3 * buckets, dtype=np.int64)
    for i in range(buckets):
        a, b = int(edges[i]), max(int(edges[i + 1]), int(edges[i]) + 1)
        keep[3 * i] = a + int(np.argmax(equity[a:b]))
        keep[3 * i + 1] = a + int(np.argmin(equity[a:b]))
        keep[3 * i + 2] = b - 1
    rows = np.unique(np.concatenate([[0], keep, _deepest_drawdowns(equity)]))  # sorted and distinct
    return frame.iloc[rows].reset_index(drop=True)


def _deepest_drawdowns(equity: np.ndarray) -> np.ndarray:
    """Indices of the peak and trough of the deepest fall as a fraction of the peak, and in money."""
    peaks = np.maximum.accumulate(equity)
    falls = peaks - equity
    with np.errstate(divide="ignore", invalid="ignore"):
        fractions = np.where(peaks > 0, falls / peaks, 0.0)
    out = []
    for depth in (fractions, falls):
        trough = int(np.argmax(depth))
        out += [int(np.argmax(equity[: trough + 1])), trough]
    return np.asarray(out, dtype=np.int64)


def max_drawdown(equity: np.ndarray) -> float:
    """The largest fall from a running peak, as a fraction of that peak."""
    if not len(equity):
        return 0.0
    peaks = np.maximum.accumulate(equity)
    return float(np.max((peaks - equity) / peaks))
