"""Real Bybit candles for the strategy tests, loaded once per file and trimmed to a few thousand rows."""

from __future__ import annotations

from functools import cache
from pathlib import Path

import pandas as pd

# (file, rows): a few thousand closed candles each, as the parity tests ask for.
REAL_SETS = {
    "BTCUSDT_1h": ("bybit_linear_BTCUSDT_1h.csv.gz", 3000),
    "ETHUSDT_15m": ("bybit_linear_ETHUSDT_15m.csv.gz", 3000),
}


@cache
def _read(path: Path) -> pd.DataFrame:
    frame = pd.read_csv(path).rename(columns={"timestamp": "ts"})
    frame["ts"] = frame["ts"].astype("int64")
    for col in ("open", "high", "low", "close", "volume"):
        frame[col] = frame[col].astype("float64")
    return frame[["ts", "open", "high", "low", "close", "volume"]]


def real_candles(folder: Path, key: str) -> pd.DataFrame:
    """The last rows of one shared data set, with a fresh RangeIndex."""
    filename, rows = REAL_SETS[key]
    return _read(folder / filename).iloc[-rows:].reset_index(drop=True)
