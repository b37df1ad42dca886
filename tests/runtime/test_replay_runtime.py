"""The replay runtime end to end: recorded candles through the live path make the backtest's trades."""

from __future__ import annotations

import gc
from typing import Any

import pytest

from perpbot.data.memory import InMemorySource
from perpbot.engine.paper import CloseReport, PaperEngine
from perpbot.engine.service import run_backtest
from perpbot.runtime.events import ClosedCandle, FeedGap
from perpbot.runtime.paper import PaperRuntime, RuntimeNotice
from perpbot.runtime.replay import ReplayFeed
from perpbot.strategies.registry import StrategyRegistry
from tests.engine.test_backtest_loop import _config, _source
from tests.engine.test_paper_parity import END, START
from tests.runtime.support import Recorder, StopAfter, TamperedFeed


def _runtime(config: Any, source: InMemorySource, feed_filter: Any = None,
             observers: list[Any] | None = None) -> PaperRuntime:
    engine = PaperEngine(config, StrategyRegistry(), id_prefix=f"pb{config.fingerprint()[:8]}-")
    start = config.backtest.start_ms()
    feed = ReplayFeed(source, engine.signals.streams, start_ms=start, end_ms=config.backtest.end_ms())
    runtime = PaperRuntime(engine, feed if feed_filter is None else feed_filter(feed), observers=observers)
    runtime.warm_up(start)
    return runtime


def test_replay_runtime_trades_as_the_backtest() -> None:
    config = _config(backtest={"start": START, "end": END, "close_at_end": False})
    source = _source()
    backtest = run_backtest(config, source)
    recorder = Recorder()
    runtime = _runtime(config, source, observers=[recorder])
    health = runtime.run()
    assert runtime.engine.node.trades == backtest.trades
    assert runtime.engine.node.ledger.balance == backtest.ledger.balance
    assert health.closes == len(backtest.ts) == len(recorder.closes)
    assert health.observer_failures == 0 and not recorder.notices


class Shuffled(TamperedFeed):
    """A feed that repeats every candle and delivers each close's candles in reverse order."""

    def tamper(self, events: list[ClosedCandle | FeedGap]) -> list[ClosedCandle | FeedGap]:
        return list(reversed(events)) + events


def test_duplicates_and_arrival_order_change_nothing() -> None:
    config = _config(backtest={"start": START, "end": "2024-01-12", "close_at_end": False})
    source = _source()
    plain = _runtime(config, source)
    plain.run()
    noisy = _runtime(config, source, Shuffled)
    noisy.run()
    assert noisy.engine.node.trades == plain.engine.node.trades
    assert noisy.barrier.stats.duplicates > 0


class Gappy(TamperedFeed):
    """Loses one ETH 15m candle and reports it as a gap, as the live feed does after a failed re-fetch."""

    def __init__(self, inner: ReplayFeed, lost_close: int) -> None:
        super().__init__(inner)
        self.lost_close = lost_close

    def tamper(self, events: list[ClosedCandle | FeedGap]) -> list[ClosedCandle | FeedGap]:
        out: list[ClosedCandle | FeedGap] = []
        for event in events:
            if isinstance(event, ClosedCandle) and event.stream == ("ETHUSDT", "15m") \
                    and event.close_ts == self.lost_close:
                out.append(FeedGap("ETHUSDT", "15m", event.candle.ts, event.candle.ts, "re-fetch returned nothing"))
            else:
                out.append(event)
        return out


def test_a_gap_is_reported_and_that_close_is_not_traded() -> None:
    config = _config(backtest={"start": START, "end": "2024-01-12", "close_at_end": False})
    source = _source()
    lost = config.backtest.start_ms() + 10 * 900_000
    recorder = Recorder()
    runtime = _runtime(config, source, lambda feed: Gappy(feed, lost), observers=[recorder])
    health = runtime.run()
    assert health.gaps == 1 and health.untraded_closes == 1
    assert [n.kind for n in recorder.notices] == ["gap", "untraded_close"]
    assert lost not in {r.close_ts for r in recorder.closes}


class Exploding:
    def on_close(self, report: CloseReport, runtime: PaperRuntime) -> None:
        raise RuntimeError("dashboard crashed")

    def on_notice(self, notice: RuntimeNotice) -> None:
        raise RuntimeError("dashboard crashed")


def test_a_failing_observer_is_counted_and_trading_goes_on() -> None:
    config = _config(backtest={"start": START, "end": "2024-01-08", "close_at_end": False})
    source = _source()
    runtime = _runtime(config, source, observers=[Exploding()])
    health = runtime.run()
    assert health.closes > 100 and health.observer_failures == health.closes


def test_stop_ends_the_loop_after_the_close_in_progress() -> None:
    config = _config(backtest={"start": START, "end": END, "close_at_end": False})
    source = _source()
    steps: list[str] = []
    runtime = _runtime(config, source, observers=[StopAfter(25)])
    runtime.on_shutdown.append(lambda: steps.append("monitor stopped"))
    health = runtime.run()
    assert health.closes == 25 and steps == ["monitor stopped"]
    assert runtime.feed.exhausted  # closed


class FrozenCount:
    """Notes how many objects the collector holds frozen at each close."""

    def __init__(self) -> None:
        self.counts: list[int] = []

    def on_close(self, report: CloseReport, runtime: PaperRuntime) -> None:
        self.counts.append(gc.get_freeze_count())

    def on_notice(self, notice: RuntimeNotice) -> None:
        pass


def test_the_warmed_up_state_is_frozen_while_running_and_thawed_after() -> None:
    config = _config(backtest={"start": START, "end": "2024-01-08", "close_at_end": False})
    frozen = FrozenCount()
    runtime = _runtime(config, _source(), observers=[frozen])
    assert gc.get_freeze_count() == 0
    runtime.run()
    assert frozen.counts and min(frozen.counts) > 1000  # the engine and its windows, out of the collector's scans
    assert gc.get_freeze_count() == 0  # handed back when the run ended


@pytest.mark.parametrize("speed", [0.0, -2.0])
def test_replay_speed_must_be_positive(speed: float) -> None:
    with pytest.raises(ValueError, match="positive multiple of real time"):
        ReplayFeed(_source(), [("BTCUSDT", "15m")], start_ms=0, speed=speed)


def test_replay_paces_closes_by_speed() -> None:
    slept: list[float] = []
    feed = ReplayFeed(_source(), [("BTCUSDT", "15m")], start_ms=1_704_412_800_000, speed=900.0, sleep=slept.append)
    for _ in range(4):
        feed.next_events(0)
    assert slept == [1.0, 1.0, 1.0]
