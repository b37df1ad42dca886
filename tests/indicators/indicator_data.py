"""Real Bybit candles for the indicator tests (a slice of BTCUSDT 1h)."""

from __future__ import annotations

from functools import cache
from pathlib import Path

import pandas as pd


@cache
def btc_1h(folder: Path, rows: int = 3000) -> pd.DataFrame:
    frame = pd.read_csv(folder / "bybit_linear_BTCUSDT_1h.csv.gz").rename(columns={"timestamp": "ts"})
    return frame.iloc[-rows:].reset_index(drop=True).astype({"ts": "int64", "close": "float64"})
