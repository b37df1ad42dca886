"""Donchian channel breakout, turtle style."""

from __future__ import annotations

from collections.abc import Mapping
from typing import ClassVar

from perpbot.indicators.ta import atr, lag, rolling_max, rolling_min
from perpbot.indicators.warmup import atr_warmup
from perpbot.strategies.base import ArrayStrategy, CandleArrays, Param, ParamValue, SignalArrays
from perpbot.strategies.tools import hold_state


class DonchianBreakout(ArrayStrategy):
    """Breakout: go long when the close breaks above the previous `entry_period`-bar high, short below
    the previous low; hold until the opposite `exit_period`-bar channel is broken.

    A trade also ends `max_hold` candles after its last breakout (a fresh breakout the same way
    restarts the count). Besides being a time stop, this bounds how far back the state depends on,
    so a rolling window reproduces it exactly.
    """

    name = "donchian_breakout"
    description = "Breakout of the previous N-bar high/low, held until the M-bar channel breaks the other way."
    params: ClassVar[dict[str, Param]] = {
        "entry_period": Param(int, 20, min=2, max=1000, help="breakout channel length, in candles"),
        "exit_period": Param(int, 10, min=1, max=1000, help="exit channel length (<= entry_period)"),
        "max_hold": Param(int, 200, min=1, max=5000, help="candles a trade lives after its last breakout"),
        "atr_period": Param(int, 14, min=2, max=200, help="ATR period for the stop distance"),
        "atr_mult": Param(float, 2.0, min=0.1, max=20.0, help="stop distance in ATRs"),
    }
    constraints = ("exit_period <= entry_period",)

    @classmethod
    def check_params(cls, values: Mapping[str, ParamValue]) -> None:
        if int(values["exit_period"]) > int(values["entry_period"]):
            raise cls.error(
                f"exit_period must not exceed entry_period, was exit_period={values['exit_period']}, "
                f"entry_period={values['entry_period']}"
            )

    def setup(self) -> None:
        self._entry = self.int_param("entry_period")
        self._exit = self.int_param("exit_period")
        self._max_hold = self.int_param("max_hold")
        self._atr_period = self.int_param("atr_period")
        self._atr_mult = self.float_param("atr_mult")
        # A breakout at row e reads rows e - entry_period .. e - 1 and counts for max_hold rows.
        self._warmup = max(self._max_hold + self._entry, atr_warmup(self._atr_period))

    @property
    def warmup(self) -> int:
        return self._warmup

    def compute_arrays(self, candles: CandleArrays) -> SignalArrays:
        high, low, close = candles.high, candles.low, candles.close
        entry_hi = lag(rolling_max(high, self._entry), 1)
        entry_lo = lag(rolling_min(low, self._entry), 1)
        exit_hi = lag(rolling_max(high, self._exit), 1)
        exit_lo = lag(rolling_min(low, self._exit), 1)
        signal = hold_state(
            long_entry=close > entry_hi,
            short_entry=close < entry_lo,
            long_exit=close < exit_lo,
            short_exit=close > exit_hi,
            max_hold=self._max_hold,
        )
        stop = atr(high, low, close, self._atr_period)
        stop *= self._atr_mult
        return signal, stop, None
