"""The market at the start of a session: price, recent volatility and regime per symbol."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from perpbot.config import PerpbotConfig
from perpbot.data.sources import MarketDataSource
from perpbot.engine.prepare import execution_timeframe
from perpbot.errors import DataError
from perpbot.model.timeframe import timeframe_ms
from perpbot.signals.regime import RegimeClassifier

_YEAR_MS = 365 * 86_400_000
LOOKBACK = 200  # execution candles behind the start that the volatility is measured on


def market_context(config: PerpbotConfig, source: MarketDataSource, start_ms: int) -> dict[str, Any]:
    """Per symbol: the last close before `start_ms`, annualised realised volatility of the candles before
    it, and the regime then. Only candles closed by the start are read, so nothing from the run leaks in."""
    tf = execution_timeframe(config)
    step = timeframe_ms(tf)
    out: dict[str, Any] = {"timeframe": tf, "at": start_ms, "symbols": {}}
    classifier = RegimeClassifier(config.regime) if config.regime.enabled else None
    for sym in config.symbols:
        entry: dict[str, Any] = {}
        try:
            frame = source.candles(sym.symbol, tf, start_ms - (LOOKBACK + 1) * step, start_ms + step)
        except DataError:
            out["symbols"][sym.symbol] = {"note": "no candles at the start"}
            continue
        closes = frame["close"].to_numpy(dtype=np.float64)
        entry["price"] = float(closes[-1])
        if len(closes) > 2:
            returns = np.diff(np.log(closes))
            entry["volatility_annualised"] = float(np.std(returns, ddof=1) * math.sqrt(_YEAR_MS / step))
        if classifier is not None:
            rtf = config.regime.timeframe
            try:
                rframe = source.candles(sym.symbol, rtf, start_ms - classifier.min_history * 2 * timeframe_ms(rtf),
                                        start_ms)
                entry["regime"] = classifier.reading(rframe).regime
            except DataError:
                entry["regime"] = "unknown"
        out["symbols"][sym.symbol] = entry
    return out
