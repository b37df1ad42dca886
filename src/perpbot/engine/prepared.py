"""Market data and precomputed signals for a backtest, aligned on one execution grid."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

import numpy as np

from perpbot.model import Instrument


@dataclass(slots=True)
class PreparedSymbol:
    """One symbol's execution candles and its aggregated intent per bar (decided at that bar's close)."""

    symbol: str
    instrument: Instrument
    leverage: Decimal
    open: np.ndarray
    high: np.ndarray
    low: np.ndarray
    close: np.ndarray
    direction: np.ndarray  # int8: -1/0/1 wanted at the close of each bar
    regime: np.ndarray  # int8 regime codes (perpbot.signals.codes), -1 while indicators warm up
    # What an intent is made of, kept only at the bars where `direction` changes (bar 0 included): a decision is
    # only ever taken there, and per bar these float64 series took some 21 MB a symbol for a year of minutes.
    # `change_bars[row]` is the bar of each row, in order (int64; a dict from bar to row took 1.7 MB more).
    change_bars: np.ndarray
    score: np.ndarray
    strength: np.ndarray
    stop_distance: np.ndarray
    take_profit_distance: np.ndarray
    strategy_values: dict[str, np.ndarray] = field(default_factory=dict)  # each strategy's signal, same rows
    strategy_timeframes: dict[str, str] = field(default_factory=dict)
    # each regime's strategy weights, as the (strategy, weight) pairs an intent carries: one shared tuple per regime
    weights_by_regime: dict[str, tuple[tuple[str, float], ...]] = field(default_factory=dict)
    funding_bars: np.ndarray = field(default_factory=lambda: np.empty(0, dtype=np.int64))
    funding_rates: list[Decimal] = field(default_factory=list)


@dataclass(slots=True)
class PreparedData:
    """Every symbol on the same execution grid: `ts` holds candle open times in ms."""

    timeframe: str
    timeframe_ms: int
    ts: np.ndarray
    symbols: list[PreparedSymbol]

    @property
    def close_ts(self) -> np.ndarray:
        return self.ts + self.timeframe_ms
