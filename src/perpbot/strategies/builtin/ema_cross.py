"""EMA crossover: the plainest trend follower, and the benchmark strategy."""

from __future__ import annotations

from collections.abc import Mapping
from typing import ClassVar

import numpy as np

from perpbot.indicators.ta import atr, ema
from perpbot.indicators.warmup import atr_warmup, ema_warmup
from perpbot.strategies.base import ArrayStrategy, CandleArrays, Param, ParamValue, SignalArrays, require_below


class EmaCross(ArrayStrategy):
    """Trend following: long while the fast EMA is above the slow EMA, short otherwise.

    Always in the market after warm-up, with full conviction; the stop is `atr_mult` x ATR. Kept lean
    (two EMAs, one ATR, one comparison) because backtest benchmarks run it over years of 1m candles.
    """

    name = "ema_cross"
    description = "Trend following: +1 while EMA(fast) > EMA(slow), else -1; stop at atr_mult x ATR."
    params: ClassVar[dict[str, Param]] = {
        "fast": Param(int, 13, min=2, max=500, help="fast EMA period, in candles"),
        "slow": Param(int, 34, min=3, max=1000, help="slow EMA period, in candles"),
        "atr_period": Param(int, 14, min=2, max=200, help="ATR period for the stop distance"),
        "atr_mult": Param(float, 2.0, min=0.1, max=20.0, help="stop distance in ATRs"),
    }
    constraints = ("fast < slow",)

    @classmethod
    def check_params(cls, values: Mapping[str, ParamValue]) -> None:
        require_below(cls, values, "fast", "slow")

    def setup(self) -> None:
        self._fast = self.int_param("fast")
        self._slow = self.int_param("slow")
        self._atr_period = self.int_param("atr_period")
        self._atr_mult = self.float_param("atr_mult")
        self._warmup = max(ema_warmup(self._slow), ema_warmup(self._fast), atr_warmup(self._atr_period))

    @property
    def warmup(self) -> int:
        return self._warmup

    def compute_arrays(self, candles: CandleArrays) -> SignalArrays:
        high, low, close = candles.high, candles.low, candles.close
        # +1 / -1 written over the fast EMA's buffer: one fewer 8-byte-per-row array to allocate.
        signal = ema(close, self._fast)
        above = signal > ema(close, self._slow)
        np.multiply(above, 2.0, out=signal)
        signal -= 1.0
        stop = atr(high, low, close, self._atr_period)
        stop *= self._atr_mult
        return signal, stop, None
