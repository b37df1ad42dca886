"""Signals: regime detection, the strategy matrix and the weighted aggregation of strategy signals.

The same arithmetic serves the vectorised backtest path (`SignalAggregator.combine`) and the
per-candle live path (`SignalAggregator.decide`).
"""

from perpbot.signals.aggregate import AggregateFrame, SignalAggregator
from perpbot.signals.codes import (
    DEFAULT,
    RANGING,
    REGIME_NAMES,
    TRENDING,
    UNKNOWN,
    VOLATILE,
    regime_code,
    regime_name,
)
from perpbot.signals.config import AggregationConfig, MatrixConfig, RegimeConfig
from perpbot.signals.matrix import StrategyMatrix, StrategySettings, StrategyWeight
from perpbot.signals.regime import RegimeClassifier, RegimeFeatures, RegimeReading, align_regimes

__all__ = [
    "DEFAULT",
    "RANGING",
    "REGIME_NAMES",
    "TRENDING",
    "UNKNOWN",
    "VOLATILE",
    "AggregateFrame",
    "AggregationConfig",
    "MatrixConfig",
    "RegimeClassifier",
    "RegimeConfig",
    "RegimeFeatures",
    "RegimeReading",
    "SignalAggregator",
    "StrategyMatrix",
    "StrategySettings",
    "StrategyWeight",
    "align_regimes",
    "regime_code",
    "regime_name",
]
