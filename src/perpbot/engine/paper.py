"""The paper engine: the trading node on the simulated exchange, driven one candle close at a time.

It does for each execution candle exactly what the backtest loop does when it steps every bar (a test
holds the two to the same trades), but it learns of candles as they close instead of reading arrays:
the runtime around it decides where they come from (a live feed or a replay) and when a close is complete.
It reads no clock and does no I/O.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal

from perpbot.config import PerpbotConfig
from perpbot.engine.decisions import Decision
from perpbot.engine.live import LiveSignals
from perpbot.engine.node import TradingNode
from perpbot.engine.switches import SegmentMarks, StrategySets, StrategySwitch
from perpbot.engine.windows import Candle, WindowMarket
from perpbot.execution.orders import OrderJournal
from perpbot.model import Direction
from perpbot.risk.manager import RiskManager
from perpbot.strategies.registry import StrategyRegistry
from perpbot.venues.sim import SimVenue


@dataclass(frozen=True, slots=True)
class CloseReport:
    """What one close did: its time, the decisions it made, the equity after it, and whether the regimes
    switched the strategy set before those decisions."""

    close_ts: int
    decisions: tuple[Decision, ...]
    equity: float
    halted_now: bool
    switch: StrategySwitch | None = None


class PaperEngine:
    """Signals, risk, orders and the simulated exchange for one configuration, advanced close by close."""

    def __init__(self, config: PerpbotConfig, registry: StrategyRegistry, *, id_prefix: str | None = None,
                 journal: OrderJournal | None = None, start_ts: int = 0) -> None:
        self.config = config
        self.signals = LiveSignals(config, registry)
        self.exec_tf = self.signals.exec_tf
        self.symbols = [s.symbol for s in config.symbols]
        instruments = {s.symbol: s.resolve_instrument() for s in config.symbols}
        self.venue = SimVenue(instruments, config.venue, config.account.starting_balance)
        self.risk = RiskManager(config.risk)
        self.market = WindowMarket({s: self.signals.window(s, self.exec_tf) for s in self.symbols})
        self.node = TradingNode(
            venue=self.venue, instruments=instruments, leverage={s.symbol: s.leverage for s in config.symbols},
            risk=self.risk, market=self.market, starting_balance=config.account.starting_balance,
            id_prefix=id_prefix or f"pp{config.fingerprint()[:8]}-", close_on_flat=config.aggregation.close_on_flat,
            journal=journal, start_ts=start_ts, execution=config.execution,
        )
        # The direction each symbol's intent had at the previous close: the node acts on changes. None
        # until the first traded close, which acts on any non-flat intent, as a backtest's first bar does.
        self._direction: dict[str, int | None] = dict.fromkeys(self.symbols)
        self.equity_curve: list[tuple[int, float]] = []
        # The strategy set per symbol as of the last close (None before the first) and every switch since.
        self._sets: StrategySets | None = None
        self._regimes: dict[str, str] = {}
        self.switches: list[StrategySwitch] = []

    # ------------------------------------------------------------------ before trading
    def warm_up(self, symbol: str, timeframe: str, candle: Candle) -> None:
        """Feed a history candle: it fills the windows (signals are computed once, before the first close).

        A candle the window already has (history fetched again after a restart) is skipped."""
        last = self.signals.window(symbol, timeframe).last_ts
        if last is not None and candle.ts <= last:
            return
        self.signals.on_candle(symbol, timeframe, candle, compute=False)

    def absorb(self, candles: Mapping[tuple[str, str], Candle]) -> None:
        """Take candles of a close that cannot be traded (part of the market is missing): windows and
        signals move on, nothing is decided, and the next full close compares against the last decided."""
        for (symbol, tf), candle in sorted(candles.items()):
            self.signals.on_candle(symbol, tf, candle)

    # ------------------------------------------------------------------ one close
    def on_close(self, close_ts: int, candles: Mapping[tuple[str, str], Candle],
                 funding: Mapping[str, Decimal] | None = None) -> CloseReport:
        """Everything that closed at `close_ts`, for every (symbol, timeframe) streamed; `funding` holds the
        rate of each symbol whose funding time is the open of this execution candle."""
        funding = funding or {}
        for (symbol, tf), candle in sorted(candles.items()):
            if candle.ts + self.signals.window(symbol, tf).step_ms != close_ts:
                raise ValueError(f"{symbol} {tf} candle opening at {candle.ts} does not close at {close_ts}")
            self.signals.on_candle(symbol, tf, candle)
        bars = {s: candles[(s, self.exec_tf)] for s in self.symbols if (s, self.exec_tf) in candles}
        if not bars:
            return CloseReport(close_ts, (), self.node.equity_float(), False)
        if len(bars) != len(self.symbols):
            missing = sorted(set(self.symbols) - set(bars))
            raise ValueError(f"the {self.exec_tf} close at {close_ts} lacks {', '.join(missing)}: "
                             f"the runtime must report the gap rather than trade on part of the market")
        decisions_before = len(self.node.decisions)
        opened = False
        for symbol, bar in bars.items():
            rate = funding.get(symbol)
            if rate is not None:
                self.venue.settle_funding(symbol, bar.ts, rate, bar.open)
                opened = True
        for symbol, bar in bars.items():
            if self.venue.has_pending_market(symbol):
                self.venue.open_bar(symbol, bar.ts, bar.open)
                opened = True
        if opened:
            self.node.process_events()
        if any(self._reaches(symbol, bar) for symbol, bar in bars.items()):
            for symbol, bar in bars.items():
                self.venue.intrabar(symbol, bar.ts, bar.open, bar.high, bar.low, bar.close)
            self.node.process_events()
        switch = self._detect_switch(close_ts)
        halted_now = False
        if self.risk.config.enabled and not self.risk.halted:
            halted_now = self.node.on_equity(close_ts, self.node.equity_float())
        if not halted_now:
            for symbol in self.symbols:
                intent = self.signals.intent(symbol, close_ts)
                direction = int(intent.direction)
                previous = self._direction[symbol]
                self._direction[symbol] = direction
                changed = direction != 0 if previous is None else direction != previous
                if changed and (direction != 0 or self.node.close_on_flat):
                    self.venue.mark(symbol, bars[symbol].close)
                    self.node.on_intent(intent)
        self.node.process_events()
        equity = self.node.equity_float()
        self.equity_curve.append((close_ts, equity))
        return CloseReport(close_ts, tuple(self.node.decisions[decisions_before:]), equity, halted_now, switch)

    def clear_halt(self, ts: int, by: str = "operator") -> str | None:
        """A person clears a latched risk halt (the peak and the day's start are rebased to the last equity);
        returns the halt reason that was cleared, or None when trading was not halted."""
        if not self.risk.halted:
            return None
        reason = self.risk.halt_reason or "halted"
        self.risk.reset(by, ts)
        return reason

    # ------------------------------------------------------------------ strategy sets
    def strategy_sets(self) -> StrategySets:
        """Per symbol, the strategies the matrix counts in the symbol's current regime."""
        self.signals.refresh()
        matrix = self.signals.aggregator.matrix
        return {s: tuple(sorted(matrix.active_in(self.signals.regime(s)))) for s in self.symbols}

    def regimes(self) -> dict[str, str]:
        self.signals.refresh()
        return {s: self.signals.regime(s) for s in self.symbols}

    def marks_now(self) -> SegmentMarks:
        """How many of each record the node holds now (and equity points the engine has)."""
        node = self.node
        return SegmentMarks(trades=len(node.trades), orders=len(node.orders), fills=len(node.fills),
                            funding=len(node.funding), decisions=len(node.decisions), equity=len(self.equity_curve))

    @property
    def segment_start(self) -> SegmentMarks:
        """Where the records of the current session begin: at the last switch, else at the start."""
        return self.switches[-1].marks if self.switches else SegmentMarks()

    def _detect_switch(self, close_ts: int) -> StrategySwitch | None:
        """Compare the strategy sets now with those of the last close; on a change, record a switch whose marks
        put everything up to this close's decisions in the session that ends."""
        sets = self.strategy_sets()
        regimes = self.regimes()
        previous, previous_regimes = self._sets, self._regimes
        self._sets, self._regimes = sets, regimes
        if previous is None or previous == sets:
            return None
        switch = StrategySwitch(close_ts, previous_regimes, regimes, previous, sets,
                                {s: self.risk.limits_for(regimes[s]) for s in self.symbols}, self.marks_now())
        self.switches.append(switch)
        return switch

    def _reaches(self, symbol: str, bar: Candle) -> bool:
        """Does this bar's range reach a level where the exchange would act (the backtest's search)?"""
        rise_ge, rise_gt, fall_le, fall_lt = self.venue.activation_levels(symbol)
        return (bar.high >= rise_ge or bar.high > rise_gt or bar.low <= fall_le or bar.low < fall_lt)

    @property
    def directions(self) -> dict[str, Direction | None]:
        return {s: None if d is None else Direction(d) for s, d in self._direction.items()}
