"""A market data source over frames already in memory (benchmarks, tests, replays)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from perpbot.errors import DataError

_FUNDING_EMPTY = pd.DataFrame({"ts": np.empty(0, dtype=np.int64), "rate": np.empty(0, dtype=np.float64)})


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
        return _window(frame, start_ms, end_ms)

    def funding(self, symbol: str, start_ms: int | None = None, end_ms: int | None = None) -> pd.DataFrame:
        frame = self._funding.get(symbol)
        return _FUNDING_EMPTY.copy() if frame is None else _window(frame, start_ms, end_ms)

    def describe(self, symbol: str, timeframe: str) -> str:
        return self._label


def _window(frame: pd.DataFrame, start_ms: int | None, end_ms: int | None) -> pd.DataFrame:
    if start_ms is None and end_ms is None:
        return frame
    ts = frame["ts"].to_numpy()
    lo = 0 if start_ms is None else int(np.searchsorted(ts, start_ms, side="left"))
    hi = len(ts) if end_ms is None else int(np.searchsorted(ts, end_ms, side="left"))
    return frame.iloc[lo:hi].reset_index(drop=True)
