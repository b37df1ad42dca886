"""Warm-up and REST fetches through pybit against the loopback server: exact candles, paginated, closed only."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pandas as pd
import pytest

from perpbot.data.formats import read_candles
from perpbot.errors import DataError, VenueError
from perpbot.venues.bybit.testserver import BybitTestServer
from tests.conftest import SetClock, make_candles
from tests.data.feeds.conftest import FeedFactory
from tests.data.feeds.support import HOUR

FIVE_MIN = 300_000


def closed_after(clock: SetClock, frame: pd.DataFrame, step_ms: int, index: int = -1) -> None:
    """Set the clock just after the candle at `index` closed."""
    clock.now = int(frame["ts"].iloc[index]) + step_ms + 500


def test_warmup_returns_the_servers_candles_exactly(server: BybitTestServer, make_feed: FeedFactory,
                                                    clock: SetClock, candles: pd.DataFrame) -> None:
    server.load_candles("BTCUSDT", "60", candles)
    closed_after(clock, candles, HOUR)
    frame = make_feed().warmup("BTCUSDT", "1h", 250)
    pd.testing.assert_frame_equal(frame, candles.iloc[-250:].reset_index(drop=True), check_exact=True)
    assert frame["ts"].dtype == "int64" and all(frame[c].dtype == "float64" for c in frame.columns[1:])


def test_warmup_paginates_past_the_1000_limit(server: BybitTestServer, make_feed: FeedFactory,
                                              clock: SetClock) -> None:
    frame = make_candles(2600, step_ms=FIVE_MIN)
    server.load_candles("BTCUSDT", "5", frame)
    closed_after(clock, frame, FIVE_MIN)
    warm = make_feed([("BTCUSDT", "5m")]).warmup("BTCUSDT", "5m", 2500)
    pd.testing.assert_frame_equal(warm, frame.iloc[-2500:].reset_index(drop=True), check_exact=True)
    calls = [dict(p.split("=") for p in c.query.split("&")) for c in server.rest_calls("/v5/market/kline")]
    assert [int(c["limit"]) for c in calls] == [1000, 1000, 500]
    first = int(frame["ts"].iloc[-2500])
    assert [(int(c["start"]), int(c["end"])) for c in calls] == [
        (first, first + 999 * FIVE_MIN), (first + 1000 * FIVE_MIN, first + 1999 * FIVE_MIN),
        (first + 2000 * FIVE_MIN, first + 2499 * FIVE_MIN)]


@pytest.mark.shared_data
def test_warmup_of_real_bybit_candles_is_exact(server: BybitTestServer, make_feed: FeedFactory, clock: SetClock,
                                               shared_data: Path) -> None:
    frame = read_candles(shared_data / "bybit_linear_ETHUSDT_5m.csv.gz").iloc[-3000:].reset_index(drop=True)
    server.load_candles("ETHUSDT", "5", frame)
    closed_after(clock, frame, FIVE_MIN)
    warm = make_feed([("ETHUSDT", "5m")]).warmup("ETHUSDT", "5m", 3000)
    pd.testing.assert_frame_equal(warm, frame, check_exact=True)


def test_warmup_leaves_out_the_forming_candle(server: BybitTestServer, make_feed: FeedFactory, clock: SetClock,
                                              candles: pd.DataFrame) -> None:
    server.load_candles("BTCUSDT", "60", candles.iloc[:100])
    server.publish_candle("BTCUSDT", "60", candles.iloc[100], confirm=False)  # REST now shows it, still open
    clock.now = int(candles["ts"].iloc[100]) + HOUR // 2
    warm = make_feed().warmup("BTCUSDT", "1h", 50)
    assert int(warm["ts"].iloc[-1]) == int(candles["ts"].iloc[99])
    assert len(warm) == 50


def test_warmup_gives_what_the_exchange_has(server: BybitTestServer, make_feed: FeedFactory, clock: SetClock,
                                            candles: pd.DataFrame) -> None:
    server.load_candles("BTCUSDT", "60", candles.iloc[:30])
    closed_after(clock, candles, HOUR, 29)
    assert len(make_feed().warmup("BTCUSDT", "1h", 500)) == 30


def test_warmup_with_a_hole_is_an_error_naming_it(server: BybitTestServer, make_feed: FeedFactory,
                                                  clock: SetClock, candles: pd.DataFrame) -> None:
    server.load_candles("BTCUSDT", "60", candles.drop(index=[540, 541]))
    closed_after(clock, candles, HOUR)
    with pytest.raises(DataError, match=r"gap after row 40 .* 2 candle\(s\) missing"):
        make_feed().warmup("BTCUSDT", "1h", 100)


def test_warmup_refuses_a_bad_count(make_feed: FeedFactory) -> None:
    for bad in (0, -5, 2.5, True):
        with pytest.raises(ValueError, match="whole number of candles >= 1"):
            make_feed().warmup("BTCUSDT", "1h", bad)  # type: ignore[arg-type]


def test_rest_refusal_is_a_venue_error_with_bybits_words(make_feed: FeedFactory) -> None:
    with pytest.raises(VenueError, match="retCode 10001 'Not supported symbols'"):
        make_feed([("NOPEUSDT", "1h")]).warmup("NOPEUSDT", "1h", 10)


def test_unreachable_rest_is_a_venue_error(server: BybitTestServer, make_feed: FeedFactory) -> None:
    feed = make_feed(rest_url="http://127.0.0.1:9")  # the discard port: nothing listens
    with pytest.raises(VenueError, match=r"cannot reach Bybit at http://127\.0\.0\.1:9"):
        feed.warmup("BTCUSDT", "1h", 10)


def test_funding_rate_is_the_exact_settled_decimal(server: BybitTestServer, make_feed: FeedFactory) -> None:
    settle = 1_704_067_200_000
    server.load_funding("BTCUSDT", pd.DataFrame({"ts": [settle - 8 * HOUR, settle], "rate": [0.0001, -0.000125]}))
    feed = make_feed()
    assert feed.funding_rate("BTCUSDT", settle) == Decimal("-0.000125")
    assert feed.funding_rate("BTCUSDT", settle + 8 * HOUR) is None
