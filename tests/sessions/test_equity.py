"""The stored equity curve: small enough for a chart, with exactly the real curve's deepest drawdown."""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from perpbot.sessions.equity import downsample_equity, max_drawdown


def _frame(equity: list[float]) -> pd.DataFrame:
    n = len(equity)
    return pd.DataFrame({"ts": np.arange(n, dtype=np.int64) * 60_000, "equity": np.asarray(equity, dtype=np.float64),
                         "exposed": np.arange(n) % 2 == 0})


def _absolute_drawdown(equity: np.ndarray) -> float:
    return float(np.max(np.maximum.accumulate(equity) - equity))


def test_a_peak_inside_a_bucket_that_bucket_extremes_would_lose_is_kept() -> None:
    # 3 buckets of 4: the middle one is [10, 5, 12, 11]; its highest, lowest and last points alone would
    # show a fall from 8 to 5 (37.5 %) instead of the real 10 to 5 (50 %).
    equity = [7.0, 8.0, 6.0, 8.0, 10.0, 5.0, 12.0, 11.0, 11.5, 12.5, 12.0, 12.2]
    kept = downsample_equity(_frame(equity), max_points=9)
    assert len(kept) < len(equity)
    assert 10.0 in kept["equity"].tolist()
    assert max_drawdown(kept["equity"].to_numpy()) == max_drawdown(np.asarray(equity)) == 0.5


def test_a_small_curve_is_kept_whole() -> None:
    frame = _frame([1.0, 2.0, 3.0])
    pd.testing.assert_frame_equal(downsample_equity(frame, max_points=3), frame)


@settings(max_examples=200, deadline=None)
@given(steps=st.lists(st.floats(min_value=-0.2, max_value=0.2, allow_nan=False), min_size=2, max_size=3000),
       max_points=st.integers(min_value=3, max_value=400))
def test_the_stored_curve_keeps_the_drawdown_ends_and_the_time_order(steps: list[float], max_points: int) -> None:
    equity = 1000.0 * np.exp(np.cumsum(steps))
    frame = _frame(equity.tolist())
    kept = downsample_equity(frame, max_points)
    values = kept["equity"].to_numpy()
    assert len(kept) <= max(len(frame), max_points) and len(kept) <= max_points + 5
    assert max_drawdown(values) == max_drawdown(equity)
    assert _absolute_drawdown(values) == _absolute_drawdown(equity)
    assert kept["ts"].is_monotonic_increasing and kept["ts"].is_unique
    assert kept.iloc[0].equals(frame.iloc[0]) and kept.iloc[-1].equals(frame.iloc[-1])
    # every stored row is a real row, unchanged
    merged = kept.merge(frame, on="ts", suffixes=("", "_real"))
    assert len(merged) == len(kept)
    assert (merged["equity"] == merged["equity_real"]).all() and (merged["exposed"] == merged["exposed_real"]).all()
    # the chart keeps the envelope: the highest and lowest points of the whole curve
    assert values.max() == equity.max() and values.min() == equity.min()
