"""RSI mean reversion, optionally gated by the Bollinger bands."""

from __future__ import annotations

from collections.abc import Mapping
from typing import ClassVar

import numpy as np

from perpbot.indicators.ta import atr, bbands, rsi
from perpbot.indicators.warmup import atr_warmup, rsi_warmup, sma_warmup
from perpbot.strategies.base import ArrayStrategy, CandleArrays, Param, ParamValue, SignalArrays


class RsiReversion(ArrayStrategy):
    """Mean reversion: long while RSI is below `lower` (oversold), short while above `upper`; else no view.

    `band_mode` gates it with the Bollinger bands: "inside" fades only while the close is still inside
    the bands (an extreme RSI without a band break is a stretch, a band break is often a breakout that
    keeps going); "outside" demands the close beyond the band (double confirmation); "off" is plain RSI.
    The target is the middle band (the mean it bets on), when price is on the right side of it.
    """

    name = "rsi_reversion"
    description = "Mean reversion: long when RSI < lower, short when RSI > upper, optional Bollinger gate."
    params: ClassVar[dict[str, Param]] = {
        "rsi_period": Param(int, 14, min=2, max=200, help="RSI period, in candles"),
        "lower": Param(float, 30.0, min=1.0, max=50.0, help="RSI below this is oversold: go long"),
        "upper": Param(float, 70.0, min=50.0, max=99.0, help="RSI above this is overbought: go short"),
        "band_mode": Param(
            str, "inside", choices=("inside", "outside", "off"),
            help="Bollinger gate: fade only inside the bands, only beyond them, or no gate",
        ),
        "bb_period": Param(int, 20, min=2, max=400, help="Bollinger period (also the take-profit mean)"),
        "bb_std": Param(float, 2.0, min=0.5, max=5.0, help="Bollinger width in standard deviations"),
        "atr_period": Param(int, 14, min=2, max=200, help="ATR period for the stop distance"),
        "atr_mult": Param(float, 1.5, min=0.1, max=20.0, help="stop distance in ATRs"),
    }
    constraints = ("lower < upper",)

    @classmethod
    def check_params(cls, values: Mapping[str, ParamValue]) -> None:
        if float(values["lower"]) >= float(values["upper"]):
            raise cls.error(f"lower must be below upper, was lower={values['lower']}, upper={values['upper']}")

    def setup(self) -> None:
        self._rsi_period = self.int_param("rsi_period")
        self._lower = self.float_param("lower")
        self._upper = self.float_param("upper")
        self._band_mode = self.str_param("band_mode")
        self._bb_period = self.int_param("bb_period")
        self._bb_std = self.float_param("bb_std")
        self._atr_period = self.int_param("atr_period")
        self._atr_mult = self.float_param("atr_mult")
        self._warmup = max(rsi_warmup(self._rsi_period), sma_warmup(self._bb_period), atr_warmup(self._atr_period))

    @property
    def warmup(self) -> int:
        return self._warmup

    def compute_arrays(self, candles: CandleArrays) -> SignalArrays:
        high, low, close = candles.high, candles.low, candles.close
        level = rsi(close, self._rsi_period)
        band_hi, middle, band_lo = bbands(close, self._bb_period, self._bb_std)
        long = level < self._lower
        short = level > self._upper
        if self._band_mode == "inside":
            long &= close > band_lo
            short &= close < band_hi
        elif self._band_mode == "outside":
            long &= close <= band_lo
            short &= close >= band_hi
        signal = long.astype(np.float64) - short.astype(np.float64)
        target = np.where(long, middle - close, np.where(short, close - middle, np.nan))
        target[~(target > 0.0)] = np.nan
        stop = atr(high, low, close, self._atr_period)
        stop *= self._atr_mult
        return signal, stop, target
