"""THE parity test: a backtest (one pass over the whole history) and live trading (a rolling window of
the last closed candles) must see the same signal for the same candle, for every built-in strategy.

The rule it proves: a window of at least `strategy.warmup` closed candles reproduces the full-history
row exactly (signal) or to 1e-9 relative (stop and target distances); for default parameters the
warm-up fits in the live window of 500. New built-ins are picked up from the registry automatically.
"""

from __future__ import annotations

import time

import numpy as np
import pandas as pd
import pytest

from perpbot.strategies import LIVE_WINDOW, CandleArrays, Strategy, StrategyRegistry
from perpbot.strategies.builtin.ema_cross import EmaCross
from tests.conftest import make_candles
from tests.strategies.strategy_data import real_candles

REGISTRY = StrategyRegistry(plugins=False)
BUILTINS = REGISTRY.builtin_names()
SAMPLES = 200
REL_TOL = 1e-9

REAL = [
    pytest.param("BTCUSDT_1h", marks=pytest.mark.shared_data),
    pytest.param("ETHUSDT_15m", marks=pytest.mark.shared_data),
]
DATASETS = [*REAL, "synthetic"]


def load(dataset: str, request: pytest.FixtureRequest) -> pd.DataFrame:
    if dataset == "synthetic":
        return make_candles(3000, seed=11, step_ms=900_000)
    return real_candles(request.getfixturevalue("shared_data"), dataset)


def sample_positions(first: int, n: int, count: int = SAMPLES, seed: int = 0) -> list[int]:
    """About `count` row positions in [first, n), always including both ends."""
    rng = np.random.default_rng(seed)
    pool = np.arange(first, n)
    picked = rng.choice(pool, size=min(count, pool.size), replace=False) if pool.size else pool
    return sorted({*picked.tolist(), first, n - 1})


def same_distance(a: float, b: float) -> bool:
    if np.isnan(a) or np.isnan(b):
        return bool(np.isnan(a) and np.isnan(b))
    return abs(a - b) <= REL_TOL * max(abs(a), abs(b))


def assert_window_parity(strategy: Strategy, candles: pd.DataFrame, window: int) -> None:
    full = strategy.compute(candles)
    signal = full["signal"].to_numpy()
    stop = full["stop_distance"].to_numpy()
    target = full["take_profit_distance"].to_numpy()
    first = max(window, strategy.warmup) - 1
    problems = []
    for t in sample_positions(first, len(candles)):
        # a fresh frame of the last `window` closed candles, as the live candle book hands over
        last = strategy.compute(candles.iloc[t - window + 1 : t + 1].reset_index(drop=True)).iloc[-1]
        if last["signal"] != signal[t]:
            problems.append(f"row {t}: signal {last['signal']} on the window vs {signal[t]} on the history")
        if not same_distance(last["stop_distance"], stop[t]):
            problems.append(f"row {t}: stop_distance {last['stop_distance']!r} vs {stop[t]!r}")
        if not same_distance(last["take_profit_distance"], target[t]):
            problems.append(f"row {t}: take_profit_distance {last['take_profit_distance']!r} vs {target[t]!r}")
    assert not problems, f"{strategy!r}, window {window}: {len(problems)} mismatches, e.g. " + "; ".join(problems[:5])


@pytest.mark.parametrize("dataset", DATASETS)
@pytest.mark.parametrize("name", BUILTINS)
def test_live_window_matches_full_history(name: str, dataset: str, request: pytest.FixtureRequest) -> None:
    strategy = REGISTRY.create(name)
    assert strategy.warmup <= LIVE_WINDOW, f"{name}: default warm-up {strategy.warmup} exceeds the live window"
    assert_window_parity(strategy, load(dataset, request), LIVE_WINDOW)


@pytest.mark.parametrize("dataset", DATASETS)
@pytest.mark.parametrize("name", BUILTINS)
def test_a_window_of_exactly_warmup_candles_is_enough(name: str, dataset: str, request: pytest.FixtureRequest) -> None:
    strategy = REGISTRY.create(name)
    assert_window_parity(strategy, load(dataset, request), strategy.warmup)


@pytest.mark.parametrize("dataset", REAL)
@pytest.mark.parametrize("name", BUILTINS)
def test_the_rule_holds_for_longer_periods(name: str, dataset: str, request: pytest.FixtureRequest) -> None:
    """Doubling every integer parameter (periods, holds) lengthens the warm-up beyond 500 for the
    long-memory strategies; a window of `warmup` candles must still reproduce the history."""
    cls = REGISTRY.get(name)
    doubled = {
        pname: min(int(param.max or 0), 2 * int(param.default))
        for pname, param in cls.params.items()
        if param.type is int
    }
    strategy = cls(**doubled)
    assert_window_parity(strategy, load(dataset, request), strategy.warmup)


@pytest.mark.parametrize("dataset", DATASETS)
@pytest.mark.parametrize("name", BUILTINS)
def test_latest_signal_matches_full_history(name: str, dataset: str, request: pytest.FixtureRequest) -> None:
    """The exact live call path: latest_signal on everything closed so far."""
    candles = load(dataset, request)
    strategy = REGISTRY.create(name)
    full = strategy.compute(candles)
    for t in sample_positions(strategy.warmup - 1, len(candles), count=40, seed=1):
        signal = strategy.latest_signal(candles.iloc[: t + 1], "BTCUSDT", "15m")
        assert signal.value == full["signal"].iloc[t]
        assert signal.stop_distance is not None
        assert same_distance(signal.stop_distance, full["stop_distance"].iloc[t])
        assert signal.ts == candles["ts"].iloc[t] + 900_000


@pytest.mark.parametrize("dataset", DATASETS)
@pytest.mark.parametrize("name", BUILTINS)
def test_latest_signal_on_the_windows_arrays_is_the_frame_paths(
    name: str, dataset: str, request: pytest.FixtureRequest
) -> None:
    """The live path hands the window's arrays (no DataFrame): the very same Signal, warm-up included."""
    candles = load(dataset, request)
    arrays = CandleArrays.from_frame(candles)
    strategy = REGISTRY.create(name)
    for t in sample_positions(0, len(candles), count=40, seed=3):
        end = t + 1
        head = CandleArrays(arrays.ts[:end], arrays.open[:end], arrays.high[:end], arrays.low[:end],
                            arrays.close[:end], arrays.volume[:end])
        live = strategy.latest_signal(head, "BTCUSDT", "15m")
        assert live == strategy.latest_signal(candles.iloc[: t + 1], "BTCUSDT", "15m"), f"row {t}"


@pytest.mark.parametrize("dataset", DATASETS)
@pytest.mark.parametrize("name", BUILTINS)
def test_no_look_ahead(name: str, dataset: str, request: pytest.FixtureRequest) -> None:
    """Cutting off the future never changes a row: row k of df[:k+1] equals row k of df, exactly."""
    assert_no_look_ahead(REGISTRY.create(name), load(dataset, request))


def assert_no_look_ahead(strategy: Strategy, candles: pd.DataFrame) -> None:
    before = candles.copy()
    full = strategy.compute(candles)
    pd.testing.assert_frame_equal(candles, before)  # compute never touches its input
    for k in sample_positions(0, len(candles), seed=2):
        row = strategy.compute(candles.iloc[: k + 1]).iloc[-1]
        np.testing.assert_array_equal(
            row.to_numpy(), full.iloc[k].to_numpy(), err_msg=f"{strategy.name}: row {k} changed"
        )


@pytest.mark.parametrize("dataset", REAL)
@pytest.mark.parametrize("name", BUILTINS)
def test_goes_both_ways_with_a_stop(name: str, dataset: str, request: pytest.FixtureRequest) -> None:
    candles = load(dataset, request)
    strategy = REGISTRY.create(name)
    out = strategy.compute(candles).iloc[strategy.warmup - 1 :]
    assert (out["signal"] > 0).sum() >= 20, f"{name} is never long on {dataset}"
    assert (out["signal"] < 0).sum() >= 20, f"{name} is never short on {dataset}"
    assert out["signal"].between(-1.0, 1.0).all()
    assert (out["stop_distance"] > 0).all() and np.isfinite(out["stop_distance"]).all()
    # the stop comes from volatility: a few ATRs are a fraction of a percent to some percent of price
    ratio = out["stop_distance"] / candles["close"].iloc[strategy.warmup - 1 :]
    assert ratio.median() < 0.1
    target = out["take_profit_distance"].dropna()
    assert (target > 0).all()


@pytest.mark.parametrize("name", BUILTINS)
def test_warmup_rows_have_no_view(name: str) -> None:
    strategy = REGISTRY.create(name)
    out = strategy.compute(make_candles(strategy.warmup + 50))
    head = out.iloc[: strategy.warmup - 1]
    assert (head["signal"] == 0.0).all()
    assert head["stop_distance"].isna().all()
    assert not out["signal"].isna().any()


def test_ema_cross_is_fast_on_a_year_of_minutes() -> None:
    candles = make_candles(525_600, step_ms=60_000)
    strategy = REGISTRY.create("ema_cross")
    strategy.compute(candles)
    best = float("inf")
    for _ in range(5):
        start = time.perf_counter()
        out = strategy.compute(candles)
        best = min(best, time.perf_counter() - start)
    assert len(out) == 525_600
    # typically 5-10 ms; the bound only catches an accidental Python loop or pandas rolling
    assert best < 0.08, f"ema_cross.compute took {best * 1e3:.1f} ms on 525,600 rows"


# ------------------------------------------------------------------- the harness itself has teeth


class Forgetful(EmaCross):
    """ema_cross claiming only the EMA lookback as warm-up, ignoring the seed's memory."""

    name = "forgetful_ema"

    @property
    def warmup(self) -> int:
        return self.int_param("slow") + 5


class Peeking(Strategy):
    """Wants to be long before a rise: reads the next candle's close (look-ahead)."""

    name = "peeking"

    @property
    def warmup(self) -> int:
        return 1

    def compute(self, candles: pd.DataFrame) -> pd.DataFrame:
        close = candles["close"].to_numpy()
        nxt = np.append(close[1:], close[-1])
        return self.signal_frame(candles, np.sign(nxt - close), close * 0.01)


def test_harness_catches_a_too_short_warmup() -> None:
    with pytest.raises(AssertionError, match="mismatches"):
        assert_window_parity(Forgetful(), make_candles(3000, seed=11), Forgetful().warmup)


def test_harness_catches_look_ahead() -> None:
    with pytest.raises(AssertionError, match="changed"):
        assert_no_look_ahead(Peeking(), make_candles(600))
