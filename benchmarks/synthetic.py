"""Deterministic candles for benchmarks when no real year of 1-minute data exists.

A year of 1-minute BTCUSDT-like candles is built by block-bootstrapping the real 1-minute returns in
the shared data (so volatility clustering and the number of EMA crossings look real), or, without
the shared data, from a seeded random walk with volatility regimes. Same seed, same candles.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

MINUTE_MS = 60_000
YEAR_START_MS = 1_704_067_200_000  # 2024-01-01 00:00 UTC


def _real_returns(shared: Path | None, symbol: str) -> np.ndarray | None:
    if shared is None:
        return None
    path = shared / f"bybit_linear_{symbol}_1m.csv.gz"
    if not path.exists():
        return None
    close = pd.read_csv(path, usecols=["close"])["close"].to_numpy(dtype=np.float64)
    return np.diff(np.log(close))


def synthetic_minutes(n: int, *, seed: int, shared: Path | None = None, symbol: str = "BTCUSDT",
                      start_price: float = 60_000.0, start_ms: int = YEAR_START_MS,
                      decimals: int = 1) -> pd.DataFrame:
    """`n` one-minute candles in perpbot's layout, deterministic in (`n`, `seed`, source returns).

    Prices are rounded to `decimals` places: pass the instrument's tick (0.1 for BTCUSDT, 0.00001 for
    DOGEUSDT) so a cheap coin's candles are not flattened to a few ticks.
    """
    rng = np.random.default_rng(seed)
    real = _real_returns(shared, symbol)
    if real is not None and len(real) > 1440:
        block = 1440
        starts = rng.integers(0, len(real) - block, size=n // block + 1)
        returns = np.concatenate([real[s:s + block] for s in starts])[:n]
    else:
        vol = 0.0006 * np.exp(np.cumsum(rng.normal(0, 0.01, n)).clip(-1.5, 1.5))
        returns = rng.normal(0, 1, n) * vol
    returns = returns - returns.mean()  # no drift: the benchmark measures speed, not a trend
    close = start_price * np.exp(np.cumsum(returns))
    open_ = np.concatenate([[start_price], close[:-1]])
    wick = np.abs(rng.normal(0, 0.0003, n)) * close
    high = np.round(np.maximum(open_, close) + wick, decimals)
    low = np.round(np.minimum(open_, close) - wick, decimals)
    open_ = np.round(open_, decimals)
    close = np.round(close, decimals)
    high = np.maximum.reduce([high, open_, close])
    low = np.minimum.reduce([low, open_, close])
    volume = np.round(rng.gamma(2.0, 5.0, n), 3)
    ts = start_ms + MINUTE_MS * np.arange(n, dtype=np.int64)
    return pd.DataFrame({"ts": ts, "open": open_, "high": high, "low": low, "close": close, "volume": volume})


def synthetic_funding(start_ms: int, end_ms: int, *, seed: int) -> pd.DataFrame:
    """8-hourly funding rates around 0.01 % with sign changes, on Bybit's 00/08/16 UTC schedule."""
    step = 8 * 3_600_000
    first = -(-start_ms // step) * step
    ts = np.arange(first, end_ms, step, dtype=np.int64)
    rng = np.random.default_rng(seed)
    rate = np.round(0.0001 + rng.normal(0, 0.00015, len(ts)), 6)
    return pd.DataFrame({"ts": ts, "rate": rate})
