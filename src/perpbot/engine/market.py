"""Market views over candle arrays: what the node may know at the current bar, and nothing later."""

from __future__ import annotations

import numpy as np


class ArrayMarket:
    """Prices and returns for the backtest, read at the current bar's close (never beyond it)."""

    __slots__ = ("_close", "index")

    def __init__(self, closes: dict[str, np.ndarray]) -> None:
        self._close = closes
        self.index = 0

    def price(self, symbol: str) -> float:
        return float(self._close[symbol][self.index])

    def returns(self, symbol: str, lookback: int) -> np.ndarray:
        closes = self._close[symbol][max(0, self.index - lookback): self.index + 1]
        if len(closes) < 2:
            return np.empty(0)
        returns: np.ndarray = closes[1:] / closes[:-1] - 1.0
        return returns
