"""Feed health for the monitor: per stream what arrived, what was dropped or missing, and whether it is late.

The feed's worker writes the counters; `snapshot()` gives any thread an immutable copy. Lateness is judged on
the injected clock: a stream is late when the candle after its last one should have closed more than
`late_after_ms` ago and has not been emitted.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field, replace


@dataclass(frozen=True, slots=True)
class StreamHealth:
    symbol: str
    timeframe: str
    step_ms: int
    last_closed_ts: int | None = None  # open time of the last candle emitted
    last_message_ms: int | None = None  # clock time of the last push for this stream (closed or not)
    emitted: int = 0  # closed candles emitted, by any route
    fetched: int = 0  # of those, fetched over REST (gap fill or catch-up) rather than pushed
    duplicates: int = 0  # pushes of a candle already emitted
    conflicts: int = 0  # duplicates whose values differ from the emitted candle (the first one is kept)
    out_of_order: int = 0  # pushes older than the last emitted candle, dropped
    rejected: int = 0  # malformed pushes, never emitted
    gaps_reported: int = 0  # gap events sent
    missing: int = 0  # candles in those gaps
    late: bool = False

    @property
    def next_close_ms(self) -> int | None:
        """When the candle after the last emitted one closes (its open time plus one step)."""
        return None if self.last_closed_ts is None else self.last_closed_ts + 2 * self.step_ms


@dataclass(frozen=True, slots=True)
class FeedHealth:
    now_ms: int
    connected: bool
    connects: int  # successful connections, the first included
    reconnects: int  # connections made after a lost one
    disconnects: int
    errors: int  # failures handled without stopping (connection attempts, re-fetches, bad messages)
    last_error: str | None
    last_message_ms: int | None
    streams: tuple[StreamHealth, ...]

    @property
    def late_streams(self) -> list[tuple[str, str]]:
        return [(s.symbol, s.timeframe) for s in self.streams if s.late]


@dataclass(slots=True)
class _Feed:
    connected: bool = False
    connects: int = 0
    reconnects: int = 0
    disconnects: int = 0
    errors: int = 0
    last_error: str | None = None
    last_message_ms: int | None = None


@dataclass(slots=True)
class HealthBook:
    """The mutable counters behind `FeedHealth`, guarded by one lock."""

    late_after_ms: int
    _streams: dict[tuple[str, str], StreamHealth] = field(default_factory=dict)
    _feed: _Feed = field(default_factory=_Feed)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def add_stream(self, symbol: str, timeframe: str, step_ms: int) -> None:
        with self._lock:
            self._streams.setdefault((symbol, timeframe), StreamHealth(symbol, timeframe, step_ms))

    def stream(self, key: tuple[str, str]) -> StreamHealth:
        with self._lock:
            return self._streams[key]

    def bump(self, key: tuple[str, str], **changes: int) -> None:
        """Add to a stream's counters, e.g. bump(key, duplicates=1)."""
        with self._lock:
            current = self._streams[key]
            self._streams[key] = replace(current, **{k: getattr(current, k) + v for k, v in changes.items()})

    def emitted(self, key: tuple[str, str], ts: int, *, fetched: bool) -> None:
        with self._lock:
            current = self._streams[key]
            self._streams[key] = replace(current, last_closed_ts=ts, emitted=current.emitted + 1,
                                         fetched=current.fetched + int(fetched))

    def seed(self, key: tuple[str, str], ts: int) -> None:
        """The stream continues after `ts` (the warm-up's last candle), which was not emitted as an event."""
        with self._lock:
            self._streams[key] = replace(self._streams[key], last_closed_ts=ts)

    def message(self, key: tuple[str, str] | None, now_ms: int) -> None:
        with self._lock:
            self._feed.last_message_ms = now_ms
            if key is not None and key in self._streams:
                self._streams[key] = replace(self._streams[key], last_message_ms=now_ms)

    def connected(self) -> None:
        with self._lock:
            if self._feed.connects:
                self._feed.reconnects += 1
            self._feed.connects += 1
            self._feed.connected = True

    def disconnected(self) -> None:
        with self._lock:
            if self._feed.connected:
                self._feed.disconnects += 1
            self._feed.connected = False

    def error(self, text: str) -> None:
        with self._lock:
            self._feed.errors += 1
            self._feed.last_error = text

    def snapshot(self, now_ms: int) -> FeedHealth:
        with self._lock:
            streams = tuple(
                replace(s, late=s.next_close_ms is not None and now_ms > s.next_close_ms + self.late_after_ms)
                for _, s in sorted(self._streams.items())
            )
            feed = self._feed
            return FeedHealth(now_ms, feed.connected, feed.connects, feed.reconnects, feed.disconnects, feed.errors,
                              feed.last_error, feed.last_message_ms, streams)
