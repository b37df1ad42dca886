"""Helpers for the live feed tests: a settable clock, polling, and reading a feed's events."""

from __future__ import annotations

import time
from collections.abc import Callable

from perpbot.data.feeds import BybitCandleFeed, CandleClosed, FeedCandle, FeedEvent

HOUR = 3_600_000



def wait_until(predicate: Callable[[], bool], what: str, timeout_s: float = 5.0) -> None:
    """Poll `predicate` until it holds; fail naming `what` if it never does."""
    deadline = time.monotonic() + timeout_s
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout_s} s waiting for {what}")
        time.sleep(0.005)


def collect(feed: BybitCandleFeed, count: int, timeout_s: float = 5.0) -> list[FeedEvent]:
    """Exactly the next `count` events (fails if fewer arrive in time)."""
    events: list[FeedEvent] = []
    deadline = time.monotonic() + timeout_s
    while len(events) < count:
        if time.monotonic() > deadline:
            raise AssertionError(f"expected {count} event(s), got {len(events)}: {events}")
        events += feed.next_events(0.05)
    assert len(events) == count, f"expected {count} event(s), got {len(events)}: {events}"
    return events


def candle_ts(events: list[FeedEvent]) -> list[int]:
    return [e.candle.ts for e in events if isinstance(e, CandleClosed)]


def feed_candle(row: object) -> FeedCandle:
    """A frame row as the feed should emit it."""
    get = row.__getitem__  # type: ignore[attr-defined]
    return FeedCandle(int(get("ts")), float(get("open")), float(get("high")), float(get("low")),
                      float(get("close")), float(get("volume")))
