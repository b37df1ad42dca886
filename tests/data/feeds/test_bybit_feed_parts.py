"""The feed's pure parts: parsing Bybit's texts, placing candles in sequence, settings and pagination."""

from __future__ import annotations

from typing import Any

import pytest

from perpbot.data.feeds import FeedCandle, FeedSettings
from perpbot.data.feeds.bybit_parse import kline_topic, push_candles, rest_candle
from perpbot.data.feeds.bybit_rest import pages
from perpbot.data.feeds.health import HealthBook
from perpbot.data.feeds.sequencer import Placement, StreamSequencer
from perpbot.errors import DataError

HOUR = 3_600_000
T0 = 1_704_067_200_000


def entry(**changes: Any) -> dict[str, Any]:
    base = {"start": T0, "end": T0 + HOUR - 1, "interval": "60", "open": "42000.5", "close": "42100",
            "high": "42150.1", "low": "41990", "volume": "12.345", "turnover": "519000", "confirm": True,
            "timestamp": T0 + HOUR + 10}
    return {**base, **changes}


def message(*entries: dict[str, Any]) -> dict[str, Any]:
    return {"topic": "kline.60.BTCUSDT", "data": list(entries), "ts": T0 + HOUR + 10, "type": "snapshot"}


def test_push_text_becomes_the_nearest_floats() -> None:
    (push,) = push_candles(message(entry()), "1h")
    assert push.confirm is True
    assert push.candle == FeedCandle(T0, 42000.5, 42150.1, 41990.0, 42100.0, 12.345)


def test_rest_row_becomes_a_candle() -> None:
    row = [str(T0), "0.00012", "0.00013", "0.000115", "0.000125", "1000000", "120"]
    assert rest_candle(row, "1h", "test") == FeedCandle(T0, 0.00012, 0.00013, 0.000115, 0.000125, 1e6)


@pytest.mark.parametrize(("changes", "problem"), [
    ({"open": 42000.5}, "open is 42000.5; expected a decimal string"),
    ({"close": "abc"}, "close is 'abc'; expected a decimal string"),
    ({"high": "NaN"}, "high is 'NaN'; expected a finite number"),
    ({"low": "-1", "open": "-1"}, "open is '-1'; expected a positive price"),
    ({"high": "41000"}, "expected low <= open, close <= high"),
    ({"volume": "-0.1"}, "volume is '-0.1'; expected volume >= 0"),
    ({"start": T0 + 1, "end": T0 + HOUR}, "is not a candle open time"),
    ({"end": T0 + HOUR}, f"end is {T0 + HOUR}; expected {T0 + HOUR - 1}"),
    ({"interval": "15"}, "interval is '15'; the topic says '60'"),
    ({"confirm": "true"}, "confirm is 'true'; expected true or false"),
    ({"start": True}, "start time is True; expected whole milliseconds"),
])
def test_malformed_pushes_are_refused_naming_the_value(changes: dict[str, Any], problem: str) -> None:
    with pytest.raises(DataError, match=r"Bybit push 'kline\.60\.BTCUSDT'") as caught:
        push_candles(message(entry(**changes)), "1h")
    assert problem in str(caught.value)


def test_a_push_missing_fields_or_data_is_refused() -> None:
    incomplete = entry()
    del incomplete["confirm"]
    with pytest.raises(DataError, match="lacks confirm"):
        push_candles(message(incomplete), "1h")
    with pytest.raises(DataError, match="data is None; expected a list"):
        push_candles({"topic": "kline.60.BTCUSDT"}, "1h")


def test_bad_rest_rows_are_refused() -> None:
    with pytest.raises(DataError, match="not a list of 7 strings"):
        rest_candle([str(T0), "1", "1", "1", "1", "1"], "1h", "GET kline")
    with pytest.raises(DataError, match="start time is 'soon'"):
        rest_candle(["soon", "1", "1", "1", "1", "1", "1"], "1h", "GET kline")


def test_topic_names() -> None:
    assert kline_topic("ETHUSDT", "1d") == "kline.D.ETHUSDT"
    assert kline_topic("BTCUSDT", "4h") == "kline.240.BTCUSDT"


def test_sequencer_placements() -> None:
    seq = StreamSequencer(HOUR)
    assert seq.place(T0) is Placement.FIRST
    seq.advance(FeedCandle(T0, 1, 1, 1, 1, 0))
    assert seq.place(T0) is Placement.DUPLICATE
    assert seq.place(T0 - HOUR) is Placement.STALE
    assert seq.place(T0 + HOUR) is Placement.NEXT
    assert seq.place(T0 + 4 * HOUR) is Placement.AFTER_GAP
    assert seq.missing_before(T0 + 4 * HOUR) == (T0 + HOUR, T0 + 3 * HOUR)
    with pytest.raises(ValueError, match="no candle is missing"):
        seq.missing_before(T0 + HOUR)
    with pytest.raises(ValueError, match="is not after"):
        seq.advance(FeedCandle(T0, 1, 1, 1, 1, 0))


def test_pages_cover_the_range_in_whole_pages() -> None:
    assert list(pages(0, 2499, 1)) == [(0, 999, 1000), (1000, 1999, 1000), (2000, 2499, 500)]
    assert list(pages(0, 0, HOUR)) == [(0, 0, 1)]
    assert list(pages(HOUR, 0, HOUR)) == []


def test_lateness_is_judged_on_the_clock() -> None:
    book = HealthBook(late_after_ms=10_000)
    book.add_stream("BTCUSDT", "1h", HOUR)
    book.seed(("BTCUSDT", "1h"), T0)
    next_close = T0 + 2 * HOUR
    assert not book.snapshot(next_close + 10_000).streams[0].late
    assert book.snapshot(next_close + 10_001).late_streams == [("BTCUSDT", "1h")]


@pytest.mark.parametrize(("changes", "message_part"), [
    ({"ping_timeout_s": 20.0}, "ping_timeout_s must be below ping_interval_s"),
    ({"refetch_attempts": 0}, "refetch_attempts must be at least 1, was 0"),
    ({"late_after_ms": -1}, "late_after_ms must be >= 0 ms, was -1"),
    ({"poll_s": 0}, "poll_s must be > 0 s, was 0"),
    ({"reconnect_max_delay_s": 0.5}, "reconnect_max_delay_s must be >= reconnect_delay_s"),
    ({"rest_url": "api.bybit.com"}, "rest_url must be a URL"),
    ({"ws_url": "wss://stream.bybit.com/v5/public/spot"}, "ws_url must end in /v5/public/linear"),
])
def test_bad_settings_are_refused(changes: dict[str, Any], message_part: str) -> None:
    with pytest.raises(ValueError, match=message_part):
        FeedSettings(**changes)
