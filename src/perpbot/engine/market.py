"""Market views over candle arrays: what the node may know at the current bar, and nothing later."""

from __future__ import annotations

import numpy as np


class ArrayMarket:
    """Prices and returns for the backtest, read at the current bar's close (never beyond it)."""

    __slots__ = ("_close", "_returns", "index")

    def __init__(self, closes: dict[str, np.ndarray]) -> None:
        self._close = closes
        # Close-to-close returns computed once: the correlation gate reads a window of them on every
        # decision, for every open position, so slicing a view beats dividing the window each time.
        self._returns = {symbol: c[1:] / c[:-1] - 1.0 for symbol, c in closes.items()}
        self.index = 0

    def price(self, symbol: str) -> float:
        return float(self._close[symbol][self.index])

    def returns(self, symbol: str, lookback: int) -> np.ndarray:
        """The last `lookback` returns ending at the current close (fewer near the start)."""
        returns: np.ndarray = self._returns[symbol][max(0, self.index - lookback): self.index]
        return returns
