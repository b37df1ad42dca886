"""The close barrier: a close is decided only when every stream due at it has arrived, in time order."""

from __future__ import annotations

from perpbot.engine.windows import Candle
from perpbot.runtime.barrier import CloseBarrier
from perpbot.runtime.events import ClosedCandle

M15, H1 = 900_000, 3_600_000
T0 = 1_704_067_200_000  # 2024-01-01 00:00 UTC
STREAMS = [("BTCUSDT", "15m"), ("ETHUSDT", "15m"), ("BTCUSDT", "1h")]


def _cc(symbol: str, tf: str, close: int) -> ClosedCandle:
    step = M15 if tf == "15m" else H1
    return ClosedCandle(symbol, tf, Candle(close - step, 1.0, 1.0, 1.0, 1.0, 1.0))


def test_a_close_waits_for_every_stream_due_at_it() -> None:
    barrier = CloseBarrier(list(STREAMS))
    barrier.start_after(T0)
    assert barrier.add(_cc("BTCUSDT", "15m", T0 + M15)) == []
    [ready] = barrier.add(_cc("ETHUSDT", "15m", T0 + M15))
    assert ready.close_ts == T0 + M15 and set(ready.candles) == {("BTCUSDT", "15m"), ("ETHUSDT", "15m")}
    # at the hour the 1h candle is due as well
    assert barrier.add(_cc("BTCUSDT", "15m", T0 + H1)) == []
    assert barrier.add(_cc("ETHUSDT", "15m", T0 + H1)) == []
    assert barrier.waiting_for() is not None


def test_closes_are_released_in_order_even_when_candles_arrive_out_of_order() -> None:
    barrier = CloseBarrier(STREAMS[:2])
    barrier.start_after(T0)
    later = T0 + 2 * M15
    assert barrier.add(_cc("BTCUSDT", "15m", later)) == []
    assert barrier.add(_cc("ETHUSDT", "15m", later)) == []  # complete, but the close before it is not
    assert barrier.add(_cc("ETHUSDT", "15m", T0 + M15)) == []
    ready = barrier.add(_cc("BTCUSDT", "15m", T0 + M15))
    assert [r.close_ts for r in ready] == [T0 + M15, later]


def test_duplicates_and_late_candles_are_dropped_and_counted() -> None:
    barrier = CloseBarrier(STREAMS[:2])
    barrier.start_after(T0)
    barrier.add(_cc("BTCUSDT", "15m", T0 + M15))
    assert barrier.add(_cc("BTCUSDT", "15m", T0 + M15)) == []
    assert barrier.stats.duplicates == 1
    barrier.add(_cc("ETHUSDT", "15m", T0 + M15))
    assert barrier.add(_cc("ETHUSDT", "15m", T0 + M15)) == []  # again, after its close was decided
    assert barrier.stats.duplicates == 2
    assert barrier.add(_cc("ETHUSDT", "15m", T0)) == []  # older than anything decided
    assert barrier.stats.late == 1


def test_a_reported_gap_releases_the_close_without_the_stream_and_says_so() -> None:
    barrier = CloseBarrier(STREAMS[:2])
    barrier.start_after(T0)
    barrier.add(_cc("BTCUSDT", "15m", T0 + M15))
    barrier.add(_cc("BTCUSDT", "15m", T0 + 2 * M15))
    barrier.add(_cc("ETHUSDT", "15m", T0 + 2 * M15))
    ready = barrier.give_up(("ETHUSDT", "15m"), T0 + M15, T0 + M15)
    assert [(r.close_ts, r.missing) for r in ready] == [(T0 + M15, (("ETHUSDT", "15m"),)), (T0 + 2 * M15, ())]
    assert barrier.stats.forced == 1
