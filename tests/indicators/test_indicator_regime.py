"""Regime features: efficiency ratio, bandwidth, and the bundle a regime classifier reads."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from perpbot import indicators as ind
from tests.conftest import make_candles
from tests.indicators.indicator_data import btc_1h


def test_efficiency_ratio_extremes() -> None:
    line = np.linspace(100.0, 200.0, 60)
    er = ind.efficiency_ratio(line, 10)
    assert np.isnan(er[:10]).all()
    np.testing.assert_allclose(er[10:], 1.0)
    zigzag = 100.0 + np.tile([0.0, 1.0], 30)
    np.testing.assert_allclose(ind.efficiency_ratio(zigzag, 10)[10:], 0.0)
    np.testing.assert_array_equal(ind.efficiency_ratio(np.full(30, 5.0), 10)[10:], 0.0)
    assert np.isnan(ind.efficiency_ratio(line[:5], 10)).all()


def test_efficiency_ratio_matches_its_definition() -> None:
    close = make_candles(300)["close"].to_numpy()
    er = ind.efficiency_ratio(close, 20)
    for t in (20, 57, 299):
        window = close[t - 20 : t + 1]
        expected = abs(window[-1] - window[0]) / np.abs(np.diff(window)).sum()
        assert er[t] == pytest.approx(expected, rel=1e-12)


def test_bandwidth_is_relative_band_width() -> None:
    close = make_candles(200)["close"].to_numpy()
    upper, middle, lower = ind.bbands(close, 20, 2.0)
    np.testing.assert_allclose(ind.bandwidth(close, 20)[19:], ((upper - lower) / middle)[19:])
    assert (ind.bandwidth(close, 20)[19:] > 0).all()


def test_features_bundle() -> None:
    c = make_candles(600)
    feats = ind.regime_features(c["high"], c["low"], c["close"])
    for arr in (feats.adx, feats.natr, feats.efficiency, feats.bandwidth):
        assert arr.shape == (600,) and arr.dtype == np.float64
    w = ind.regime_warmup()
    assert np.nanmin(feats.adx[w:]) >= 0 and np.nanmax(feats.adx[w:]) <= 100
    assert (feats.natr[w:] > 0).all()
    assert ((feats.efficiency[w:] >= 0) & (feats.efficiency[w:] <= 1)).all()
    row = feats.row()
    assert set(row) == {"adx", "natr", "efficiency", "bandwidth"}
    assert row["adx"] == feats.adx[-1]
    assert np.isnan(feats.row(0)["adx"])


def test_a_trend_reads_more_efficient_and_directional_than_chop() -> None:
    n = 400
    rng = np.random.default_rng(5)
    trend = 100 * np.exp(np.cumsum(0.004 + rng.normal(0, 0.002, n)))
    chop = 100 * np.exp(np.cumsum(rng.normal(0, 0.006, n)))
    def feats(close: np.ndarray) -> ind.RegimeFeatures:
        return ind.regime_features(close * 1.002, close * 0.998, close)
    t, c = feats(trend), feats(chop)
    w = ind.regime_warmup()
    assert np.nanmean(t.efficiency[w - 200 :]) > 2 * np.nanmean(c.efficiency[w - 200 :])
    assert np.nanmean(t.adx[100:]) > np.nanmean(c.adx[100:])


@pytest.mark.shared_data
def test_regime_warmup_window_matches_full_history(shared_data: Path) -> None:
    candles = btc_1h(shared_data)
    h, lo, cl = (candles[k].to_numpy() for k in ("high", "low", "close"))
    full = ind.regime_features(h, lo, cl)
    w = ind.regime_warmup()
    for t in range(len(candles) - 1, w, -97):
        s = t - w + 1
        last = ind.regime_features(h[s : t + 1], lo[s : t + 1], cl[s : t + 1]).row()
        for key, value in full.row(t).items():
            assert value == pytest.approx(last[key], rel=1e-9), (key, t)
