"""Market views over candle arrays: what the node may know at the current bar, and nothing later."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Final, cast

import numpy as np

from perpbot.risk.correlation import WindowSums, block_sums, stack_equal

_ADD_REDUCE: Final = np.add.reduce  # module constants: compiled, reading a module's attribute is a dict lookup
_MULTIPLY: Final = np.multiply


class ArrayMarket:
    """Prices and returns for the backtest, read at the current bar's close (never beyond it)."""

    __slots__ = ("_close", "_close_items", "_returns", "_rows", "_sums_matrix", "index")

    def __init__(self, closes: dict[str, np.ndarray]) -> None:
        self._close = closes
        # One close at a time through a memoryview: a Python float at once, where indexing the array made a numpy
        # scalar and converted it.
        self._close_items = {symbol: cast("memoryview[Any]", c.data) for symbol, c in closes.items()}
        self._rows = {symbol: row for row, symbol in enumerate(closes)}
        # Close-to-close returns are computed on the first read: a run with one symbol, or with no correlation
        # limit, never reads them, and they weigh as much as the closes (4 MB a symbol-year of 1-minute bars).
        # every symbol's returns, one row each, then their squares' rows (see `returns_sums`), on one shared grid
        self._sums_matrix: np.ndarray | None = None
        self._returns: dict[str, np.ndarray] | None = None
        self.index = 0

    def _computed_returns(self) -> dict[str, np.ndarray]:
        """Returns of every symbol, computed once: the correlation gate reads a window of every open position's
        returns on every decision. When the symbols share a grid (a backtest's always do) they are the rows of
        one matrix, so one fancy index of it gives the gate all of them as one block."""
        closes = self._close
        lengths = {len(c) for c in closes.values()}
        if len(lengths) == 1 and lengths != {0}:
            # The squares below the returns, in one array: one reduction of a window of it gives every symbol's
            # sum and sum of squares (`returns_sums`).
            count = len(closes)
            sums_matrix = self._sums_matrix = np.empty((2 * count, lengths.pop() - 1))
            matrix = sums_matrix[:count]
            for row, c in enumerate(closes.values()):
                np.divide(c[1:], c[:-1], out=matrix[row])
            matrix -= 1.0
            np.multiply(matrix, matrix, out=sums_matrix[count:])
            self._returns = {symbol: matrix[row] for symbol, row in self._rows.items()}
        else:
            self._returns = {symbol: c[1:] / c[:-1] - 1.0 for symbol, c in closes.items()}
        return self._returns

    def price(self, symbol: str) -> float:
        return float(self._close_items[symbol][self.index])

    def returns(self, symbol: str, lookback: int) -> np.ndarray:
        """The last `lookback` returns ending at the current close (fewer near the start)."""
        every = self._returns if self._returns is not None else self._computed_returns()
        returns: np.ndarray = every[symbol][max(0, self.index - lookback): self.index]
        return returns

    def returns_sums(self, symbols: Sequence[str], lookback: int) -> WindowSums | None:
        """`block_sums` of the symbols' `returns`, bit for bit, or None when they are not equally long. Made from
        the window of every symbol at once, picked by row afterwards: three numpy calls a decision, where cutting
        the asked rows out first (a fancy index) cost as much as the sums themselves."""
        if self._returns is None:
            self._computed_returns()
        sums_matrix = self._sums_matrix
        if sums_matrix is None:
            block = stack_equal([self.returns(s, lookback) for s in symbols])
            return None if block is None else block_sums(block)
        lo, hi = max(0, self.index - lookback), self.index
        rows = [self._rows[s] for s in symbols]
        count = len(self._rows)
        both = cast("list[float]", _ADD_REDUCE(sums_matrix[:, lo:hi], 1).tolist())
        window = sums_matrix[:count, lo:hi]  # the returns' rows
        cross = cast("list[float]", _ADD_REDUCE(_MULTIPLY(window, window[rows[0]]), 1).tolist()) if rows else []
        return WindowSums(hi - lo, [both[r] for r in rows], [both[count + r] for r in rows], [cross[r] for r in rows])
