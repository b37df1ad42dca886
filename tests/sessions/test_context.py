"""The market context recorded at a session's start reads only candles closed by then."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from perpbot.data.memory import InMemorySource
from perpbot.sessions.context import LOOKBACK, market_context
from tests.engine.test_backtest_loop import _config, _source

_STEP = 900_000  # 15m, the execution timeframe of the test config


def _with_future_changed(source: InMemorySource, start_ms: int) -> InMemorySource:
    """The same candles up to the start; every candle that closes after it made wildly different."""
    candles = {}
    keys: list[tuple[str, str]] = [("BTCUSDT", "15m"), ("ETHUSDT", "15m"), ("BTCUSDT", "1h"), ("ETHUSDT", "1h")]
    for key in keys:
        changed = source.candles(*key).copy()
        step = 3_600_000 if key[1] == "1h" else _STEP
        late = changed["ts"] + step > start_ms
        for col in ("open", "high", "low", "close"):
            changed.loc[late, col] = changed.loc[late, col] * 3.0
        candles[key] = changed
    return InMemorySource(candles)


def test_price_and_volatility_come_from_the_candles_closed_by_the_start() -> None:
    source = _source()
    btc = source.candles("BTCUSDT", "15m")
    start = int(btc["ts"].iloc[500])  # the open of candle 500 = the close of candle 499
    context = market_context(_config(), source, start)
    entry = context["symbols"]["BTCUSDT"]
    assert context["timeframe"] == "15m" and context["at"] == start
    assert entry["price"] == float(btc["close"].iloc[499])
    closes = btc["close"].to_numpy()[499 - LOOKBACK: 500]
    expected = float(np.std(np.diff(np.log(closes)), ddof=1) * math.sqrt(365 * 96))
    assert entry["volatility_annualised"] == expected
    assert "regime" not in entry  # the test config has the regime filter off


def test_nothing_after_the_start_changes_the_context() -> None:
    source = _source()
    start = int(source.candles("BTCUSDT", "15m")["ts"].iloc[2000]) + 30 * 60_000  # mid-hour: a 1h candle is open
    config = _config(regime={"enabled": True, "timeframe": "1h"})
    before = market_context(config, source, start)
    assert before["symbols"]["BTCUSDT"]["regime"] != "unknown"
    assert market_context(config, _with_future_changed(source, start), start) == before


def test_a_start_at_the_first_candle_records_its_open_and_says_so() -> None:
    source = _source()
    btc = source.candles("BTCUSDT", "15m")
    first = int(btc["ts"].iloc[0])
    entry = market_context(_config(), source, first)["symbols"]["BTCUSDT"]
    assert entry["price"] == float(btc["open"].iloc[0])
    assert entry["note"].startswith("no candles before the start") and "volatility_annualised" not in entry
    before = market_context(_config(), source, first - _STEP)["symbols"]["BTCUSDT"]
    assert before == {"note": "no candles at the start"}


def test_frames_are_untouched() -> None:
    source = _source()
    btc = source.candles("BTCUSDT", "15m").copy()
    market_context(_config(), source, int(btc["ts"].iloc[300]))
    pd.testing.assert_frame_equal(source.candles("BTCUSDT", "15m"), btc)
