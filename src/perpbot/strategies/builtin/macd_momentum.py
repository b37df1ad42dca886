"""MACD histogram momentum with a rate-of-change confirmation."""

from __future__ import annotations

from collections.abc import Mapping
from typing import ClassVar

import numpy as np

from perpbot.indicators.ta import atr, macd, roc
from perpbot.indicators.warmup import atr_warmup, macd_warmup, roc_warmup
from perpbot.strategies.base import ArrayStrategy, CandleArrays, Param, ParamValue, SignalArrays, require_below
from perpbot.strategies.tools import quantize


class MacdMomentum(ArrayStrategy):
    """Momentum: the side of the MACD histogram, taken only when the `roc_period` rate of change agrees.

    Conviction is the histogram measured in ATRs, reaching 1 at `full_strength` ATRs and clipped to
    [-1, 1], then rounded to 0.01 (so a rolling window and the full history agree exactly). When
    histogram and ROC disagree there is no view.
    """

    name = "macd_momentum"
    description = "Momentum: MACD histogram side confirmed by ROC; conviction = histogram / ATR, clipped."
    params: ClassVar[dict[str, Param]] = {
        "fast": Param(int, 12, min=2, max=200, help="MACD fast EMA period"),
        "slow": Param(int, 26, min=3, max=400, help="MACD slow EMA period"),
        "signal": Param(int, 9, min=2, max=200, help="MACD signal line EMA period"),
        "roc_period": Param(int, 10, min=1, max=400, help="rate-of-change period for the confirmation"),
        "full_strength": Param(
            float, 0.25, min=0.01, max=10.0, help="histogram size, in ATRs, that gives full conviction"
        ),
        "atr_period": Param(int, 14, min=2, max=200, help="ATR period for the stop and the scaling"),
        "atr_mult": Param(float, 2.0, min=0.1, max=20.0, help="stop distance in ATRs"),
    }
    constraints = ("fast < slow",)

    @classmethod
    def check_params(cls, values: Mapping[str, ParamValue]) -> None:
        require_below(cls, values, "fast", "slow")

    def setup(self) -> None:
        self._fast = self.int_param("fast")
        self._slow = self.int_param("slow")
        self._signal = self.int_param("signal")
        self._roc_period = self.int_param("roc_period")
        self._full = self.float_param("full_strength")
        self._atr_period = self.int_param("atr_period")
        self._atr_mult = self.float_param("atr_mult")
        self._warmup = max(
            macd_warmup(self._fast, self._slow, self._signal),
            roc_warmup(self._roc_period),
            atr_warmup(self._atr_period),
        )

    @property
    def warmup(self) -> int:
        return self._warmup

    def compute_arrays(self, candles: CandleArrays) -> SignalArrays:
        high, low, close = candles.high, candles.low, candles.close
        _, _, hist = macd(close, self._fast, self._slow, self._signal)
        change = roc(close, self._roc_period)
        vol = atr(high, low, close, self._atr_period)
        with np.errstate(divide="ignore", invalid="ignore"):
            strength = np.clip(hist / (self._full * vol), -1.0, 1.0)
        agree = ((hist > 0.0) & (change > 0.0)) | ((hist < 0.0) & (change < 0.0))
        signal = quantize(np.where(agree & np.isfinite(strength), strength, 0.0))
        stop = vol * self._atr_mult
        return signal, stop, None
