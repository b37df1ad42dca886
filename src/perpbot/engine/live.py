"""Signals as the live runtime computes them: candle by candle, on bounded windows.

The backtest computes every strategy once over the whole history; this computes the same values one
closed candle at a time (the strategy parity tests prove the two agree), so paper and live trading run
the same strategies, regimes and aggregation as a backtest of the same candles.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from perpbot.config import PerpbotConfig
from perpbot.engine.prepare import effective_matrix, execution_timeframe
from perpbot.engine.windows import Candle, CandleWindow
from perpbot.model import Intent, Signal
from perpbot.model.timeframe import timeframe_ms
from perpbot.signals.aggregate import SignalAggregator
from perpbot.signals.codes import DEFAULT, regime_name
from perpbot.signals.matrix import StrategyMatrix, StrategyWeight
from perpbot.signals.regime import RegimeClassifier
from perpbot.strategies.base import CandleArrays, Strategy
from perpbot.strategies.registry import StrategyRegistry

# Regime candles kept. A label on a trailing window equals the full history's once the window has
# "settled" (signals/regime.py: > ~310 candles with the defaults); twice the 500 the module asks for
# leaves room for a hysteresis band held a long time, at a fifth of the cost of 5,000.
REGIME_WINDOW = 1000


@dataclass(slots=True)
class _SymbolSignals:
    strategies: list[tuple[str, str, Strategy]]  # (key, timeframe, instance)
    latest: dict[str, Signal] = field(default_factory=dict)
    regime: str = regime_name(DEFAULT)


class LiveSignals:
    """Keeps the candle windows a configuration needs and turns each execution candle into an Intent."""

    def __init__(self, config: PerpbotConfig, registry: StrategyRegistry) -> None:
        self.config = config
        self.exec_tf = execution_timeframe(config)
        self.exec_ms = timeframe_ms(self.exec_tf)
        keys = [s.key for s in config.strategies]
        settings = {s.key: StrategyWeight(is_active=s.is_active, weight=s.weight) for s in config.strategies}
        self.aggregator = SignalAggregator(StrategyMatrix(effective_matrix(config), settings), config.aggregation,
                                           keys)
        self.classifier = RegimeClassifier(config.regime) if config.regime.enabled else None
        self.windows: dict[tuple[str, str], CandleWindow] = {}
        self._stale: set[tuple[str, str]] = set()
        self._symbols: dict[str, _SymbolSignals] = {}
        lookback = config.risk.correlation_lookback + 1
        for sym in config.symbols:
            entries = [(s.key, s.timeframe, registry.create(s.name, s.params))
                       for s in config.strategies_for(sym.symbol)]
            self._symbols[sym.symbol] = _SymbolSignals(entries)
            self._need(sym.symbol, self.exec_tf, lookback)
            for _, tf, strategy in entries:
                self._need(sym.symbol, tf, strategy.window)
            if self.classifier is not None:
                self._need(sym.symbol, config.regime.timeframe, max(REGIME_WINDOW, self.classifier.min_history))

    def _need(self, symbol: str, timeframe: str, candles: int) -> None:
        key = (symbol, timeframe)
        current = self.windows.get(key)
        if current is None or current.capacity < candles:
            self.windows[key] = CandleWindow(candles, timeframe_ms(timeframe))

    @property
    def streams(self) -> list[tuple[str, str]]:
        """Every (symbol, timeframe) whose closed candles this needs."""
        return sorted(self.windows)

    def warmup_candles(self, symbol: str, timeframe: str) -> int:
        return self.windows[(symbol, timeframe)].capacity

    def window(self, symbol: str, timeframe: str) -> CandleWindow:
        return self.windows[(symbol, timeframe)]

    def on_candle(self, symbol: str, timeframe: str, candle: Candle, *, compute: bool = True) -> None:
        """Take one closed candle and update whatever reads its timeframe.

        `compute=False` only files the candle (warm-up history): the values are computed once, from the
        whole window, before the next intent. Only the last candle's values matter, so this is the same.
        """
        window = self.windows.get((symbol, timeframe))
        if window is None:
            raise ValueError(f"no strategy or regime reads {symbol} {timeframe}; streams: {self.streams}")
        window.append(candle)
        if not compute:
            self._stale.add((symbol, timeframe))
            return
        self._stale.discard((symbol, timeframe))
        self._compute(symbol, timeframe, window)

    def _compute(self, symbol: str, timeframe: str, window: CandleWindow) -> None:
        # The window's arrays go straight to the strategies and the classifier: no DataFrame per close.
        state = self._symbols[symbol]
        candles = window.arrays()
        tails: dict[int, CandleArrays] = {}  # strategies with the same window share its views
        for key, tf, strategy in state.strategies:
            if tf == timeframe:
                size = strategy.window
                view = tails.get(size)
                if view is None:
                    view = tails[size] = candles.tail(size)
                state.latest[key] = _keyed(strategy.latest_signal(view, symbol, tf), key)
        if self.classifier is not None and timeframe == self.config.regime.timeframe:
            features = self.classifier.features_of(candles.high, candles.low, candles.close)
            state.regime = regime_name(self.classifier.latest_code(features))

    def refresh(self) -> None:
        """Compute whatever was filed without computing (see `on_candle`)."""
        for symbol, timeframe in sorted(self._stale):
            self._compute(symbol, timeframe, self.windows[(symbol, timeframe)])
        self._stale.clear()

    def intent(self, symbol: str, close_ts: int) -> Intent:
        """The aggregated intent at the close of the symbol's latest execution candle."""
        if self._stale:
            self.refresh()
        window = self.windows[(symbol, self.exec_tf)]
        if not len(window):
            raise ValueError(f"no {self.exec_tf} candle for {symbol} yet")
        state = self._symbols[symbol]
        close = float(window.column("close")[-1])
        return self.aggregator.decide(symbol, close_ts, list(state.latest.values()), state.regime, close)

    def regime(self, symbol: str) -> str:
        return self._symbols[symbol].regime


def _keyed(signal: Signal, key: str) -> Signal:
    """The signal under the strategy's config key (its id), which the matrix and weights use."""
    if signal.strategy == key:
        return signal
    return Signal(key, signal.symbol, signal.timeframe, signal.ts, signal.value, signal.stop_distance,
                  signal.take_profit_distance)
