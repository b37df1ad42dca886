"""Bounded windows of closed candles, as the live runtime keeps them, and a market view over them."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from perpbot.model.candle import Candle
from perpbot.risk.correlation import WindowSums, block_sums, stack_equal
from perpbot.strategies.base import CandleArrays

__all__ = ["COLUMNS", "Candle", "CandleWindow", "WindowMarket"]

COLUMNS = ("ts", "open", "high", "low", "close", "volume")


class CandleWindow:
    """The last `capacity` closed candles of one (symbol, timeframe), strictly in time order.

    Stored in arrays twice the capacity long and compacted when full, so appending is O(1) amortised and
    the window's columns are read-only views of them, not a copy per cycle. A view shows the window as
    it was when taken only until the next `append` (a compaction moves the data under it).
    """

    __slots__ = ("_arrays", "_end", "_start", "_view", "capacity", "step_ms")

    def __init__(self, capacity: int, step_ms: int) -> None:
        if capacity < 1:
            raise ValueError(f"a candle window needs a capacity of at least 1, was {capacity}")
        self.capacity = capacity
        self.step_ms = step_ms
        self._arrays = {c: np.empty(2 * capacity, dtype=np.int64 if c == "ts" else np.float64) for c in COLUMNS}
        self._start = 0
        self._end = 0
        self._view: CandleArrays | None = None

    def __len__(self) -> int:
        return self._end - self._start

    @property
    def last_ts(self) -> int | None:
        return int(self._arrays["ts"][self._end - 1]) if len(self) else None

    def append(self, candle: Candle) -> None:
        """Add the next candle; an older or repeated one is refused (the feed decides what that means)."""
        last = self.last_ts
        if last is not None and candle.ts <= last:
            raise ValueError(f"candle at {candle.ts} is not after the window's last candle at {last}")
        if self._end == len(self._arrays["ts"]):
            keep = self.capacity - 1
            for arr in self._arrays.values():
                arr[:keep] = arr[self._end - keep:self._end]
            self._start, self._end = 0, keep
        for name in COLUMNS:
            self._arrays[name][self._end] = getattr(candle, name)
        self._end += 1
        if len(self) > self.capacity:
            self._start += 1
        self._view = None

    def column(self, name: str) -> np.ndarray:
        """One column of the window, oldest first (a read-only view)."""
        view = self._arrays[name][self._start:self._end]
        view.flags.writeable = False
        return view

    def arrays(self) -> CandleArrays:
        """The window as candle arrays (read-only views): what strategies and the regime compute on.

        Made once per appended candle and shared by everything that reads the window at that close.
        """
        if self._view is None:
            self._view = CandleArrays(*(self.column(c) for c in COLUMNS))
        return self._view

    def frame(self) -> pd.DataFrame:
        """The window as a candle frame (views of the arrays)."""
        return self.arrays().frame()


class WindowMarket:
    """Prices and returns for the node from the execution-timeframe windows: the live `MarketView`."""

    __slots__ = ("_windows",)

    def __init__(self, windows: dict[str, CandleWindow]) -> None:
        self._windows = windows

    def price(self, symbol: str) -> float:
        closes = self._windows[symbol].column("close")
        if not len(closes):
            raise ValueError(f"no closed candle for {symbol} yet")
        return float(closes[-1])

    def returns(self, symbol: str, lookback: int) -> np.ndarray:
        """The last `lookback` close-to-close returns, computed as the backtest computes them."""
        closes = self._windows[symbol].column("close")[-(lookback + 1):]
        if len(closes) < 2:
            return np.empty(0)
        returns: np.ndarray = closes[1:] / closes[:-1] - 1.0
        return returns

    def returns_sums(self, symbols: Sequence[str], lookback: int) -> WindowSums | None:
        """`block_sums` of the symbols' `returns`, or None when they are not equally long."""
        block = stack_equal([self.returns(s, lookback) for s in symbols])
        return None if block is None else block_sums(block)
