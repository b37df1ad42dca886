"""Shared by the store and session tests: one small real backtest (computed once) and a fixed clock."""

from __future__ import annotations

from functools import cache

from perpbot.engine.result import BacktestResult
from perpbot.engine.service import run_backtest
from tests.engine.test_backtest_loop import _config, _source


@cache
def small_result() -> BacktestResult:
    """Two symbols, two strategies, about three weeks of 15m candles."""
    return run_backtest(_config(backtest={"end": "2024-01-20"}), _source())


class Clock:
    """A clock that says what the test sets."""

    def __init__(self, now: int = 1_800_000_000_000) -> None:
        self.now = now

    def now_ms(self) -> int:
        return self.now
