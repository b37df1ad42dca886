"""An equity curve at a resolution a chart can use, without hiding the drawdown.

Each bucket keeps its highest, lowest and last points, in time order. The deepest drawdown runs from
some bucket's highest point to a later (or the same bucket's later) lowest point, and both are kept, so
the stored curve has exactly the real curve's maximum drawdown.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

MAX_POINTS = 5000


def downsample_equity(frame: pd.DataFrame, max_points: int = MAX_POINTS) -> pd.DataFrame:
    """At most about `max_points` rows of (ts, equity, exposed); the frame itself when already small."""
    n = len(frame)
    if n <= max_points:
        return frame.reset_index(drop=True)
    buckets = max(1, max_points // 3)
    edges = np.linspace(0, n, buckets + 1).astype(np.int64)
    equity = frame["equity"].to_numpy(dtype=np.float64)
    keep = np.empty(3 * buckets, dtype=np.int64)
    for i in range(buckets):
        a, b = int(edges[i]), max(int(edges[i + 1]), int(edges[i]) + 1)
        keep[3 * i] = a + int(np.argmax(equity[a:b]))
        keep[3 * i + 1] = a + int(np.argmin(equity[a:b]))
        keep[3 * i + 2] = b - 1
    rows = np.unique(np.concatenate([[0], keep]))  # sorted, first point kept for the starting equity
    return frame.iloc[rows].reset_index(drop=True)


def max_drawdown(equity: np.ndarray) -> float:
    """The largest fall from a running peak, as a fraction of that peak."""
    if not len(equity):
        return 0.0
    peaks = np.maximum.accumulate(equity)
    return float(np.max((peaks - equity) / peaks))
