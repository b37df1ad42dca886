"""Candle windows: bounded, strictly ordered, and the same values after any number of compactions."""

from __future__ import annotations

import numpy as np
import pytest

from perpbot.engine.windows import Candle, CandleWindow, WindowMarket

STEP = 60_000


def _candle(i: int) -> Candle:
    return Candle(i * STEP, 100.0 + i, 101.0 + i, 99.0 + i, 100.5 + i, float(i))


def test_keeps_the_last_capacity_candles_across_compactions() -> None:
    window = CandleWindow(5, STEP)
    for i in range(23):
        window.append(_candle(i))
        expected = list(range(max(0, i - 4), i + 1))
        assert window.column("ts").tolist() == [k * STEP for k in expected]
        assert window.column("close").tolist() == [100.5 + k for k in expected]
    frame = window.frame()
    assert list(frame.columns) == ["ts", "open", "high", "low", "close", "volume"]
    assert frame["volume"].tolist() == [18.0, 19.0, 20.0, 21.0, 22.0]


@pytest.mark.parametrize("ts", [3 * STEP, 2 * STEP])
def test_refuses_a_repeated_or_older_candle(ts: int) -> None:
    window = CandleWindow(5, STEP)
    for i in range(4):
        window.append(_candle(i))
    with pytest.raises(ValueError, match="not after the window's last candle"):
        window.append(Candle(ts, 1.0, 1.0, 1.0, 1.0, 1.0))
    assert window.last_ts == 3 * STEP


def test_market_returns_match_the_backtests_arithmetic() -> None:
    window = CandleWindow(50, STEP)
    for i in range(30):
        window.append(_candle(i))
    market = WindowMarket({"BTCUSDT": window})
    closes = np.array([100.5 + i for i in range(30)])
    assert market.price("BTCUSDT") == closes[-1]
    assert market.returns("BTCUSDT", 10).tolist() == (closes[-10:] / closes[-11:-1] - 1.0).tolist()
    assert len(market.returns("BTCUSDT", 100)) == 29


def test_arrays_are_read_only_views_shared_until_the_next_candle() -> None:
    window = CandleWindow(4, STEP)
    for i in range(9):  # past a compaction
        window.append(_candle(i))
    arrays = window.arrays()
    assert window.arrays() is arrays  # one set of views per close, shared by every reader
    assert arrays.ts.tolist() == [k * STEP for k in range(5, 9)]
    assert arrays.volume.tolist() == [5.0, 6.0, 7.0, 8.0] and len(arrays) == 4
    for column in (arrays.ts, arrays.open, arrays.high, arrays.low, arrays.close, arrays.volume):
        with pytest.raises(ValueError, match="read-only"):
            column[0] = 0  # a strategy cannot corrupt the window
    with pytest.raises(ValueError, match="read-only"):
        window.column("close")[-1] = 0.0
    window.append(_candle(9))
    fresh = window.arrays()
    assert fresh is not arrays and fresh.close.tolist() == [100.5 + k for k in range(6, 10)]
    assert window.frame()["close"].tolist() == fresh.close.tolist()
