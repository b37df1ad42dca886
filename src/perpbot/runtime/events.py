"""What a candle feed delivers to the runtime."""

from __future__ import annotations

from dataclasses import dataclass

from perpbot.engine.windows import Candle
from perpbot.model.timeframe import timeframe_ms


@dataclass(frozen=True, slots=True)
class ClosedCandle:
    """A candle that has closed, for one (symbol, timeframe) stream."""

    symbol: str
    timeframe: str
    candle: Candle

    @property
    def stream(self) -> tuple[str, str]:
        return (self.symbol, self.timeframe)

    @property
    def close_ts(self) -> int:
        return self.candle.ts + timeframe_ms(self.timeframe)


@dataclass(frozen=True, slots=True)
class FeedGap:
    """Candles the feed could not get, even by re-fetching: reported, never made up."""

    symbol: str
    timeframe: str
    first_missing_ts: int  # open time of the first missing candle
    last_missing_ts: int
    reason: str
