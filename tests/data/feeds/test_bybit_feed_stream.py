"""The live feed through pybit's real WebSocket and HTTP against the loopback server, faults injected there."""

from __future__ import annotations

import random
import threading

import pandas as pd
import pytest

from perpbot.data.feeds import BybitCandleFeed, CandleClosed, GapReported, StreamHealth, Via
from perpbot.errors import VenueError
from perpbot.venues.bybit.testserver import BybitTestServer
from tests.conftest import SetClock
from tests.data.feeds.conftest import FeedFactory
from tests.data.feeds.support import HOUR, candle_ts, collect, feed_candle, wait_until

TOPIC = "kline.60.BTCUSDT"
WARM = 100  # candles 0..99 are history; the stream starts at candle 100


class Market:
    """The server and the feed's clock, moved together candle by candle."""

    def __init__(self, server: BybitTestServer, clock: SetClock, candles: pd.DataFrame) -> None:
        self.server = server
        self.clock = clock
        self.candles = candles

    def ts(self, i: int) -> int:
        return int(self.candles["ts"].iloc[i])

    def close(self, i: int) -> None:
        """Candle i has just closed (the clock is half a second past its end)."""
        self.clock.now = self.ts(i) + HOUR + 500

    def push(self, i: int, *, confirm: bool = True, **faults: object) -> None:
        if confirm:
            self.close(i)
        self.server.publish_candle("BTCUSDT", "60", self.candles.iloc[i], confirm=confirm, **faults)  # type: ignore[arg-type]

    def record(self, *indices: int) -> None:
        """Candles the exchange has (REST) but never pushes."""
        self.server.load_candles("BTCUSDT", "60", self.candles.iloc[list(indices)])


@pytest.fixture
def market(server: BybitTestServer, clock: SetClock, candles: pd.DataFrame) -> Market:
    server.load_candles("BTCUSDT", "60", candles.iloc[:WARM])
    m = Market(server, clock, candles)
    m.close(WARM - 1)
    return m


def started(make_feed: FeedFactory, market: Market, **settings: object) -> BybitCandleFeed:
    feed = make_feed(**settings)
    feed.warmup("BTCUSDT", "1h", WARM)
    feed.start()
    market.server.wait_for_subscribers(TOPIC)
    return feed


def stream(feed: BybitCandleFeed) -> StreamHealth:
    (health,) = feed.health().streams
    return health


def test_only_closed_candles_are_emitted_in_order(make_feed: FeedFactory, market: Market) -> None:
    feed = started(make_feed, market)
    forming = market.candles.iloc[WARM].copy()
    forming["close"] = forming["open"]
    market.server.publish_candle("BTCUSDT", "60", forming, confirm=False)
    market.push(WARM)
    market.push(WARM + 1, confirm=False)
    market.push(WARM + 1)
    events = collect(feed, 2)
    assert all(isinstance(e, CandleClosed) and e.via is Via.STREAM for e in events)
    assert [e.candle for e in events if isinstance(e, CandleClosed)] == [
        feed_candle(market.candles.iloc[WARM]), feed_candle(market.candles.iloc[WARM + 1])]
    assert isinstance(events[0], CandleClosed) and events[0].close_ts == market.ts(WARM) + HOUR
    health = stream(feed)
    assert (health.emitted, health.fetched, health.last_closed_ts) == (2, 0, market.ts(WARM + 1))
    assert health.last_message_ms == market.clock.now
    assert feed.next_events(0) == []


def test_duplicates_are_dropped_and_counted(make_feed: FeedFactory, market: Market) -> None:
    feed = started(make_feed, market)
    market.push(WARM, copies=3)
    conflicting = market.candles.iloc[WARM].copy()
    conflicting["close"] = conflicting["high"]
    market.server.publish_candle("BTCUSDT", "60", conflicting, record=False)
    market.push(WARM + 1)
    assert candle_ts(collect(feed, 2)) == [market.ts(WARM), market.ts(WARM + 1)]
    health = stream(feed)
    assert (health.duplicates, health.conflicts) == (3, 1)


def test_an_older_candle_is_dropped_and_counted(make_feed: FeedFactory, market: Market) -> None:
    feed = started(make_feed, market)
    market.push(WARM)
    market.push(WARM + 1)
    market.push(WARM - 5)
    market.push(WARM + 2)
    assert candle_ts(collect(feed, 3)) == [market.ts(WARM + i) for i in range(3)]
    assert stream(feed).out_of_order == 1


def test_a_gap_is_refetched_and_emitted_in_order(make_feed: FeedFactory, market: Market) -> None:
    feed = started(make_feed, market)
    market.record(WARM, WARM + 1, WARM + 2)  # closed, never pushed
    market.push(WARM + 3)
    events = collect(feed, 4)
    assert candle_ts(events) == [market.ts(WARM + i) for i in range(4)]
    assert [e.via for e in events if isinstance(e, CandleClosed)] == [Via.REST] * 3 + [Via.STREAM]
    assert [e.candle for e in events if isinstance(e, CandleClosed)][:3] == [
        feed_candle(market.candles.iloc[WARM + i]) for i in range(3)]
    refetch = market.server.rest_calls("/v5/market/kline")[-1].query
    assert f"start={market.ts(WARM)}" in refetch and f"end={market.ts(WARM + 2)}" in refetch
    health = stream(feed)
    assert (health.emitted, health.fetched, health.gaps_reported) == (4, 3, 0)


def test_the_stream_continues_right_after_the_warmup(make_feed: FeedFactory, market: Market) -> None:
    feed = started(make_feed, market)
    market.record(WARM)
    market.push(WARM + 1)  # the warm-up ended at WARM - 1, so WARM is missing and is fetched
    assert candle_ts(collect(feed, 2)) == [market.ts(WARM), market.ts(WARM + 1)]


def test_an_unfillable_gap_is_reported_never_filled(make_feed: FeedFactory, market: Market) -> None:
    feed = started(make_feed, market)
    kline_calls = len(market.server.rest_calls("/v5/market/kline"))
    market.push(WARM + 2)  # WARM and WARM + 1 exist nowhere
    gap, after = collect(feed, 2)
    assert isinstance(gap, GapReported) and isinstance(after, CandleClosed)
    assert (gap.first_missing_ts, gap.last_missing_ts, gap.count) == (market.ts(WARM), market.ts(WARM + 1), 2)
    assert "not served by Bybit REST after 2 attempt(s)" in gap.reason
    assert after.candle.ts == market.ts(WARM + 2)
    assert len(market.server.rest_calls("/v5/market/kline")) - kline_calls == 2  # the attempts, no more
    health = stream(feed)
    assert (health.gaps_reported, health.missing, health.emitted) == (1, 2, 1)


def test_a_partly_fillable_gap_keeps_order_around_the_hole(make_feed: FeedFactory, market: Market) -> None:
    feed = started(make_feed, market)
    market.record(WARM, WARM + 2)  # WARM + 1 exists nowhere
    market.push(WARM + 3)
    events = collect(feed, 4)
    assert [type(e).__name__ for e in events] == ["CandleClosed", "GapReported", "CandleClosed", "CandleClosed"]
    assert candle_ts(events) == [market.ts(WARM), market.ts(WARM + 2), market.ts(WARM + 3)]
    gap = events[1]
    assert isinstance(gap, GapReported) and gap.first_missing_ts == gap.last_missing_ts == market.ts(WARM + 1)


@pytest.mark.parametrize("abrupt", [False, True], ids=["close-frame", "cut"])
def test_reconnects_and_resubscribes_after_a_drop(make_feed: FeedFactory, market: Market, abrupt: bool) -> None:
    feed = started(make_feed, market)
    market.push(WARM)
    collect(feed, 1)
    assert market.server.drop_connections(abrupt=abrupt) == 1
    market.server.wait_for_connections(2)
    market.server.wait_for_subscribers(TOPIC)
    market.push(WARM + 1)
    assert candle_ts(collect(feed, 1)) == [market.ts(WARM + 1)]
    wait_until(lambda: feed.health().connected, "the feed to report the connection")
    health = feed.health()
    assert (health.connects, health.reconnects, health.disconnects) == (2, 1, 1)


def test_candles_closed_while_disconnected_are_fetched_after_reconnecting(make_feed: FeedFactory,
                                                                          market: Market) -> None:
    feed = started(make_feed, market)
    market.record(WARM, WARM + 1)  # closed during the outage: no push will ever come for them
    market.close(WARM + 1)
    market.server.drop_connections()
    events = collect(feed, 2)
    assert candle_ts(events) == [market.ts(WARM), market.ts(WARM + 1)]
    assert all(isinstance(e, CandleClosed) and e.via is Via.REST for e in events)
    assert feed.health().reconnects == 1


def test_an_update_past_a_missed_close_fetches_that_candle(make_feed: FeedFactory, market: Market) -> None:
    feed = started(make_feed, market)
    market.record(WARM)
    market.push(WARM + 1, confirm=False)  # WARM closed but its closing push never came
    (event,) = collect(feed, 1)
    assert isinstance(event, CandleClosed) and event.candle.ts == market.ts(WARM) and event.via is Via.REST
    market.push(WARM + 1)
    assert candle_ts(collect(feed, 1)) == [market.ts(WARM + 1)]
    assert stream(feed).gaps_reported == 0


def test_a_late_stream_is_flagged_and_caught_up_over_rest(make_feed: FeedFactory, market: Market) -> None:
    feed = started(make_feed, market, late_after_ms=60_000)
    market.clock.now = market.ts(WARM) + HOUR + 30_000  # WARM closed 30 s ago: not late yet
    assert not stream(feed).late
    market.clock.now = market.ts(WARM) + HOUR + 61_000
    assert feed.health().late_streams == [("BTCUSDT", "1h")]
    assert feed.next_events(0.05) == []  # the exchange has nothing yet: nothing is invented
    market.record(WARM)
    (event,) = collect(feed, 1)
    assert isinstance(event, CandleClosed) and event.candle.ts == market.ts(WARM) and event.via is Via.REST
    assert not stream(feed).late


def test_pushes_in_any_order_come_out_as_the_exact_sequence(make_feed: FeedFactory, market: Market) -> None:
    count = 30
    indices = list(range(WARM, WARM + count))
    market.record(*indices)
    feed = started(make_feed, market)
    rng = random.Random(20240101)
    pushes = indices + rng.choices(indices, k=20)  # every candle once, plus repeats
    rng.shuffle(pushes)
    market.close(WARM + count - 1)
    for i in pushes:
        market.server.publish_candle("BTCUSDT", "60", market.candles.iloc[i])
    events = collect(feed, count)
    assert all(isinstance(e, CandleClosed) for e in events)
    assert [e.candle for e in events if isinstance(e, CandleClosed)] == [
        feed_candle(market.candles.iloc[i]) for i in indices]

    def accounted() -> int:
        h = stream(feed)
        return h.duplicates + h.out_of_order + h.emitted - h.fetched

    # Every push is an emission, a duplicate or an older candle; candles pushed after a later one was
    # fetched to fill a gap count as duplicates.
    wait_until(lambda: accounted() == len(pushes), "every push to be accounted for")
    assert stream(feed).gaps_reported == 0


def test_close_leaves_no_thread_behind(server: BybitTestServer, make_feed: FeedFactory, market: Market) -> None:
    before = set(threading.enumerate())
    feed = started(make_feed, market)
    market.push(WARM)
    collect(feed, 1)
    assert len(set(threading.enumerate()) - before) >= 2  # the feed's worker and pybit's reader at least
    feed.close()
    assert set(threading.enumerate()) == before
    feed.close()
    assert feed.exhausted and feed.next_events(0) == []


def test_close_after_reconnects_leaves_no_thread_behind(make_feed: FeedFactory, market: Market) -> None:
    before = set(threading.enumerate())
    feed = started(make_feed, market)
    for n in (2, 3):
        market.server.drop_connections(abrupt=n == 3)
        market.server.wait_for_connections(n)
        market.server.wait_for_subscribers(TOPIC)
    feed.close()
    assert set(threading.enumerate()) == before


def test_start_fails_loudly_when_the_stream_is_unreachable(make_feed: FeedFactory, market: Market) -> None:
    before = set(threading.enumerate())
    feed = make_feed(ws_url="ws://127.0.0.1:9/v5/public/linear")
    with pytest.raises(VenueError, match=r"cannot connect to the Bybit public stream at ws://127\.0\.0\.1:9"):
        feed.start()
    feed.close()
    assert set(threading.enumerate()) == before


def test_start_refuses_a_symbol_bybit_does_not_list(make_feed: FeedFactory) -> None:
    before = set(threading.enumerate())
    feed = make_feed([("BTCUSDT", "1h"), ("NOPEUSDT", "1h")])
    with pytest.raises(VenueError, match="Bybit refused GET /v5/market/instruments-info NOPEUSDT: retCode 10001"):
        feed.start()
    feed.close()
    assert set(threading.enumerate()) == before


def test_lifecycle_misuse_is_refused(make_feed: FeedFactory, market: Market) -> None:
    feed = started(make_feed, market)
    with pytest.raises(RuntimeError, match="already started"):
        feed.start()
    with pytest.raises(RuntimeError, match="warm up BTCUSDT 1h before start"):
        feed.warmup("BTCUSDT", "1h", 10)
    feed.close()
    with pytest.raises(RuntimeError, match="closed"):
        feed.start()


def test_bad_streams_are_refused(clock: SetClock) -> None:
    with pytest.raises(ValueError, match="timeframe must be one of"):
        BybitCandleFeed([("BTCUSDT", "7m")], clock=clock)
    with pytest.raises(ValueError, match="upper-case Bybit symbol"):
        BybitCandleFeed([("btcusdt", "1h")], clock=clock)
    with pytest.raises(ValueError, match="at least one"):
        BybitCandleFeed([], clock=clock)
