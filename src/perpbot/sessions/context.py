"""The market at the start of a session: price, recent volatility and regime per symbol."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from perpbot.config import PerpbotConfig
from perpbot.data.sources import MarketDataSource
from perpbot.engine.prepare import execution_timeframe
from perpbot.errors import DataError
from perpbot.model.timeframe import timeframe_ms
from perpbot.signals.regime import RegimeClassifier

if TYPE_CHECKING:
    from perpbot.engine.paper import PaperEngine

_YEAR_MS = 365 * 86_400_000
LOOKBACK = 200  # execution candles behind the start that the volatility is measured on


def market_context(config: PerpbotConfig, source: MarketDataSource, start_ms: int) -> dict[str, Any]:
    """Per symbol: the last close at or before `start_ms`, annualised realised volatility of the candles
    before it, and the regime then. Only candles closed by the start are read, so nothing from the run
    leaks in: a candle opened at `ts` closes at `ts + step`, so it is known at the start when
    `ts + step <= start_ms`."""
    tf = execution_timeframe(config)
    step = timeframe_ms(tf)
    out: dict[str, Any] = {"timeframe": tf, "at": start_ms, "symbols": {}}
    classifier = RegimeClassifier(config.regime) if config.regime.enabled else None
    for sym in config.symbols:
        entry: dict[str, Any] = {}
        try:
            frame: pd.DataFrame | None = source.candles(sym.symbol, tf, start_ms - (LOOKBACK + 1) * step,
                                                        _closed_by(start_ms, step))
        except DataError:
            frame = None
        if frame is None or frame.empty:  # some sources raise, others answer with no rows
            out["symbols"][sym.symbol] = _opening_only(source, sym.symbol, tf, start_ms)
            continue
        closes = frame["close"].to_numpy(dtype=np.float64)
        entry["price"] = float(closes[-1])
        if len(closes) > 2:
            entry["volatility_annualised"] = _volatility(closes, step)
        if classifier is not None:
            rtf = config.regime.timeframe
            try:
                rstep = timeframe_ms(rtf)
                rframe = source.candles(sym.symbol, rtf, start_ms - classifier.min_history * 2 * rstep,
                                        _closed_by(start_ms, rstep))
                entry["regime"] = classifier.reading(rframe).regime
            except DataError:
                entry["regime"] = "unknown"
        out["symbols"][sym.symbol] = entry
    return out


def engine_context(engine: PaperEngine, at_ms: int) -> dict[str, Any]:
    """The market a paper or live session starts in, read from the engine's windows of closed candles: per
    symbol the last close, the volatility of the last LOOKBACK candles, the regime, the strategies that
    count in it and the per-order risk limits in force."""
    tf = engine.exec_tf
    step = timeframe_ms(tf)
    regimes = engine.regimes()
    sets = engine.strategy_sets()
    out: dict[str, Any] = {"timeframe": tf, "at": at_ms, "symbols": {}}
    for symbol in engine.symbols:
        closes = engine.signals.window(symbol, tf).column("close")[-(LOOKBACK + 1):]
        entry: dict[str, Any] = {}
        if len(closes):
            entry["price"] = float(closes[-1])
        if len(closes) > 2:
            entry["volatility_annualised"] = _volatility(closes, step)
        entry["regime"] = regimes[symbol]
        entry["strategies"] = list(sets[symbol])
        entry["risk_limits"] = engine.risk.limits_for(regimes[symbol])
        out["symbols"][symbol] = entry
    return out


def _volatility(closes: np.ndarray, step_ms: int) -> float:
    """Annualised standard deviation of log returns (sample), for candles `step_ms` apart."""
    returns = np.diff(np.log(np.asarray(closes, dtype=np.float64)))
    return float(np.std(returns, ddof=1) * math.sqrt(_YEAR_MS / step_ms))


def _opening_only(source: MarketDataSource, symbol: str, tf: str, start_ms: int) -> dict[str, Any]:
    """When the data begins at the start: the open of the candle opened then is the one price known."""
    try:
        first = source.candles(symbol, tf, start_ms, start_ms + 1)
    except DataError:
        first = None
    if first is None or first.empty:
        return {"note": "no candles at the start"}
    return {"price": float(first["open"].iloc[0]),
            "note": "no candles before the start: the price is the open at the start, no volatility or regime"}


def _closed_by(start_ms: int, step: int) -> int:
    """The exclusive end (on candle open times) of the candles closed by `start_ms`."""
    return start_ms - step + 1
