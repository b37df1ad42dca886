"""Preparing a backtest: every symbol cut to the range they share, on one grid."""

from __future__ import annotations

from typing import Any

import pytest

from perpbot.config import parse_config
from perpbot.data.memory import InMemorySource
from perpbot.engine.prepare import prepare
from perpbot.errors import DataError
from perpbot.strategies.registry import StrategyRegistry
from tests.conftest import make_candles

STEP = 900_000


def _config() -> Any:
    return parse_config({
        "name": "prepare-test",
        "symbols": [{"symbol": "BTCUSDT"}, {"symbol": "ETHUSDT"}],
        "strategies": [{"name": "ema_cross", "timeframe": "15m", "params": {"fast": 8, "slow": 21}}],
        "regime": {"enabled": False},
    })


def test_symbols_are_cut_to_the_range_they_share() -> None:
    btc = make_candles(600, seed=1, step_ms=STEP, price=60000.0)
    eth = make_candles(600, seed=2, step_ms=STEP, price=3000.0)
    eth["ts"] += 100 * STEP  # ETHUSDT starts 100 bars later and ends 100 bars later
    source = InMemorySource({("BTCUSDT", "15m"): btc, ("ETHUSDT", "15m"): eth})
    data = prepare(_config(), source, StrategyRegistry()).data
    assert data.ts.tolist() == btc["ts"].iloc[100:].tolist()
    btc_prepared, eth_prepared = data.symbols
    assert btc_prepared.close.tolist() == btc["close"].iloc[100:].tolist()
    assert eth_prepared.close.tolist() == eth["close"].iloc[:500].tolist()
    assert eth_prepared.open.tolist() == eth["open"].iloc[:500].tolist()
    assert len(btc_prepared.direction) == len(eth_prepared.direction) == 500


def test_symbols_that_share_no_range_are_refused_naming_each_range() -> None:
    btc = make_candles(300, seed=1, step_ms=STEP, price=60000.0)
    eth = make_candles(300, seed=2, step_ms=STEP, price=3000.0)
    eth["ts"] += 400 * STEP
    source = InMemorySource({("BTCUSDT", "15m"): btc, ("ETHUSDT", "15m"): eth})
    with pytest.raises(DataError, match=r"do not overlap \(BTCUSDT: .*\.\..*, ETHUSDT: "):
        prepare(_config(), source, StrategyRegistry())
