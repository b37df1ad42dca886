"""Shared by the store and session tests: one small real backtest (computed once) and a settable clock."""

from __future__ import annotations

from functools import cache

from perpbot.engine.result import BacktestResult
from perpbot.engine.service import run_backtest
from tests.engine.test_backtest_loop import _config, _source


@cache
def small_result() -> BacktestResult:
    """Two symbols, two strategies, about three weeks of 15m candles."""
    return run_backtest(_config(backtest={"end": "2024-01-20"}), _source())
