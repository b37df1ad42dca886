"""The TA-Lib helpers: same numbers as TA-Lib, float64 in and out, NaN exactly over the lookback."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd
import pytest
import talib

from perpbot import indicators as ind
from tests.conftest import make_candles

C = make_candles(400)
H, L, CL = (C[k].to_numpy() for k in ("high", "low", "close"))


@pytest.mark.parametrize(
    ("ours", "theirs", "lookback"),
    [
        (lambda: ind.sma(CL, 20), lambda: talib.SMA(CL, 20), 19),
        (lambda: ind.ema(CL, 20), lambda: talib.EMA(CL, 20), 19),
        (lambda: ind.rsi(CL, 14), lambda: talib.RSI(CL, 14), 14),
        (lambda: ind.atr(H, L, CL, 14), lambda: talib.ATR(H, L, CL, 14), 14),
        (lambda: ind.natr(H, L, CL, 14), lambda: talib.NATR(H, L, CL, 14), 14),
        (lambda: ind.adx(H, L, CL, 14), lambda: talib.ADX(H, L, CL, 14), 27),
        (lambda: ind.plus_di(H, L, CL, 14), lambda: talib.PLUS_DI(H, L, CL, 14), 14),
        (lambda: ind.minus_di(H, L, CL, 14), lambda: talib.MINUS_DI(H, L, CL, 14), 14),
        (lambda: ind.true_range(H, L, CL), lambda: talib.TRANGE(H, L, CL), 1),
        (lambda: ind.roc(CL, 10), lambda: talib.ROC(CL, 10), 10),
        (lambda: ind.stddev(CL, 20), lambda: talib.STDDEV(CL, 20, 1.0), 19),
        (lambda: ind.rolling_max(H, 20), lambda: talib.MAX(H, 20), 19),
        (lambda: ind.rolling_min(L, 20), lambda: talib.MIN(L, 20), 19),
        (lambda: ind.rolling_sum(CL, 20), lambda: talib.SUM(CL, 20), 19),
        (lambda: ind.bbands(CL, 20, 2.0)[0], lambda: talib.BBANDS(CL, 20, 2.0, 2.0)[0], 19),
        (lambda: ind.macd(CL, 12, 26, 9)[2], lambda: talib.MACD(CL, 12, 26, 9)[2], 33),
    ],
)
def test_same_as_talib_with_nan_lookback(
    ours: Callable[[], np.ndarray], theirs: Callable[[], np.ndarray], lookback: int
) -> None:
    out = ours()
    assert isinstance(out, np.ndarray) and out.dtype == np.float64 and out.shape == CL.shape
    np.testing.assert_array_equal(out, theirs())
    assert np.isnan(out[:lookback]).all()
    assert not np.isnan(out[lookback:]).any()


def test_inputs_are_converted_to_float64() -> None:
    as_list = [float(x) for x in CL]
    as_ints = np.arange(1, 101, dtype=np.int64)
    np.testing.assert_array_equal(ind.ema(as_list, 10), talib.EMA(CL, 10))
    np.testing.assert_array_equal(ind.sma(as_ints, 5), talib.SMA(as_ints.astype(np.float64), 5))
    series = pd.Series(CL)
    assert isinstance(ind.rsi(series, 14), np.ndarray)
    strided = np.repeat(CL, 2)[::2]  # not contiguous
    np.testing.assert_array_equal(ind.ema(strided, 10), talib.EMA(CL, 10))


def test_as_f64_does_not_copy_a_float64_array() -> None:
    assert ind.as_f64(CL) is CL or np.shares_memory(ind.as_f64(CL), CL)


def test_bbands_are_sma_plus_minus_population_stddev() -> None:
    upper, middle, lower = ind.bbands(CL, 20, 2.5)
    ref_mid = pd.Series(CL).rolling(20).mean().to_numpy()
    ref_std = pd.Series(CL).rolling(20).std(ddof=0).to_numpy()
    np.testing.assert_allclose(middle[19:], ref_mid[19:], rtol=1e-12)
    np.testing.assert_allclose(upper[19:], ref_mid[19:] + 2.5 * ref_std[19:], rtol=1e-9)
    np.testing.assert_allclose(lower[19:], ref_mid[19:] - 2.5 * ref_std[19:], rtol=1e-9)


def test_donchian_is_the_rolling_extreme_including_this_row() -> None:
    upper, lower = ind.donchian(H, L, 20)
    np.testing.assert_array_equal(upper[19:], pd.Series(H).rolling(20).max().to_numpy()[19:])
    np.testing.assert_array_equal(lower[19:], pd.Series(L).rolling(20).min().to_numpy()[19:])


def test_roc_formula() -> None:
    np.testing.assert_allclose(ind.roc(CL, 10)[10:], 100 * (CL[10:] / CL[:-10] - 1), rtol=1e-10)


def test_lag_shifts_backwards_only() -> None:
    values = np.array([1.0, 2.0, 3.0, 4.0])
    np.testing.assert_array_equal(ind.lag(values, 1), [np.nan, 1.0, 2.0, 3.0])
    np.testing.assert_array_equal(ind.lag(values, 0), values)
    np.testing.assert_array_equal(ind.lag(values, 6), [np.nan] * 4)
    with pytest.raises(ValueError, match="lag periods must be >= 0, was -1"):
        ind.lag(values, -1)
