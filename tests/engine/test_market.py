"""The backtest's market view: returns read at the current close, alone or as one block for the correlation gate."""

from __future__ import annotations

import numpy as np

from perpbot.engine.market import ArrayMarket
from perpbot.engine.windows import Candle, CandleWindow, WindowMarket

STEP = 60_000
RNG = np.random.default_rng(5)
CLOSES = {s: 100 * np.exp(np.cumsum(RNG.normal(0, 0.002, 300))) for s in ("BTCUSDT", "ETHUSDT", "SOLUSDT")}


def test_returns_stop_at_the_current_close() -> None:
    market = ArrayMarket(CLOSES)
    market.index = 120
    closes = CLOSES["ETHUSDT"]
    assert market.price("ETHUSDT") == closes[120]
    assert market.returns("ETHUSDT", 50).tolist() == (closes[71:121] / closes[70:120] - 1.0).tolist()
    assert len(market.returns("ETHUSDT", 500)) == 120


def test_a_block_holds_each_symbols_returns_as_a_row_in_the_order_asked() -> None:
    market = ArrayMarket(CLOSES)
    for index in (0, 1, 30, 299):
        market.index = index
        block = market.returns_block(["SOLUSDT", "BTCUSDT", "ETHUSDT"], 100)
        assert block is not None
        assert block.shape == (3, min(index, 100))
        for row, symbol in zip(block, ("SOLUSDT", "BTCUSDT", "ETHUSDT"), strict=True):
            assert row.tolist() == market.returns(symbol, 100).tolist()


def test_the_live_market_gives_the_same_block_as_the_backtest() -> None:
    windows = {s: CandleWindow(500, STEP) for s in CLOSES}
    for symbol, closes in CLOSES.items():
        for i, close in enumerate(closes):
            windows[symbol].append(Candle(i * STEP, close, close, close, close, 1.0))
    live, backtest = WindowMarket(windows), ArrayMarket(CLOSES)
    backtest.index = 299
    symbols = ["ETHUSDT", "SOLUSDT", "BTCUSDT"]
    live_block, backtest_block = live.returns_block(symbols, 100), backtest.returns_block(symbols, 100)
    assert live_block is not None and backtest_block is not None
    assert live_block.tolist() == backtest_block.tolist()


def test_symbols_on_different_grids_are_blocked_only_while_equally_long() -> None:
    market = ArrayMarket({"BTCUSDT": CLOSES["BTCUSDT"], "ETHUSDT": CLOSES["ETHUSDT"][:200]})
    market.index = 150  # both have their 100 returns here
    block = market.returns_block(["BTCUSDT", "ETHUSDT"], 100)
    assert block is not None and block.shape == (2, 100)
    market.index = 250  # ETHUSDT's history ended at 199 returns: the gate must measure pair by pair
    assert len(market.returns("ETHUSDT", 100)) == 49
    assert market.returns_block(["BTCUSDT", "ETHUSDT"], 100) is None


def test_returns_are_computed_on_first_read_whichever_read_comes_first() -> None:
    by_block, by_symbol = ArrayMarket(CLOSES), ArrayMarket(CLOSES)
    for market in (by_block, by_symbol):
        market.index = 200
        assert market.price("BTCUSDT") == CLOSES["BTCUSDT"][200]
        assert market._returns is None  # prices alone never make the returns (a year of them per symbol)
    block = by_block.returns_block(["ETHUSDT", "BTCUSDT"], 60)
    first = by_symbol.returns("ETHUSDT", 60)
    assert block is not None
    assert block[0].tolist() == first.tolist() == by_block.returns("ETHUSDT", 60).tolist()
    assert block.tolist() == by_symbol.returns_block(["ETHUSDT", "BTCUSDT"], 60).tolist()  # type: ignore[union-attr]
