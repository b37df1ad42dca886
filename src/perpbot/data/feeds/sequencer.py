"""Where a closed candle stands relative to what one stream has already emitted.

Pure bookkeeping, no I/O: the feed asks `place(ts)` and acts on the answer (emit, drop and count,
or fetch the missing candles first).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from perpbot.data.feeds.events import FeedCandle


class Placement(StrEnum):
    FIRST = "first"  # nothing emitted yet: this candle starts the stream
    NEXT = "next"  # exactly one step after the last emitted candle
    DUPLICATE = "duplicate"  # the last emitted candle again
    STALE = "stale"  # older than the last emitted candle (out of order)
    AFTER_GAP = "after_gap"  # newer, with candles missing in between


@dataclass(slots=True)
class StreamSequencer:
    """The last candle emitted on one (symbol, timeframe) stream; candles leave in strict time order."""

    step_ms: int
    last: FeedCandle | None = None

    @property
    def last_ts(self) -> int | None:
        return None if self.last is None else self.last.ts

    def place(self, ts: int) -> Placement:
        if self.last is None:
            return Placement.FIRST
        if ts == self.last.ts:
            return Placement.DUPLICATE
        if ts < self.last.ts:
            return Placement.STALE
        if ts == self.last.ts + self.step_ms:
            return Placement.NEXT
        return Placement.AFTER_GAP

    def missing_before(self, ts: int) -> tuple[int, int]:
        """Open times of the first and last candle missing between the last emitted one and `ts`."""
        if self.last is None or ts <= self.last.ts + self.step_ms:
            raise ValueError(f"no candle is missing before {ts}: last emitted {self.last_ts}, step {self.step_ms}")
        return self.last.ts + self.step_ms, ts - self.step_ms

    def advance(self, candle: FeedCandle) -> None:
        if self.last is not None and candle.ts <= self.last.ts:
            raise ValueError(f"candle at {candle.ts} is not after the last emitted one at {self.last.ts}")
        self.last = candle
