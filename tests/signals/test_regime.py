"""Regime classification: the rule against a per-bar reference, hysteresis, dwell, and window parity."""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from perpbot.errors import DataError
from perpbot.signals import (
    DEFAULT,
    RANGING,
    TRENDING,
    UNKNOWN,
    VOLATILE,
    RegimeClassifier,
    RegimeConfig,
    RegimeFeatures,
    align_regimes,
)


def reference_labels(adx: list[float], natr: list[float], cfg: RegimeConfig) -> list[int]:
    """The documented rule as a plain per-bar state machine."""
    volatile = trending = False
    label, prev_raw, run = UNKNOWN, None, 0
    out = []
    for a, v in zip(adx, natr, strict=True):
        if not math.isnan(v):
            if v >= cfg.volatile_natr_enter:
                volatile = True
            elif v <= cfg.volatile_natr_exit:
                volatile = False
        if not math.isnan(a):
            if a >= cfg.trend_adx_enter:
                trending = True
            elif a <= cfg.trend_adx_exit:
                trending = False
        known = not (math.isnan(a) or math.isnan(v))
        raw = (VOLATILE if volatile else TRENDING if trending else RANGING) if known else UNKNOWN
        run = run + 1 if raw == prev_raw else 1
        prev_raw = raw
        if raw != UNKNOWN and run >= cfg.min_bars_in_regime:
            label = raw
        out.append(label)
    return out


def features(adx: Sequence[float], natr: Sequence[float]) -> RegimeFeatures:
    return RegimeFeatures(np.array(adx, dtype=np.float64), np.array(natr, dtype=np.float64))


@settings(max_examples=200, deadline=None)
@given(
    data=st.lists(st.tuples(st.floats(0, 60), st.floats(0, 3)), min_size=0, max_size=120),
    warmup=st.integers(0, 10),
    dwell=st.integers(1, 6),
)
def test_vectorised_rule_matches_per_bar_reference(
    data: list[tuple[float, float]], warmup: int, dwell: int
) -> None:
    cfg = RegimeConfig(min_bars_in_regime=dwell)
    adx = [math.nan] * warmup + [a for a, _ in data]
    natr = [math.nan] * warmup + [v for _, v in data]
    got = RegimeClassifier(cfg).classify_features(features(adx, natr))
    assert got.dtype == np.int8
    assert got.tolist() == reference_labels(adx, natr, cfg)


def test_hysteresis_holds_inside_the_band() -> None:
    cfg = RegimeConfig(min_bars_in_regime=1, trend_adx_enter=25, trend_adx_exit=20)
    clf = RegimeClassifier(cfg)
    adx = [10, 22, 26, 24, 21, 20, 22, 24, 25]
    natr = [0.5] * len(adx)
    assert clf.classify_features(features(adx, natr)).tolist() == [
        RANGING, RANGING, TRENDING, TRENDING, TRENDING, RANGING, RANGING, RANGING, TRENDING
    ]


def test_volatile_wins_over_trending() -> None:
    clf = RegimeClassifier(RegimeConfig(min_bars_in_regime=1))
    labels = clf.classify_features(features([40, 40, 40, 40], [0.5, 1.6, 1.3, 1.1]))
    assert labels.tolist() == [TRENDING, VOLATILE, VOLATILE, TRENDING]


def test_dwell_time_filters_short_flips_and_holds_adopted_labels() -> None:
    clf = RegimeClassifier(RegimeConfig(min_bars_in_regime=3))
    adx = [10, 10, 10, 30, 30, 10, 10, 30, 30, 30, 30, 10]
    labels = clf.classify_features(features(adx, [0.5] * len(adx))).tolist()
    assert labels == [UNKNOWN, UNKNOWN, RANGING, RANGING, RANGING, RANGING, RANGING, RANGING, RANGING,
                      TRENDING, TRENDING, TRENDING]


@settings(max_examples=100, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), dwell=st.integers(1, 8))
def test_every_adopted_label_lasts_at_least_the_dwell_time(seed: int, dwell: int) -> None:
    rng = np.random.default_rng(seed)
    n = 400
    adx = np.clip(25 + np.cumsum(rng.normal(0, 3, n)), 0, 100)
    natr = np.abs(1.3 + np.cumsum(rng.normal(0, 0.1, n)))
    labels = RegimeClassifier(RegimeConfig(min_bars_in_regime=dwell)).classify_features(RegimeFeatures(adx, natr))
    change = np.flatnonzero(np.diff(labels)) + 1
    bounds = np.concatenate([[0], change, [n]])
    runs = np.diff(bounds)
    first_known = labels[0] != UNKNOWN
    inner = runs[(0 if first_known else 1) : -1]  # the last run may be cut by the end of the data
    assert (inner >= dwell).all()


def test_warmup_is_unknown_and_disabled_is_default(candles: pd.DataFrame) -> None:
    clf = RegimeClassifier(RegimeConfig())
    labels = clf.classify(candles)
    assert clf.warmup == 27
    assert clf.converged_from == 27 + 20 * 14
    assert clf.min_history == clf.converged_from + 3
    assert (labels[: clf.warmup] == UNKNOWN).all()
    assert (labels[clf.warmup + 2 :] != UNKNOWN).all()
    off = RegimeClassifier(RegimeConfig(enabled=False))
    assert (off.classify(candles) == DEFAULT).all()
    assert off.settled_from(candles) == 0


def test_features_are_talib_adx_and_natr(candles: pd.DataFrame) -> None:
    import talib

    f = RegimeClassifier(RegimeConfig(adx_period=10, atr_period=7)).features(candles)
    h, lo, c = (candles[k].to_numpy() for k in ("high", "low", "close"))
    np.testing.assert_array_equal(f.adx, talib.ADX(h, lo, c, timeperiod=10))
    np.testing.assert_array_equal(f.natr, talib.NATR(h, lo, c, timeperiod=7))
    assert set(f.at(100)) == {"adx", "natr"}


def test_no_look_ahead_prefix_gives_the_same_labels(candles: pd.DataFrame) -> None:
    clf = RegimeClassifier(RegimeConfig())
    full = clf.classify(candles)
    for k in (1, 30, 31, 100, 333, len(candles) - 1):
        np.testing.assert_array_equal(clf.classify(candles.iloc[:k]), full[:k])


def test_settled_windows_match_the_full_history_on_synthetic_candles(candles: pd.DataFrame) -> None:
    clf = RegimeClassifier(RegimeConfig(adx_period=5, atr_period=5, min_bars_in_regime=2))
    full = clf.classify(candles)
    settled_checked = 0
    for window in (40, 120, 200):
        for end in range(window, len(candles) + 1, 7):
            frame = candles.iloc[end - window : end]
            labels = clf.classify(frame)
            start = clf.settled_from(frame)
            np.testing.assert_array_equal(labels[start:], full[end - window + start : end])
            settled_checked += window - start
    assert settled_checked > 1000


def test_reading_reports_the_last_candle(candles: pd.DataFrame) -> None:
    clf = RegimeClassifier(RegimeConfig())
    r = clf.reading(candles)
    f = clf.features(candles)
    assert r.code == clf.classify(candles)[-1]
    assert (r.adx, r.natr) == (f.adx[-1], f.natr[-1])
    assert r.settled
    assert not clf.reading(candles.iloc[:100]).settled  # too short to have converged
    with pytest.raises(DataError):
        clf.reading(candles.iloc[:0])
    with pytest.raises(DataError, match="missing close"):
        clf.features(candles.drop(columns=["close"]))


def test_align_regimes_uses_only_closed_regime_candles() -> None:
    hour, quarter = 3_600_000, 900_000
    regime_ts = np.array([0, hour, 2 * hour], dtype=np.int64)
    codes = np.array([TRENDING, RANGING, VOLATILE], dtype=np.int8)
    target = np.arange(0, 3 * hour, quarter, dtype=np.int64)
    got = align_regimes(regime_ts, codes, "1h", target, "15m")
    # The 15m candle opening 00:45 closes 01:00, when the 00:00 hour candle has just closed.
    assert got.tolist() == [UNKNOWN] * 3 + [TRENDING] * 4 + [RANGING] * 4 + [VOLATILE]
    assert align_regimes(regime_ts[:0], codes[:0], "1h", target, "15m").tolist() == [UNKNOWN] * 12


def load(path: Path) -> pd.DataFrame:
    return pd.read_csv(path).rename(columns={"timestamp": "ts"})


@pytest.mark.shared_data
@pytest.mark.parametrize("symbol", ["BTCUSDT", "WIFUSDT"])
def test_live_window_parity_on_real_bybit_candles(shared_data: Path, symbol: str) -> None:
    """Live computes on the last 500 closed candles: every such label must equal the backtest's.

    Guarantee checked: wherever the window is settled the labels are equal (no exception allowed),
    and with 500-candle windows on real 1h data every window is settled and features agree < 1e-9.
    """
    df = load(shared_data / f"bybit_linear_{symbol}_1h.csv.gz")
    clf = RegimeClassifier(RegimeConfig())
    full_features = clf.features(df)
    full = clf.classify_features(full_features)
    window = 500
    checked = unsettled = 0
    max_diff = 0.0
    for end in range(window, len(df) + 1, 3):
        f = clf.features(df.iloc[end - window : end])
        label = clf.classify_features(f)[-1]
        settled = clf.settled_from_features(f) <= window - 1
        max_diff = max(max_diff, abs(f.adx[-1] - full_features.adx[end - 1]),
                       abs(f.natr[-1] - full_features.natr[end - 1]))
        unsettled += not settled
        if settled:
            assert label == full[end - 1], f"settled window ending at {end - 1} disagrees"
        checked += 1
    assert checked > 5000
    assert unsettled == 0
    assert max_diff < 1e-9
    # Every regime actually occurs on real data.
    assert {RANGING, TRENDING, VOLATILE} <= set(full.tolist())


@pytest.mark.shared_data
def test_short_windows_are_flagged_unsettled_and_settled_parts_agree(shared_data: Path) -> None:
    df = load(shared_data / "bybit_linear_ETHUSDT_1h.csv.gz").iloc[:4000]
    clf = RegimeClassifier(RegimeConfig())
    full = clf.classify(df)
    for window in (120, 400):
        for end in range(window, len(df) + 1, 50):
            frame = df.iloc[end - window : end]
            start = clf.settled_from(frame)
            if window < clf.converged_from:
                assert start == window
            np.testing.assert_array_equal(clf.classify(frame)[start:], full[end - window + start : end])


@settings(max_examples=200, deadline=None)
@given(
    data=st.lists(st.tuples(st.floats(0, 60), st.floats(0, 3)), min_size=0, max_size=80),
    warmup=st.integers(0, 10),
    dwell=st.integers(1, 6),
)
def test_latest_code_is_the_last_label_of_every_prefix(data: list[tuple[float, float]], warmup: int,
                                                       dwell: int) -> None:
    """The live path labels only the last candle: it must be the full labelling's last label, always."""
    cfg = RegimeConfig(min_bars_in_regime=dwell)
    adx = [math.nan] * warmup + [a for a, _ in data]
    natr = [math.nan] * warmup + [v for _, v in data]
    expected = reference_labels(adx, natr, cfg)
    clf = RegimeClassifier(cfg)
    assert clf.latest_code(features([], [])) == UNKNOWN
    for k in range(1, len(adx) + 1):
        assert clf.latest_code(features(adx[:k], natr[:k])) == expected[k - 1], f"prefix of {k}"


def test_latest_code_on_candles_and_when_disabled(candles: pd.DataFrame) -> None:
    clf = RegimeClassifier(RegimeConfig())
    full = clf.classify(candles)
    h, lo, c = (candles[k].to_numpy() for k in ("high", "low", "close"))
    for end in (1, 27, 30, 200, len(candles)):
        assert clf.latest_code(clf.features_of(h[:end], lo[:end], c[:end])) == full[end - 1]
    off = RegimeClassifier(RegimeConfig(enabled=False))
    assert off.latest_code(off.features_of(h, lo, c)) == DEFAULT
    f = clf.features_of(h, lo, c)
    g = clf.features(candles)
    np.testing.assert_array_equal(f.adx, g.adx)
    np.testing.assert_array_equal(f.natr, g.natr)


@pytest.mark.parametrize("seed", range(6))
def test_latest_code_on_long_histories_that_linger_in_the_bands(seed: int) -> None:
    """Long histories where the features sit inside a hysteresis band for hundreds of candles and
    flip often: `latest_code` must look back past its first tail, and still give the full labelling's."""
    rng = np.random.default_rng(seed)
    n = 2500
    adx = np.clip(22.5 + np.cumsum(rng.normal(0, 0.4 + seed * 0.3, n)) * 0.2, 5, 60)
    natr = np.abs(1.15 + np.cumsum(rng.normal(0, 0.01 + seed * 0.01, n)))
    adx[:27] = natr[:14] = math.nan
    for dwell in (1, 3, 8):
        clf = RegimeClassifier(RegimeConfig(min_bars_in_regime=dwell))
        full = clf.classify_features(RegimeFeatures(adx, natr))
        for end in range(1, n + 1, 11):
            got = clf.latest_code(RegimeFeatures(adx[:end], natr[:end]))
            assert got == full[end - 1], f"seed {seed}, dwell {dwell}, after {end} candles"
