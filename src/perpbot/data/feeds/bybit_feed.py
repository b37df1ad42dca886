"""`BybitCandleFeed`: closed candles from Bybit's public kline stream, in order, with gaps filled or reported.

pybit's WebSocket pushes every update of every subscribed candle; only the closing one (`confirm` true) is
emitted. One worker thread does everything after `start()`: it takes pushes from pybit's thread, checks
them, re-fetches missed candles over REST, and keeps the connection up. Per (symbol, timeframe) stream:

- a candle already emitted is a duplicate, dropped and counted (a conflicting one too: the first stands);
- a candle older than the last emitted one is out of order, dropped and counted;
- a candle after missing ones first has the missing ones fetched over REST and emitted in order; what the
  exchange cannot supply is reported as a `GapReported` event, never filled;
- after a reconnect, on an in-progress push past a missed close, and when a stream is late on the injected
  clock, the feed asks REST for the candles that should have closed by now.

No keys are used. Everything the worker learns goes to `health()` for the monitor.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Sequence
from decimal import Decimal
from types import TracebackType
from typing import Any, Protocol, Self

import pandas as pd

from perpbot.data.feeds.bybit_parse import kline_topic, push_candles
from perpbot.data.feeds.bybit_rest import BybitMarketClient
from perpbot.data.feeds.bybit_socket import KlineSocket
from perpbot.data.feeds.events import CandleClosed, FeedCandle, FeedEvent, GapReported, Via, candles_frame
from perpbot.data.feeds.health import FeedHealth, HealthBook
from perpbot.data.feeds.sequencer import Placement, StreamSequencer
from perpbot.data.feeds.settings import FeedSettings
from perpbot.data.frames import describe_ts
from perpbot.errors import DataError, VenueError
from perpbot.model.timeframe import bybit_interval, timeframe_ms

log = logging.getLogger(__name__)

_JOIN_TIMEOUT_S = 15.0

Stream = tuple[str, str]


class Clock(Protocol):
    def now_ms(self) -> int: ...


class BybitCandleFeed:
    """Closed candles for a fixed set of (symbol, timeframe) streams. Warm up, then start, then read events."""

    def __init__(self, streams: Sequence[Stream], *, clock: Clock, settings: FeedSettings | None = None) -> None:
        self.settings = settings or FeedSettings()
        self._clock = clock
        self._streams: list[Stream] = []
        for symbol, timeframe in streams:
            if not isinstance(symbol, str) or not symbol.isalnum() or symbol != symbol.upper():
                raise ValueError(f"symbol must be an upper-case Bybit symbol such as BTCUSDT, was {symbol!r}")
            bybit_interval(timeframe)  # ValueError names the timeframes perpbot knows
            if (symbol, timeframe) not in self._streams:
                self._streams.append((symbol, timeframe))
        if not self._streams:
            raise ValueError("a candle feed needs at least one (symbol, timeframe) stream")
        self._steps = {s: timeframe_ms(s[1]) for s in self._streams}
        self._topics = {kline_topic(*s): s for s in self._streams}
        self._sequencers = {s: StreamSequencer(self._steps[s]) for s in self._streams}
        self._health = HealthBook(self.settings.late_after_ms)
        for stream in self._streams:
            self._health.add_stream(*stream, self._steps[stream])
        self._rest = BybitMarketClient(self.settings.rest_url, timeout_s=self.settings.rest_timeout_s,
                                       max_retries=self.settings.rest_attempts,
                                       retry_delay_s=self.settings.rest_retry_delay_s)
        self._inbox: queue.Queue[tuple[int, dict[str, Any]]] = queue.Queue()
        self._events: queue.Queue[FeedEvent] = queue.Queue()
        self._stop = threading.Event()
        self._socket: KlineSocket | None = None
        self._worker: threading.Thread | None = None
        self._backoff_s = self.settings.reconnect_delay_s
        self._catch_up_due = False
        self._last_catch_up: dict[Stream, int] = {}
        self._failure: BaseException | None = None
        self._closed = False

    @property
    def streams(self) -> list[Stream]:
        return list(self._streams)

    # ------------------------------------------------------------------ REST, usable without streaming
    def fetch(self, symbol: str, timeframe: str, start_ts: int, end_ts: int) -> pd.DataFrame:
        """Candles with open times in [start_ts, end_ts] as the exchange has them, as a validated frame.

        Includes the forming candle if the range reaches it; a hole in the range is a DataError.
        """
        candles = self._rest.klines(symbol, timeframe, start_ts, end_ts)
        return candles_frame(candles, symbol=symbol, timeframe=timeframe, source=f"Bybit REST ({self._rest.rest_url})")

    def warmup(self, symbol: str, timeframe: str, n: int) -> pd.DataFrame:
        """The last `n` closed candles by the feed clock, paginated past Bybit's 1000-row limit.

        Fewer come back if the exchange has fewer (a young listing, or the newest close not served yet);
        a hole is a DataError naming it. For a stream of this feed it must come before `start()`, and the
        stream then continues right after the last candle returned.
        """
        if isinstance(n, bool) or not isinstance(n, int) or n < 1:
            raise ValueError(f"warm-up needs a whole number of candles >= 1, was {n!r}")
        stream = (symbol, timeframe)
        if stream in self._sequencers and self._worker is not None:
            raise RuntimeError(f"warm up {symbol} {timeframe} before start(): the stream is already running")
        step = timeframe_ms(timeframe)
        last_closed = self._last_closed_open(step)
        frame = self.fetch(symbol, timeframe, last_closed - (n - 1) * step, last_closed)
        if stream in self._sequencers and len(frame):
            row = frame.iloc[-1]
            self._sequencers[stream].last = FeedCandle(int(row["ts"]), float(row["open"]), float(row["high"]),
                                                       float(row["low"]), float(row["close"]), float(row["volume"]))
            self._health.seed(stream, int(row["ts"]))
        return frame

    def funding_rate(self, symbol: str, ts: int) -> Decimal | None:
        """The funding rate settled at `ts` (exact decimal), or None if the exchange has none for it yet."""
        return self._rest.funding_rate(symbol, ts)

    # ------------------------------------------------------------------ streaming
    def start(self) -> None:
        """Check the symbols are traded, connect, subscribe and start the worker; VenueError if any of it fails."""
        if self._closed:
            raise RuntimeError("this feed is closed; make a new one")
        if self._worker is not None:
            raise RuntimeError("this feed is already started")
        # pybit drops the whole connection when Bybit refuses one topic (a KeyError in its dispatcher), so
        # a symbol Bybit does not trade would make every reconnect fail: refuse it here, by name.
        for symbol in sorted({s for s, _ in self._streams}):
            status = self._rest.instrument_status(symbol)
            if status != "Trading":
                raise VenueError(f"Bybit lists {symbol} with status {status!r}; its candles stream only while "
                                 "it is 'Trading'")
        self._socket = self._open_socket()
        self._health.connected()
        self._catch_up_due = True  # candles may have closed between the warm-up and the subscription
        self._worker = threading.Thread(target=self._run, name="bybit-candle-feed", daemon=True)
        self._worker.start()

    def next_events(self, timeout_s: float) -> list[FeedEvent]:
        """Every event ready now, waiting up to `timeout_s` for the first; VenueError if the worker died."""
        try:
            first = self._events.get(timeout=timeout_s) if timeout_s > 0 else self._events.get_nowait()
        except queue.Empty:
            if self._failure is not None:
                raise VenueError(f"the Bybit candle feed stopped: {self._failure!r}") from self._failure
            return []
        events = [first]
        while True:
            try:
                events.append(self._events.get_nowait())
            except queue.Empty:
                return events

    @property
    def exhausted(self) -> bool:
        """True once closed or failed and every event has been read."""
        return (self._closed or self._failure is not None) and self._events.empty()

    def health(self) -> FeedHealth:
        return self._health.snapshot(self._clock.now_ms())

    def close(self) -> None:
        """Stop the worker and the connection and wait for their threads; safe to call twice."""
        if self._closed:
            return
        self._closed = True
        self._stop.set()
        self._inbox.put((0, {}))  # wakes the worker at once; it stops without reading it
        worker = self._worker
        if worker is not None and worker is not threading.current_thread():
            worker.join(_JOIN_TIMEOUT_S)
            if worker.is_alive():
                log.error("the Bybit candle feed thread did not stop within %s s", _JOIN_TIMEOUT_S)
        if worker is None:
            self._close_socket()
        self._rest.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()

    # ------------------------------------------------------------------ the worker
    def _open_socket(self) -> KlineSocket:
        topics: dict[str, list[str]] = {}
        for symbol, timeframe in self._streams:
            topics.setdefault(bybit_interval(timeframe), []).append(symbol)
        s = self.settings
        return KlineSocket(s.ws_url, topics, self._receive, ping_interval_s=s.ping_interval_s,
                           ping_timeout_s=s.ping_timeout_s, connect_attempts=s.connect_attempts,
                           subscribe_timeout_s=s.subscribe_timeout_s)

    def _receive(self, message: dict[str, Any]) -> None:
        """pybit's callback, in pybit's thread: never raise there (pybit would drop the connection)."""
        self._inbox.put((self._clock.now_ms(), message))

    def _close_socket(self) -> None:
        socket, self._socket = self._socket, None
        if socket is not None:
            socket.close()

    def _run(self) -> None:
        try:
            while not self._stop.is_set():
                try:
                    received_ms, message = self._inbox.get(timeout=self.settings.poll_s)
                except queue.Empty:
                    pass
                else:
                    if self._stop.is_set():
                        break
                    self._on_message(received_ms, message)
                if not self._stop.is_set():
                    self._supervise()
        except BaseException as exc:  # a bug: stop loudly (next_events raises) rather than go quiet
            log.exception("the Bybit candle feed stopped on an unexpected error")
            self._health.error(f"feed stopped: {exc!r}")
            self._failure = exc
        finally:
            self._close_socket()

    def _on_message(self, received_ms: int, message: dict[str, Any]) -> None:
        stream = self._topics.get(str(message.get("topic")))
        self._health.message(stream, received_ms)
        if stream is None:
            self._health.error(f"push for a topic this feed did not subscribe: {message.get('topic')!r}")
            return
        try:
            pushes = push_candles(message, stream[1])
        except DataError as exc:
            log.warning("dropped a malformed push: %s", exc)
            self._health.bump(stream, rejected=1)
            self._health.error(str(exc))
            return
        for push in pushes:
            if push.confirm:
                self._closed_candle(stream, push.candle, Via.STREAM)
            else:
                self._forming_candle(stream, push.candle)

    def _closed_candle(self, stream: Stream, candle: FeedCandle, via: Via) -> None:
        sequencer = self._sequencers[stream]
        placement = sequencer.place(candle.ts)
        if placement is Placement.DUPLICATE:
            self._health.bump(stream, duplicates=1)
            if candle != sequencer.last:
                self._health.bump(stream, conflicts=1)
                log.warning("%s %s: candle %s arrived again with other values (%s, emitted %s); the first stands",
                            *stream, describe_ts(candle.ts), candle, sequencer.last)
            return
        if placement is Placement.STALE:
            self._health.bump(stream, out_of_order=1)
            return
        if placement is Placement.AFTER_GAP:
            first, last = sequencer.missing_before(candle.ts)
            if not self._fill(stream, first, last):
                return  # closing
        self._emit(stream, candle, via)

    def _forming_candle(self, stream: Stream, candle: FeedCandle) -> None:
        """An update of a candle still open: if it is past a close we never saw, fetch what closed."""
        last = self._sequencers[stream].last_ts
        if last is not None and candle.ts > last + self._steps[stream]:
            self._catch_up(stream, candle.ts - self._steps[stream], force=False)

    def _fill(self, stream: Stream, first: int, last: int) -> bool:
        """Fetch the candles first..last, emit them in order, report what stays missing; False if closing."""
        symbol, timeframe = stream
        step = self._steps[stream]
        wanted = set(range(first, last + 1, step))
        got: dict[int, FeedCandle] = {}
        error: str | None = None
        for attempt in range(1, self.settings.refetch_attempts + 1):
            missing = wanted - got.keys()
            try:
                for candle in self._rest.klines(symbol, timeframe, min(missing), max(missing)):
                    if candle.ts in missing:
                        got[candle.ts] = candle
            except (VenueError, DataError) as exc:
                error = str(exc)
                self._health.error(error)
            if len(got) == len(wanted):
                break
            if attempt < self.settings.refetch_attempts and self._stop.wait(self.settings.refetch_retry_s):
                return False
        run_start: int | None = None
        for ts in range(first, last + 1, step):
            fetched = got.get(ts)
            if fetched is None:
                run_start = ts if run_start is None else run_start
                continue
            if run_start is not None:
                self._report(stream, run_start, ts - step, error)
                run_start = None
            self._emit(stream, fetched, Via.REST)
        if run_start is not None:
            self._report(stream, run_start, last, error)
        return True

    def _catch_up(self, stream: Stream, up_to_ts: int, *, force: bool) -> None:
        """Ask REST for closed candles after the last emitted one up to `up_to_ts` and take them as pushes.

        Candles not there yet are not reported (the exchange may still be closing them); a hole before a
        candle that is there is handled like any gap.
        """
        last = self._sequencers[stream].last_ts
        if last is None or up_to_ts <= last:
            return
        now = self._clock.now_ms()
        previous = self._last_catch_up.get(stream)
        if not force and previous is not None and now - previous < self.settings.catch_up_every_ms:
            return
        self._last_catch_up[stream] = now
        try:
            candles = self._rest.klines(*stream, last + self._steps[stream], up_to_ts)
        except (VenueError, DataError) as exc:
            self._health.error(str(exc))
            return
        for candle in candles:
            self._closed_candle(stream, candle, Via.REST)

    def _emit(self, stream: Stream, candle: FeedCandle, via: Via) -> None:
        self._sequencers[stream].advance(candle)
        self._health.emitted(stream, candle.ts, fetched=via is Via.REST)
        self._events.put(CandleClosed(*stream, candle, via, self._clock.now_ms()))

    def _report(self, stream: Stream, first: int, last: int, error: str | None) -> None:
        attempts = self.settings.refetch_attempts
        reason = f"not served by Bybit REST after {attempts} attempt(s)"
        if error is not None:
            reason += f"; last error: {error}"
        event = GapReported(*stream, first, last, reason, self._clock.now_ms())
        log.warning("%s %s: %d candle(s) missing from %s to %s: %s", *stream, event.count, describe_ts(first),
                    describe_ts(last), reason)
        self._health.bump(stream, gaps_reported=1, missing=event.count)
        self._events.put(event)

    def _supervise(self) -> None:
        """Keep the connection up (with back-off), then catch up on anything missed or late."""
        socket = self._socket
        if socket is None or not socket.link_up():
            if socket is not None:
                log.warning("the Bybit public stream connection was lost; reconnecting")
                self._health.disconnected()
                self._close_socket()
            if self._stop.wait(self._backoff_s):
                return
            try:
                self._socket = self._open_socket()
            except VenueError as exc:
                self._health.error(str(exc))
                log.warning("%s; next attempt in %.1f s", exc, self._backoff_s)
                self._backoff_s = min(self._backoff_s * 2, self.settings.reconnect_max_delay_s)
                return
            self._health.connected()
            self._backoff_s = self.settings.reconnect_delay_s
            self._catch_up_due = True
        for stream in self._streams:
            last = self._sequencers[stream].last_ts
            if last is None:
                continue
            step = self._steps[stream]
            if self._catch_up_due:
                self._catch_up(stream, self._last_closed_open(step), force=True)
            elif self._clock.now_ms() >= last + 2 * step + self.settings.late_after_ms:
                self._catch_up(stream, self._last_closed_open(step), force=False)
        self._catch_up_due = False

    def _last_closed_open(self, step_ms: int) -> int:
        """Open time of the newest candle that has closed by the feed clock."""
        return self._clock.now_ms() // step_ms * step_ms - step_ms
