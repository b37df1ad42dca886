"""What a candle feed delivers to the runtime: the live feed's own event types, which the replay feed
and the tests build too (a replayed candle arrives `Via.RECORDED`)."""

from __future__ import annotations

from perpbot.data.feeds.events import CandleClosed as ClosedCandle
from perpbot.data.feeds.events import GapReported as FeedGap

__all__ = ["ClosedCandle", "FeedGap"]
