"""A Bybit test server and live feeds pointed at it, with waits short enough for tests."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from perpbot.data.feeds import BybitCandleFeed, FeedSettings
from perpbot.venues.bybit.testserver import BybitTestServer
from tests.conftest import SetClock
from tests.data.feeds.support import HOUR
from tests.venues.bybit.conftest import START_MS, clock, server  # the same server on the same settable clock

__all__ = ["START_MS", "clock", "server"]


def loopback_settings(server: BybitTestServer, **overrides: Any) -> FeedSettings:
    """Settings for loopback: a stream is never late unless a test says so, and every wait is short."""
    values: dict[str, Any] = {
        "rest_url": server.rest_url, "ws_url": server.ws_public_url, "late_after_ms": 10 * HOUR,
        "catch_up_every_ms": 0, "refetch_attempts": 2, "refetch_retry_s": 0.01, "reconnect_delay_s": 0.02,
        "reconnect_max_delay_s": 0.1, "rest_attempts": 1, "rest_retry_delay_s": 0.0, "rest_timeout_s": 5.0,
        "subscribe_timeout_s": 5.0, "poll_s": 0.01,
    }
    values.update(overrides)
    return FeedSettings(**values)


FeedFactory = Callable[..., BybitCandleFeed]


@pytest.fixture
def make_feed(server: BybitTestServer, clock: SetClock) -> Iterator[FeedFactory]:
    feeds: list[BybitCandleFeed] = []

    def make(streams: list[tuple[str, str]] | None = None, **overrides: Any) -> BybitCandleFeed:
        feed = BybitCandleFeed(streams or [("BTCUSDT", "1h")], clock=clock,
                               settings=loopback_settings(server, **overrides))
        feeds.append(feed)
        return feed

    yield make
    for feed in feeds:
        feed.close()
