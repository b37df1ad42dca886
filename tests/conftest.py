"""Shared test fixtures: where the real Bybit data lives, and small deterministic candle frames."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]


def shared_data_dir() -> Path | None:
    """PERPBOT_SHARED_DATA, else ../shared/data beside the repository, if it exists."""
    env = os.environ.get("PERPBOT_SHARED_DATA")
    path = Path(env) if env else REPO_ROOT.parent / "shared" / "data"
    return path if path.is_dir() else None


@pytest.fixture(scope="session")
def shared_data() -> Path:
    path = shared_data_dir()
    if path is None:
        pytest.skip(
            "real Bybit data not found: set PERPBOT_SHARED_DATA to the folder holding "
            "bybit_linear_*.csv.gz (default ../shared/data)"
        )
    return path


def make_candles(n: int = 600, *, seed: int = 7, start_ms: int = 1_704_067_200_000,
                 step_ms: int = 3_600_000, price: float = 100.0) -> pd.DataFrame:
    """A deterministic random-walk candle frame in perpbot's column layout."""
    rng = np.random.default_rng(seed)
    returns = rng.normal(0, 0.01, n) + 0.002 * np.sin(np.arange(n) / 40)
    close = price * np.exp(np.cumsum(returns))
    open_ = np.concatenate([[price], close[:-1]])
    spread = np.abs(rng.normal(0, 0.004, n)) * close
    high = np.maximum(open_, close) + spread
    low = np.minimum(open_, close) - spread
    volume = rng.uniform(10, 100, n)
    ts = start_ms + step_ms * np.arange(n, dtype=np.int64)
    return pd.DataFrame(
        {"ts": ts, "open": open_, "high": high, "low": low, "close": close, "volume": volume}
    )


@pytest.fixture
def candles() -> pd.DataFrame:
    return make_candles()
