"""A market data source over frames already in memory (benchmarks, tests, replays)."""

from __future__ import annotations

import pandas as pd

from perpbot.data.frames import empty_funding, select_window
from perpbot.errors import DataError


class InMemorySource:
    """Serves candle frames keyed by (symbol, timeframe) and funding frames keyed by symbol."""

    def __init__(self, candles: dict[tuple[str, str], pd.DataFrame],
                 funding: dict[str, pd.DataFrame] | None = None, label: str = "memory") -> None:
        self._candles = candles
        self._funding = funding or {}
        self._label = label

    def candles(self, symbol: str, timeframe: str, start_ms: int | None = None,
                end_ms: int | None = None) -> pd.DataFrame:
        frame = self._candles.get((symbol, timeframe))
        if frame is None:
            have = ", ".join(f"{s} {t}" for s, t in sorted(self._candles)) or "nothing"
            raise DataError(f"no {symbol} {timeframe} candles in memory (have: {have})")
        return select_window(frame, start_ms, end_ms)

    def funding(self, symbol: str, start_ms: int | None = None, end_ms: int | None = None) -> pd.DataFrame:
        frame = self._funding.get(symbol)
        return empty_funding() if frame is None else select_window(frame, start_ms, end_ms)

    def describe(self, symbol: str, timeframe: str) -> str:
        return self._label
