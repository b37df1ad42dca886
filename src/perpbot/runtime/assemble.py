"""Putting a paper run together from a configuration: engine, feed and the start of trading."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from perpbot.app import build_source
from perpbot.config import PerpbotConfig
from perpbot.data.feeds import BybitCandleFeed, FeedSettings
from perpbot.engine.clock import Clock
from perpbot.engine.paper import PaperEngine
from perpbot.errors import ConfigError
from perpbot.runtime.live_feed import LiveCandleFeed
from perpbot.runtime.paper import PaperRuntime
from perpbot.runtime.recorder import SessionRecorder
from perpbot.runtime.replay import ReplayFeed
from perpbot.strategies.registry import StrategyRegistry

_DAY_MS = 86_400_000


@dataclass(frozen=True, slots=True)
class ReplayPlan:
    start: date | None = None  # default: the config's backtest.start, else after the warm-up
    end: date | None = None
    speed: float | None = None  # multiple of real time; None = as fast as possible


def build_replay(config: PerpbotConfig, plan: ReplayPlan, *, sleep: object = None,
                 recorder: SessionRecorder | None = None, resume: bool = True) -> tuple[PaperRuntime, str]:
    """A paper runtime over recorded candles (the store, a folder, the shared data or the labelled sample).

    With a recorder, the run is a session in the store: an unfinished session of the same configuration is
    resumed (its inputs replayed, the feed continuing after them), otherwise a new one starts. Returns the
    runtime, warmed up, and the data label to show.
    """
    resolved = build_source(config)
    engine = PaperEngine(config, StrategyRegistry(config.strategy_dirs))
    start_day = plan.start or config.backtest.start
    end_day = plan.end or config.backtest.end
    if start_day is None:
        exec_frame = resolved.source.candles(config.symbols[0].symbol, engine.exec_tf)
        first = int(exec_frame["ts"].iloc[0])
        start_ms = first - first % _DAY_MS + 7 * _DAY_MS  # a week of history to warm up on
    else:
        start_ms = _ms(start_day)
    end_ms = _ms(end_day) if end_day is not None else None
    if end_ms is not None and end_ms <= start_ms:
        raise ConfigError(f"replay end {end_day} must be after its start {start_day}")
    resumed_at = recorder.prepare(engine, resume=resume) if recorder is not None else None
    feed_start = resumed_at if resumed_at is not None else start_ms
    feed = ReplayFeed(resolved.source, engine.signals.streams, start_ms=feed_start, end_ms=end_ms, speed=plan.speed,
                      sleep=sleep if callable(sleep) else None)
    runtime = PaperRuntime(engine, feed)
    if recorder is not None:
        recorder.data_label = resolved.label
        recorder.attach(runtime, start_close_ms=start_ms, resumed_at=resumed_at)
    elif resumed_at is None:
        runtime.warm_up(start_ms)
    return runtime, resolved.label


def build_live(config: PerpbotConfig, *, clock: Clock, settings: FeedSettings | None = None,
               recorder: SessionRecorder | None = None, resume: bool = True) -> PaperRuntime:
    """A paper runtime on Bybit's live public market data (or a Bybit-compatible server, by `settings`).

    The warm-up comes from the REST API; the runtime trades the closes that follow it. With a recorder an
    unfinished session of this configuration resumes: its recorded inputs are replayed first, and the live
    feed's warm-up then only refills the windows (the engine skips candles it already has).
    """
    engine = PaperEngine(config, StrategyRegistry(config.strategy_dirs))
    resumed_at = recorder.prepare(engine, resume=resume) if recorder is not None else None
    feed = LiveCandleFeed(BybitCandleFeed(engine.signals.streams, clock=clock, settings=settings))
    runtime = PaperRuntime(engine, feed)
    now = clock.now_ms()
    start = now - now % engine.signals.exec_ms  # the last execution close: history up to it, trading after
    if recorder is not None:
        recorder.data_label = "real"
        recorder.attach(runtime, start_close_ms=start, resumed_at=resumed_at)
    if recorder is None or resumed_at is not None:
        # After a resume this refills what closed while the bot was down: filed, not traded.
        runtime.warm_up(start)
    return runtime


def _ms(day: date) -> int:
    return (day - date(1970, 1, 1)).days * _DAY_MS
