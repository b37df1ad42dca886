"""Bollinger squeeze: trade the volatility expansion that follows a contraction."""

from __future__ import annotations

from typing import ClassVar

import numpy as np

from perpbot.indicators.ta import atr, bbands, lag, rolling_max, rolling_min
from perpbot.indicators.warmup import atr_warmup
from perpbot.strategies.base import ArrayStrategy, CandleArrays, Param, SignalArrays
from perpbot.strategies.tools import hold_state


class BollingerSqueeze(ArrayStrategy):
    """Volatility expansion: after a squeeze (Bollinger bandwidth near its `squeeze_lookback` low), a
    close beyond a band starts a trade that way; it is held until the close crosses back over the
    middle band, or `max_hold` candles after the breakout.

    A squeeze is a bandwidth within `squeeze_ratio` x its lowest of the last `squeeze_lookback` candles;
    a breakout counts if a squeeze was on in the `release_bars` candles before it.
    """

    name = "bollinger_squeeze"
    description = "Volatility expansion: band breakout right after a Bollinger squeeze, held to the middle band."
    params: ClassVar[dict[str, Param]] = {
        "period": Param(int, 20, min=2, max=400, help="Bollinger period"),
        "nbdev": Param(float, 2.0, min=0.5, max=5.0, help="Bollinger width in standard deviations"),
        "squeeze_lookback": Param(int, 120, min=2, max=2000, help="candles over which the lowest bandwidth is taken"),
        "squeeze_ratio": Param(float, 1.2, min=1.0, max=5.0, help="bandwidth up to this x the low counts as a squeeze"),
        "release_bars": Param(int, 6, min=1, max=200, help="a breakout counts this many candles after a squeeze"),
        "max_hold": Param(int, 48, min=1, max=5000, help="candles a trade lives after its breakout"),
        "atr_period": Param(int, 14, min=2, max=200, help="ATR period for the stop distance"),
        "atr_mult": Param(float, 2.0, min=0.1, max=20.0, help="stop distance in ATRs"),
    }

    def setup(self) -> None:
        self._period = self.int_param("period")
        self._nbdev = self.float_param("nbdev")
        self._lookback = self.int_param("squeeze_lookback")
        self._ratio = self.float_param("squeeze_ratio")
        self._release = self.int_param("release_bars")
        self._max_hold = self.int_param("max_hold")
        self._atr_period = self.int_param("atr_period")
        self._atr_mult = self.float_param("atr_mult")
        # A breakout at row e reads squeezes at e - release .. e - 1, each reading `lookback` bandwidths,
        # each reading `period` closes; it then counts for max_hold rows.
        chain = self._max_hold + self._release + self._lookback + self._period - 2
        self._warmup = max(chain, atr_warmup(self._atr_period))

    @property
    def warmup(self) -> int:
        return self._warmup

    def compute_arrays(self, candles: CandleArrays) -> SignalArrays:
        high, low, close = candles.high, candles.low, candles.close
        band_hi, middle, band_lo = bbands(close, self._period, self._nbdev)
        with np.errstate(divide="ignore", invalid="ignore"):
            width = (band_hi - band_lo) / middle
        squeeze = (width <= self._ratio * rolling_min(width, self._lookback)).astype(np.float64)
        recent = lag(rolling_max(squeeze, self._release), 1) > 0.0
        signal = hold_state(
            long_entry=recent & (close > band_hi),
            short_entry=recent & (close < band_lo),
            long_exit=close < middle,
            short_exit=close > middle,
            max_hold=self._max_hold,
        )
        stop = atr(high, low, close, self._atr_period)
        stop *= self._atr_mult
        return signal, stop, None
