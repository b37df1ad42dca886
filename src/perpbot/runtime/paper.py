"""The paper runtime: a feed of closed candles in, the paper engine advanced close by close, observers told.

Single-threaded and deterministic given the feed: the monitor and other observers get an immutable view
after each close and can never block or break the cycle (a failing observer is logged and counted).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Protocol

from perpbot.collector import freeze_long_lived, thaw
from perpbot.engine.paper import CloseReport, PaperEngine
from perpbot.engine.switches import StrategySwitch
from perpbot.engine.windows import Candle
from perpbot.model.timeframe import timeframe_ms
from perpbot.runtime.barrier import CloseBarrier, ReadyClose
from perpbot.runtime.events import ClosedCandle, FeedGap

log = logging.getLogger(__name__)


class CandleFeed(Protocol):
    """Where closed candles come from: a live exchange feed or a replay of recorded ones."""

    def history(self, symbol: str, timeframe: str, count: int) -> list[Candle]: ...

    def funding_rate(self, symbol: str, ts: int) -> Decimal | None: ...

    def next_events(self, timeout_s: float) -> list[ClosedCandle | FeedGap]: ...

    @property
    def exhausted(self) -> bool: ...

    def close(self) -> None: ...


@dataclass(frozen=True, slots=True)
class RuntimeNotice:
    """Something the operator should hear about: a gap, a close that could not be traded, a failure."""

    ts: int
    kind: str
    message: str


InputListener = Callable[[str, int, Mapping[tuple[str, str], Candle], Mapping[str, Decimal]], None]
SwitchListener = Callable[[StrategySwitch, "PaperRuntime"], None]


class RuntimeObserver(Protocol):
    def on_close(self, report: CloseReport, runtime: PaperRuntime) -> None: ...

    def on_notice(self, notice: RuntimeNotice) -> None: ...


@dataclass(slots=True)
class RuntimeHealth:
    closes: int = 0
    untraded_closes: int = 0
    gaps: int = 0
    switches: int = 0
    observer_failures: int = 0
    last_close_ts: int | None = None
    notices: list[RuntimeNotice] = field(default_factory=list)


class PaperRuntime:
    """Runs a paper engine on a feed until the feed ends or `stop()` is called."""

    def __init__(self, engine: PaperEngine, feed: CandleFeed, *, observers: list[RuntimeObserver] | None = None,
                 poll_s: float = 0.25) -> None:
        self.engine = engine
        self.feed = feed
        self.observers = list(observers or [])
        self.poll_s = poll_s
        self.barrier = CloseBarrier(engine.signals.streams)
        self.health = RuntimeHealth()
        self._stop = threading.Event()
        self.on_shutdown: list[Callable[[], None]] = []
        # Told of every candle the engine consumes (phase "warmup", "live" or "gap"), e.g. to record them
        # so a restart can rebuild the engine's state exactly.
        self.input_listeners: list[InputListener] = []
        # Told first when the regimes switch the strategy set (before the close's inputs are recorded and
        # before observers see the close): the session recorder ends the session and starts the next here.
        self.switch_listeners: list[SwitchListener] = []

    def warm_up(self, start_close_ms: int) -> int:
        """Fill every window from the feed's history; returns how many candles were fed."""
        fed = 0
        latest = start_close_ms
        for symbol, tf in self.engine.signals.streams:
            step = timeframe_ms(tf)
            for candle in self.feed.history(symbol, tf, self.engine.signals.warmup_candles(symbol, tf)):
                self.engine.warm_up(symbol, tf, candle)
                for listener in self.input_listeners:
                    listener("warmup", candle.ts + step, {(symbol, tf): candle}, {})
                latest = max(latest, candle.ts + step)
                fed += 1
        # A live feed's history can reach a close that happened while it was fetched: trade after it.
        self.barrier.start_after(latest)
        return fed

    def stop(self) -> None:
        """Ask the loop to finish after the close in progress (safe from a signal handler or another thread)."""
        self._stop.set()

    @property
    def stopping(self) -> bool:
        return self._stop.is_set()

    def run(self) -> RuntimeHealth:
        """The loop. Returns when the feed is exhausted or `stop()` was called, after an orderly shutdown."""
        freeze_long_lived()  # the warm-up's objects stay; no full collection re-scans them during a close
        try:
            while not self._stop.is_set():
                events = self.feed.next_events(self.poll_s)
                if not events and self.feed.exhausted:
                    break
                for event in events:
                    if isinstance(event, FeedGap):
                        self._on_gap(event)
                    else:
                        for ready in self.barrier.add(event):
                            self._process(ready)
        finally:
            self._shutdown()
        return self.health

    def _on_gap(self, gap: FeedGap) -> None:
        self.health.gaps += 1
        step = timeframe_ms(gap.timeframe)
        self._notice(gap.last_missing_ts + step, "gap",
                     f"{gap.symbol} {gap.timeframe}: candles {gap.first_missing_ts}..{gap.last_missing_ts} "
                     f"missing ({gap.reason}); those closes are not traded")
        for ready in self.barrier.give_up((gap.symbol, gap.timeframe), gap.first_missing_ts + step,
                                          gap.last_missing_ts + step):
            self._process(ready)

    def _process(self, ready: ReadyClose) -> None:
        engine = self.engine
        missing_exec = [s for s, tf in ready.missing if tf == engine.exec_tf]
        if missing_exec:
            engine.absorb(ready.candles)
            for listener in self.input_listeners:
                listener("gap", ready.close_ts, ready.candles, {})
            self.health.untraded_closes += 1
            self._notice(ready.close_ts, "untraded_close",
                         f"no trading at {ready.close_ts}: no {engine.exec_tf} candle for {', '.join(missing_exec)}")
            return
        funding = {}
        for symbol in engine.symbols:
            candle = ready.candles.get((symbol, engine.exec_tf))
            if candle is not None:
                rate = self.feed.funding_rate(symbol, candle.ts)
                if rate is not None:
                    funding[symbol] = rate
        report = engine.on_close(ready.close_ts, ready.candles, funding)
        if report.switch is not None:
            self._on_switch(report.switch)
        for listener in self.input_listeners:
            listener("live", ready.close_ts, ready.candles, funding)
        self.health.closes += 1
        self.health.last_close_ts = ready.close_ts
        for observer in self.observers:
            try:
                observer.on_close(report, self)
            except Exception:  # an observer must never stop trading; it is logged and counted
                self.health.observer_failures += 1
                log.exception("observer %r failed on the close at %s", observer, ready.close_ts)

    def _on_switch(self, switch: StrategySwitch) -> None:
        """The user's flow: the session ends and the next starts (listeners), then the monitor hears of it
        with the risk limits now in force; the engine already applies them to this close's decisions."""
        self.health.switches += 1
        for listener in self.switch_listeners:
            listener(switch, self)
        by_regime = self.engine.config.risk.by_regime
        parts = []
        for symbol in switch.symbols:
            regime = switch.regimes_after[symbol]
            override = by_regime.get(regime)
            parts.append(f"{symbol} {regime} ({', '.join(f'{k} {v}' for k, v in sorted(override.overrides().items()))})"
                         if override is not None else f"{symbol} base")
        limits = "; ".join(parts)
        self._notice(switch.close_ts, "strategy_switch", f"{switch.describe()}. Risk limits now: {limits}",
                     level=logging.INFO)

    def _notice(self, ts: int, kind: str, message: str, *, level: int = logging.WARNING) -> None:
        notice = RuntimeNotice(ts, kind, message)
        self.health.notices.append(notice)
        log.log(level, "%s: %s", kind, message)
        for observer in self.observers:
            try:
                observer.on_notice(notice)
            except Exception:
                self.health.observer_failures += 1
                log.exception("observer %r failed on a notice", observer)

    def _shutdown(self) -> None:
        """In order: the registered shutdown steps (monitor, sessions, store), then the feed."""
        for step in self.on_shutdown:
            try:
                step()
            except Exception:
                log.exception("shutdown step %r failed", step)
        self.feed.close()
        thaw()
