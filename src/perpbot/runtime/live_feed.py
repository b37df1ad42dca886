"""The live Bybit candle feed in the runtime's `CandleFeed` shape (paper trading now, live trading later)."""

from __future__ import annotations

from decimal import Decimal

from perpbot.data.feeds import BybitCandleFeed
from perpbot.engine.windows import Candle
from perpbot.runtime.events import ClosedCandle, FeedGap


class LiveCandleFeed:
    """Adapts `BybitCandleFeed`: history is its REST warm-up; streaming starts on the first read, after it."""

    def __init__(self, feed: BybitCandleFeed) -> None:
        self._feed = feed
        self._started = False

    @property
    def feed(self) -> BybitCandleFeed:
        return self._feed

    def history(self, symbol: str, timeframe: str, count: int) -> list[Candle]:
        frame = self._feed.warmup(symbol, timeframe, count)
        columns = [frame[c].to_numpy() for c in ("ts", "open", "high", "low", "close", "volume")]
        return [Candle(int(t), float(o), float(h), float(lo), float(c), float(v))
                for t, o, h, lo, c, v in zip(*columns, strict=True)]

    def funding_rate(self, symbol: str, ts: int) -> Decimal | None:
        return self._feed.funding_rate(symbol, ts)

    def next_events(self, timeout_s: float) -> list[ClosedCandle | FeedGap]:
        if not self._started:
            self._feed.start()  # after the warm-up: history first, then the stream
            self._started = True
        return list(self._feed.next_events(timeout_s))

    @property
    def exhausted(self) -> bool:
        return self._feed.exhausted

    def close(self) -> None:
        self._feed.close()
