"""Paper trading and a backtest of the same candles make the same trades.

The paper engine learns of candles one close at a time and computes signals on rolling windows; the
backtest computes them once over the whole history and skips quiet bars. Same config, same candles:
the same fills, trades and ledger.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import numpy as np
import pandas as pd
import pytest

from perpbot.data.memory import InMemorySource
from perpbot.engine.paper import PaperEngine
from perpbot.engine.service import run_backtest
from perpbot.engine.windows import Candle
from perpbot.model.timeframe import timeframe_ms
from perpbot.strategies.registry import StrategyRegistry
from tests.engine.test_backtest_loop import _config, _source

START, END = "2024-01-05", "2024-01-26"  # four days of candles before START for warm-up


def _candles(frame: pd.DataFrame) -> list[Candle]:
    return [Candle(int(r.ts), float(r.open), float(r.high), float(r.low), float(r.close), float(r.volume))
            for r in frame.itertuples(index=False)]


def _replay(config: Any, source: InMemorySource, grid_close: np.ndarray) -> PaperEngine:
    """Drive a paper engine through the backtest's grid: warm-up history first, then close by close."""
    engine = PaperEngine(config, StrategyRegistry(config.strategy_dirs), id_prefix=f"pb{config.fingerprint()[:8]}-")
    first_open = int(grid_close[0]) - engine.signals.exec_ms
    by_close: dict[int, dict[tuple[str, str], Candle]] = {}
    for symbol, tf in engine.signals.streams:
        step = timeframe_ms(tf)
        for candle in _candles(source.candles(symbol, tf)):
            close = candle.ts + step
            if close <= first_open:
                engine.warm_up(symbol, tf, candle)
            elif close <= int(grid_close[-1]):
                by_close.setdefault(close, {})[(symbol, tf)] = candle
    rates = {s: source.funding(s) for s in engine.symbols}
    for close in sorted(by_close):
        bar_open = close - engine.signals.exec_ms
        funding = {s: Decimal(repr(float(f.loc[f.ts == bar_open, "rate"].iloc[0])))
                   for s, f in rates.items() if (f.ts == bar_open).any()}
        engine.on_close(close, by_close[close], funding)
    return engine


@pytest.mark.parametrize("overrides", [
    {},
    {"execution": {"entry_order": "limit", "limit_offset_bps": "3"}},
    {"risk": {"max_daily_loss_pct": 2, "max_drawdown_pct": 6, "max_correlation": 0.95}},
    {"regime": {"enabled": True, "timeframe": "1h", "min_bars_in_regime": 2, "volatile_natr_enter": 3,
                "volatile_natr_exit": 2.5},
     "matrix": {"trending": {"ema_cross": 1.0, "rsi_reversion": 0.2},
                "ranging": {"ema_cross": 0.3, "rsi_reversion": 1.0},
                "default": {"ema_cross": 1.0, "rsi_reversion": 1.0}}},
], ids=["market", "limit", "tight-risk", "regimes"])
def test_paper_replay_makes_the_backtests_trades(overrides: dict[str, Any]) -> None:
    config = _config(backtest={"start": START, "end": END, "close_at_end": False}, **overrides)
    source = _source()
    backtest = run_backtest(config, source)
    assert len(backtest.trades) > 5
    if config.regime.enabled:
        assert len({d.intent.regime for d in backtest.decisions if d.intent}) > 1
    paper = _replay(config, source, backtest.ts)
    assert paper.node.fills == backtest.fills
    assert paper.node.trades == backtest.trades
    assert paper.node.ledger.balance == backtest.ledger.balance
    assert [d.action for d in paper.node.decisions[:len(backtest.decisions)]] == [
        d.action for d in backtest.decisions]
    curve = np.array([e for _, e in paper.equity_curve])
    assert curve == pytest.approx(backtest.equity, abs=1e-6)


def test_a_close_missing_a_symbol_is_refused() -> None:
    config = _config(backtest={"start": START})
    engine = PaperEngine(config, StrategyRegistry())
    candle = Candle(1_704_412_800_000, 100.0, 101.0, 99.0, 100.5, 1.0)
    with pytest.raises(ValueError, match="lacks ETHUSDT"):
        engine.on_close(candle.ts + 900_000, {("BTCUSDT", "15m"): candle})
