"""Strategies: the Strategy contract and its parameters, the registry, and the built-ins."""

from perpbot.strategies.base import (
    CANDLE_COLUMNS,
    LIVE_WINDOW,
    SIGNAL_COLUMNS,
    ArrayStrategy,
    CandleArrays,
    SignalArrays,
    SignalFrame,
    Strategy,
)
from perpbot.strategies.params import Param, ParamValue
from perpbot.strategies.registry import ENTRY_POINT_GROUP, StrategyRegistry
from perpbot.strategies.tools import hold_state, quantize

__all__ = [
    "CANDLE_COLUMNS",
    "ENTRY_POINT_GROUP",
    "LIVE_WINDOW",
    "SIGNAL_COLUMNS",
    "ArrayStrategy",
    "CandleArrays",
    "Param",
    "ParamValue",
    "SignalArrays",
    "SignalFrame",
    "Strategy",
    "StrategyRegistry",
    "hold_state",
    "quantize",
]
