"""resample_candles: complete buckets only, exact OHLC, and agreement with Bybit's own 1h candles."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from perpbot.data.formats import read_candles
from perpbot.data.frames import CANDLE_COLUMNS, empty_candles
from perpbot.data.resample import can_resample, finer_timeframes, resample_candles
from perpbot.errors import DataError

from .support import make_candles

H = 3_600_000
Q = 900_000
T0 = 1_704_067_200_000  # 2024-01-01T00:00:00Z


def _frame(rows: list[tuple[int, float, float, float, float, float]]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=list(CANDLE_COLUMNS)).astype({"ts": np.int64})


def test_hand_made_15m_to_1h_drops_incomplete_edges() -> None:
    rows = [
        # 00:xx has only 00:30 and 00:45: incomplete, dropped
        (T0 + 2 * Q, 10.0, 11.0, 9.0, 10.5, 1.0),
        (T0 + 3 * Q, 10.5, 12.0, 10.0, 11.0, 2.0),
        # 01:xx complete
        (T0 + H, 11.0, 11.5, 10.8, 11.2, 3.0),
        (T0 + H + Q, 11.2, 13.0, 11.1, 12.9, 4.0),
        (T0 + H + 2 * Q, 12.9, 12.95, 9.5, 10.0, 5.0),
        (T0 + H + 3 * Q, 10.0, 10.4, 9.9, 10.3, 6.0),
        # 02:xx complete
        (T0 + 2 * H, 10.3, 10.6, 10.1, 10.5, 0.5),
        (T0 + 2 * H + Q, 10.5, 10.7, 10.4, 10.6, 0.25),
        (T0 + 2 * H + 2 * Q, 10.6, 10.8, 10.2, 10.3, 0.125),
        (T0 + 2 * H + 3 * Q, 10.3, 10.35, 10.0, 10.1, 0.0),
        # 03:xx has only 03:00: incomplete, dropped
        (T0 + 3 * H, 10.1, 10.2, 10.0, 10.15, 7.0),
    ]
    out = resample_candles(_frame(rows), "15m", "1h")
    expected = _frame([
        (T0 + H, 11.0, 13.0, 9.5, 10.3, 18.0),
        (T0 + 2 * H, 10.3, 10.8, 10.0, 10.1, 0.875),
    ])
    pd.testing.assert_frame_equal(out, expected)


def test_bucket_with_a_hole_is_dropped() -> None:
    frame = make_candles(12, start_ms=T0, step_ms=Q).drop(index=[5]).reset_index(drop=True)
    out = resample_candles(frame, "15m", "1h")
    assert out["ts"].tolist() == [T0, T0 + 2 * H]


def test_daily_buckets_start_at_midnight_utc() -> None:
    frame = make_candles(24 * 3 + 5, start_ms=T0 - 5 * H, step_ms=H)  # starts at 19:00 the day before
    out = resample_candles(frame, "1h", "1d")
    assert out["ts"].tolist() == [T0, T0 + 24 * H, T0 + 48 * H]
    first_day = frame[(frame["ts"] >= T0) & (frame["ts"] < T0 + 24 * H)]
    assert out["high"].iloc[0] == first_day["high"].max()
    assert out["open"].iloc[0] == first_day["open"].iloc[0]
    assert out["close"].iloc[0] == first_day["close"].iloc[-1]


def test_same_timeframe_is_a_copy_and_empty_stays_empty() -> None:
    frame = make_candles(10, start_ms=T0, step_ms=H)
    pd.testing.assert_frame_equal(resample_candles(frame, "1h", "1h"), frame)
    assert resample_candles(empty_candles(), "15m", "1h").empty


@pytest.mark.parametrize(("src", "dst"), [("1h", "15m"), ("2h", "3m"), ("30m", "1h")])
def test_can_resample(src: str, dst: str) -> None:
    assert can_resample(src, dst) is (dst == "1h")


def test_impossible_resample_is_refused() -> None:
    with pytest.raises(DataError, match="cannot resample 1h candles to 15m"):
        resample_candles(make_candles(10, start_ms=T0, step_ms=H), "1h", "15m")


def test_unsorted_input_is_refused() -> None:
    frame = make_candles(8, start_ms=T0, step_ms=Q).iloc[::-1].reset_index(drop=True)
    with pytest.raises(DataError, match="not strictly increasing"):
        resample_candles(frame, "15m", "1h")


def test_finer_timeframes_coarsest_first() -> None:
    assert finer_timeframes("1h", ["1m", "5m", "15m", "1h", "4h", "3m"]) == ["15m", "5m", "3m", "1m"]
    assert finer_timeframes("4h", ["1d"]) == []


@pytest.mark.shared_data
def test_real_btc_15m_resampled_matches_bybit_1h(shared_data: Path) -> None:
    fine = read_candles(shared_data / "bybit_linear_BTCUSDT_15m.csv.gz")
    hourly = read_candles(shared_data / "bybit_linear_BTCUSDT_1h.csv.gz")
    built = resample_candles(fine, "15m", "1h")
    merged = built.merge(hourly, on="ts", suffixes=("_built", "_bybit"))
    assert len(merged) >= 18_000  # PROVENANCE: 18444 overlapping hours
    for column in ("open", "high", "low", "close"):
        assert (merged[f"{column}_built"] == merged[f"{column}_bybit"]).all(), column
    # Volumes agree to the last few ulps: the sum of four floats need not be the float of Bybit's decimal sum.
    np.testing.assert_allclose(merged["volume_built"], merged["volume_bybit"], rtol=1e-12, atol=0)
