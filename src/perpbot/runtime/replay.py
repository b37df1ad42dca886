"""Recorded candles played through the live runtime as if they were arriving now, at a chosen speed."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

import numpy as np
import pandas as pd

from perpbot.data.sources import MarketDataSource
from perpbot.engine.windows import Candle
from perpbot.model.timeframe import timeframe_ms
from perpbot.runtime.events import ClosedCandle, FeedGap


class ReplayFeed:
    """Serves a source's candles close by close. `speed` is a multiple of real time (900 plays a 15m
    candle a second); None plays as fast as the runtime takes them."""

    def __init__(self, source: MarketDataSource, streams: list[tuple[str, str]], *, start_ms: int,
                 end_ms: int | None = None, speed: float | None = None,
                 sleep: Callable[[float], None] | None = None) -> None:
        if speed is not None and speed <= 0:
            raise ValueError(f"replay speed must be a positive multiple of real time, was {speed}")
        self.source = source
        self.streams = streams
        self.start_ms = start_ms
        self.speed = speed
        self._sleep = sleep
        self._frames: dict[tuple[str, str], pd.DataFrame] = {
            (s, tf): source.candles(s, tf, None, end_ms) for s, tf in streams
        }
        by_close: dict[int, list[ClosedCandle]] = {}
        for (symbol, tf), frame in self._frames.items():
            step = timeframe_ms(tf)
            closes = frame["ts"].to_numpy(dtype=np.int64) + step
            first = int(np.searchsorted(closes, start_ms, side="right"))
            for close, row in zip(closes[first:].tolist(), frame.iloc[first:].itertuples(index=False), strict=True):
                by_close.setdefault(close, []).append(ClosedCandle(symbol, tf, _candle(row)))
        self._closes = sorted(by_close)
        self._by_close = by_close
        self._next = 0
        self._funding = {s: source.funding(s) for s in {s for s, _ in streams}}
        self._last_close: int | None = None

    @property
    def exhausted(self) -> bool:
        return self._next >= len(self._closes)

    @property
    def remaining(self) -> int:
        return len(self._closes) - self._next

    def history(self, symbol: str, timeframe: str, count: int) -> list[Candle]:
        """The last `count` candles closing at or before the replay's start: the warm-up."""
        frame = self._frames[(symbol, timeframe)]
        closes = frame["ts"].to_numpy(dtype=np.int64) + timeframe_ms(timeframe)
        upto = int(np.searchsorted(closes, self.start_ms, side="right"))
        return [_candle(row) for row in frame.iloc[max(0, upto - count):upto].itertuples(index=False)]

    def funding_rate(self, symbol: str, ts: int) -> Decimal | None:
        frame = self._funding.get(symbol)
        if frame is None or frame.empty:
            return None
        hit = frame.loc[frame["ts"] == ts, "rate"]
        return Decimal(repr(float(hit.iloc[0]))) if len(hit) else None

    def next_events(self, timeout_s: float) -> list[ClosedCandle | FeedGap]:
        """The candles of the next close, after waiting as long as the speed says that close takes."""
        if self.exhausted:
            return []
        close = self._closes[self._next]
        if self.speed is not None and self._sleep is not None and self._last_close is not None:
            self._sleep((close - self._last_close) / 1000 / self.speed)
        self._next += 1
        self._last_close = close
        return list(self._by_close[close])

    def close(self) -> None:
        self._next = len(self._closes)


def _candle(row: object) -> Candle:
    return Candle(int(row.ts), float(row.open), float(row.high), float(row.low),  # type: ignore[attr-defined]
                  float(row.close), float(row.volume))  # type: ignore[attr-defined]
