"""What a live candle feed delivers: closed candles in order per stream, and gaps it could not fill."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

import numpy as np
import pandas as pd

from perpbot.data.frames import CANDLE_COLUMNS, validate_candles
from perpbot.model.candle import Candle
from perpbot.model.timeframe import timeframe_ms

FeedCandle = Candle  # the feed delivers the model's candle value


class Via(StrEnum):
    """How the candle arrived: pushed on the stream, fetched over REST (warm-up, gap, catch-up), or
    played back from recorded candles (the replay feed)."""

    STREAM = "stream"
    REST = "rest"
    RECORDED = "recorded"


@dataclass(frozen=True, slots=True)
class CandleClosed:
    """A closed candle of one (symbol, timeframe) stream; `received_ms` is the feed clock when it was taken."""

    symbol: str
    timeframe: str
    candle: FeedCandle
    via: Via = Via.RECORDED
    received_ms: int = 0  # 0 when no feed clock took it (a replay)

    @property
    def stream(self) -> tuple[str, str]:
        return (self.symbol, self.timeframe)

    @property
    def close_ts(self) -> int:
        return self.candle.ts + timeframe_ms(self.timeframe)


@dataclass(frozen=True, slots=True)
class GapReported:
    """Candles the feed could not get, even by re-fetching them: reported, never made up."""

    symbol: str
    timeframe: str
    first_missing_ts: int  # open time of the first missing candle
    last_missing_ts: int  # open time of the last missing candle
    reason: str
    reported_ms: int = 0

    @property
    def stream(self) -> tuple[str, str]:
        return (self.symbol, self.timeframe)

    @property
    def count(self) -> int:
        return (self.last_missing_ts - self.first_missing_ts) // timeframe_ms(self.timeframe) + 1


FeedEvent = CandleClosed | GapReported


def candles_frame(candles: Sequence[FeedCandle], *, symbol: str, timeframe: str, source: str) -> pd.DataFrame:
    """Candles as a validated project frame (ts int64, the rest float64); a gap is an error, never filled."""
    frame = pd.DataFrame({
        "ts": np.array([c.ts for c in candles], dtype=np.int64),
        **{name: np.array([getattr(c, name) for c in candles], dtype=np.float64) for name in CANDLE_COLUMNS[1:]},
    })
    return validate_candles(frame, symbol=symbol, timeframe=timeframe, source=source)
