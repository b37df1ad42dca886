"""Which candle closes are complete: the runtime decides only when every stream due at a close has arrived.

A 15m and a 1h candle both close at 12:00; the decision at 12:00 must see both (a backtest does), so
candles are held until every stream due at that time has delivered. Closes are released strictly in
time order. Duplicates and candles older than what was already released are dropped and counted.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from perpbot.engine.windows import Candle
from perpbot.model.timeframe import timeframe_ms
from perpbot.runtime.events import ClosedCandle


@dataclass(slots=True)
class BarrierStats:
    duplicates: int = 0
    late: int = 0  # arrived after its close was released
    forced: int = 0  # closes released incomplete because a gap was reported


@dataclass(frozen=True, slots=True)
class ReadyClose:
    close_ts: int
    candles: dict[tuple[str, str], Candle]
    missing: tuple[tuple[str, str], ...] = ()


@dataclass(slots=True)
class CloseBarrier:
    streams: list[tuple[str, str]]
    stats: BarrierStats = field(default_factory=BarrierStats)
    _pending: dict[int, dict[tuple[str, str], Candle]] = field(default_factory=dict)
    _released: int | None = None
    _forced: set[tuple[int, tuple[str, str]]] = field(default_factory=set)
    _last_released: dict[tuple[str, str], int] = field(default_factory=dict)  # stream -> candle open ts

    def due(self, close_ts: int) -> list[tuple[str, str]]:
        """Streams with a candle closing at `close_ts` (candles align on multiples of their timeframe)."""
        return [s for s in self.streams if close_ts % timeframe_ms(s[1]) == 0]

    @property
    def last_released(self) -> int | None:
        return self._released

    def start_after(self, close_ts: int) -> None:
        """Treat every close up to `close_ts` as done (the warm-up history ended there)."""
        self._released = close_ts

    def add(self, event: ClosedCandle) -> list[ReadyClose]:
        """Take one candle; return the closes that became complete, oldest first."""
        if event.stream not in self.streams:
            raise ValueError(f"{event.symbol} {event.timeframe} is not a stream of this runtime: {self.streams}")
        close = event.close_ts
        if self._released is not None and close <= self._released:
            if self._last_released.get(event.stream) == event.candle.ts:
                self.stats.duplicates += 1
            else:
                self.stats.late += 1
            return []
        slot = self._pending.setdefault(close, {})
        if event.stream in slot:
            self.stats.duplicates += 1
            return []
        slot[event.stream] = event.candle
        return self._drain()

    def give_up(self, stream: tuple[str, str], first_close_ts: int, last_close_ts: int) -> list[ReadyClose]:
        """A gap was reported: stop waiting for `stream` at its closes in [first, last]."""
        step = timeframe_ms(stream[1])
        first = -(-first_close_ts // step) * step  # the first close on the stream's grid at or after `first`
        for close in range(first, last_close_ts + 1, step):
            self._forced.add((close, stream))
        return self._drain()

    def _next_due(self, after: int) -> int:
        return min((after // step + 1) * step for step in {timeframe_ms(tf) for _, tf in self.streams})

    def _drain(self) -> list[ReadyClose]:
        """Release closes in order; never skip one that is due but has not arrived (that is a gap)."""
        ready: list[ReadyClose] = []
        while True:
            if self._released is None:
                if not self._pending:
                    break
                close = min(self._pending)
            else:
                close = self._next_due(self._released)
            got = self._pending.get(close, {})
            due = self.due(close)
            if any(s not in got and (close, s) not in self._forced for s in due):
                break
            absent = tuple(s for s in due if s not in got)
            if absent:
                self.stats.forced += 1
            self._pending.pop(close, None)
            self._forced = {f for f in self._forced if f[0] > close}
            self._released = close
            for stream, candle in got.items():
                self._last_released[stream] = candle.ts
            ready.append(ReadyClose(close, got, absent))
        return ready

    def waiting_for(self) -> tuple[int, list[tuple[str, str]]] | None:
        """The next close and the streams it still needs (for feed health and stale-data alerts)."""
        if self._released is None and not self._pending:
            return None
        close = min(self._pending) if self._released is None else self._next_due(self._released)
        got = self._pending.get(close, {})
        return close, [s for s in self.due(close) if s not in got and (close, s) not in self._forced]
