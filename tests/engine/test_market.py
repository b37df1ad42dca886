"""The backtest's market view: returns read at the current close, alone or summed for the correlation gate."""

from __future__ import annotations

import numpy as np

from perpbot.engine.market import ArrayMarket
from perpbot.engine.windows import Candle, CandleWindow, WindowMarket
from perpbot.risk.correlation import WindowSums, block_sums

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


def _sums_of(market: ArrayMarket | WindowMarket, symbols: list[str], lookback: int) -> WindowSums:
    block = np.stack([market.returns(s, lookback) for s in symbols])
    return block_sums(block)


def test_the_sums_are_those_of_each_symbols_returns_in_the_order_asked() -> None:
    # cut from every symbol's window at once and picked by row: bit for bit the sums of the rows asked for
    market = ArrayMarket(CLOSES)
    for index in (0, 1, 30, 150, 299):
        market.index = index
        for symbols in (["SOLUSDT", "BTCUSDT", "ETHUSDT"], ["ETHUSDT", "SOLUSDT"], ["BTCUSDT"]):
            sums = market.returns_sums(symbols, 100)
            assert sums is not None and sums.n == min(index, 100)
            assert sums == _sums_of(market, symbols, 100)
            first = market.returns(symbols[0], 100)
            for i, symbol in enumerate(symbols):
                returns = market.returns(symbol, 100)
                assert (sums.sums[i], sums.squares[i], sums.cross[i]) == (
                    float(returns.sum()), float((returns * returns).sum()), float((returns * first).sum()))


def test_the_live_market_gives_the_same_sums_as_the_backtest() -> None:
    windows = {s: CandleWindow(500, STEP) for s in CLOSES}
    for symbol, closes in CLOSES.items():
        for i, close in enumerate(closes):
            windows[symbol].append(Candle(i * STEP, close, close, close, close, 1.0))
    live, backtest = WindowMarket(windows), ArrayMarket(CLOSES)
    backtest.index = 299
    symbols = ["ETHUSDT", "SOLUSDT", "BTCUSDT"]
    live_sums, backtest_sums = live.returns_sums(symbols, 100), backtest.returns_sums(symbols, 100)
    assert live_sums is not None and live_sums.n == 100
    assert live_sums == backtest_sums


def test_symbols_on_different_grids_are_summed_only_while_equally_long() -> None:
    market = ArrayMarket({"BTCUSDT": CLOSES["BTCUSDT"], "ETHUSDT": CLOSES["ETHUSDT"][:200]})
    market.index = 150  # both have their 100 returns here
    sums = market.returns_sums(["BTCUSDT", "ETHUSDT"], 100)
    assert sums is not None and sums.n == 100 and sums == _sums_of(market, ["BTCUSDT", "ETHUSDT"], 100)
    market.index = 250  # ETHUSDT's history ended at 199 returns: the gate must measure pair by pair
    assert len(market.returns("ETHUSDT", 100)) == 49
    assert market.returns_sums(["BTCUSDT", "ETHUSDT"], 100) is None


def test_returns_are_computed_on_first_read_whichever_read_comes_first() -> None:
    by_sums, by_symbol = ArrayMarket(CLOSES), ArrayMarket(CLOSES)
    for market in (by_sums, by_symbol):
        market.index = 200
        assert market.price("BTCUSDT") == CLOSES["BTCUSDT"][200]
        assert market._returns is None  # prices alone never make the returns (a year of them per symbol)
    sums = by_sums.returns_sums(["ETHUSDT", "BTCUSDT"], 60)
    first = by_symbol.returns("ETHUSDT", 60)
    assert first.tolist() == by_sums.returns("ETHUSDT", 60).tolist()
    assert sums is not None and sums == by_symbol.returns_sums(["ETHUSDT", "BTCUSDT"], 60)
