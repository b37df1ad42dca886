"""The warm-up rule: a window of `*_warmup` candles reproduces the full-history value of a recursive
indicator, and a window covering only its lookback does not (the memory is real)."""

from __future__ import annotations

import math
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from perpbot import indicators as ind
from perpbot.indicators.warmup import SETTLE_TOLERANCE
from tests.conftest import make_candles
from tests.indicators.indicator_data import btc_1h

Frame = Callable[[pd.DataFrame], np.ndarray]


def _hlc(f: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    return f["high"].to_numpy(), f["low"].to_numpy(), f["close"].to_numpy()


# (name, function of a candle frame, warm-up, lookback only)
CASES: list[tuple[str, Frame, int, int]] = [
    ("ema13", lambda f: ind.ema(f["close"], 13), ind.ema_warmup(13), 13),
    ("ema34", lambda f: ind.ema(f["close"], 34), ind.ema_warmup(34), 34),
    ("ema100", lambda f: ind.ema(f["close"], 100), ind.ema_warmup(100), 100),
    ("rsi14", lambda f: ind.rsi(f["close"], 14), ind.rsi_warmup(14), 15),
    ("atr14", lambda f: ind.atr(*_hlc(f), 14), ind.atr_warmup(14), 15),
    ("natr20", lambda f: ind.natr(*_hlc(f), 20), ind.atr_warmup(20), 21),
    ("adx14", lambda f: ind.adx(*_hlc(f), 14), ind.adx_warmup(14), 28),
    ("macd_hist", lambda f: ind.macd(f["close"], 12, 26, 9)[2], ind.macd_warmup(12, 26, 9), 34),
    ("bbands_up", lambda f: ind.bbands(f["close"], 20)[0], ind.sma_warmup(20), 20),
    ("roc10", lambda f: ind.roc(f["close"], 10), ind.roc_warmup(10), 11),
]
IDS = [case[0] for case in CASES]


def _max_rel_gap(fn: Frame, candles: pd.DataFrame, window: int, ends: range) -> float:
    full = fn(candles)
    worst = 0.0
    for t in ends:
        last = fn(candles.iloc[t - window + 1 : t + 1])[-1]
        assert not np.isnan(last), f"window of {window} gives NaN"
        worst = max(worst, abs(last - full[t]) / max(abs(full[t]), 1e-300))
    return worst


@pytest.mark.shared_data
@pytest.mark.parametrize(("name", "fn", "warmup", "lookback"), CASES, ids=IDS)
def test_warmup_window_matches_full_history_on_real_data(
    name: str, fn: Frame, warmup: int, lookback: int, shared_data: Path
) -> None:
    candles = btc_1h(shared_data)
    assert _max_rel_gap(fn, candles, warmup, range(len(candles) - 1, warmup, -37)) < 1e-9


@pytest.mark.parametrize(("name", "fn", "warmup", "lookback"), CASES, ids=IDS)
def test_warmup_window_matches_full_history_on_synthetic_data(name: str, fn: Frame, warmup: int, lookback: int) -> None:
    candles = make_candles(warmup + 1500, seed=3)
    assert _max_rel_gap(fn, candles, warmup, range(len(candles) - 1, warmup, -29)) < 1e-9


@pytest.mark.parametrize(("name", "fn", "warmup", "lookback"), CASES[:8], ids=IDS[:8])
def test_lookback_alone_is_not_enough_for_recursive_indicators(
    name: str, fn: Frame, warmup: int, lookback: int
) -> None:
    candles = make_candles(warmup + 1500, seed=3)
    assert _max_rel_gap(fn, candles, lookback, range(len(candles) - 1, warmup, -29)) > 1e-6


def test_settle_bars_is_the_smallest_sufficient_count() -> None:
    for alpha in (0.5, 2 / 35, 1 / 14, 0.01):
        n = ind.settle_bars(alpha)
        r = 1 - alpha
        assert r**n <= SETTLE_TOLERANCE < r ** (n - 1)
    # two stages need more than one; stricter tolerance needs more
    assert ind.settle_bars(1 / 14, 1 / 14) > ind.settle_bars(1 / 14)
    assert ind.settle_bars(1 / 14, tolerance=1e-12) > ind.settle_bars(1 / 14)
    n = ind.settle_bars(1 / 14, 1 / 14)
    assert math.comb(n + 1, 1) * (13 / 14) ** n <= SETTLE_TOLERANCE
    assert ind.settle_bars(1.0) == 0 and ind.settle_bars() == 0
    with pytest.raises(ValueError, match="alpha must be in \\(0, 1\\], was 0"):
        ind.settle_bars(0)


def test_rule_of_thumb_multiples() -> None:
    """The documented rule: window >= 12.5 x EMA period, 24 x RSI/ATR period, 32 x ADX period."""
    for period in range(5, 201):
        assert ind.ema_warmup(period) <= math.ceil(12.6 * period)
        assert ind.atr_warmup(period) <= 24 * period
        assert ind.rsi_warmup(period) <= 24 * period
        assert ind.adx_warmup(period) <= 34 * period
    assert ind.ema_warmup(39) <= 500 < ind.ema_warmup(40)
    assert ind.atr_warmup(21) <= 500 < ind.atr_warmup(22)
    assert ind.macd_warmup(12, 26, 9) == 411
