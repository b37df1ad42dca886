"""`BybitTestServer`: a Bybit v5 look-alike on 127.0.0.1, run in a background thread and driven by a test.

    with BybitTestServer(clock=clock) as server:
        server.load_candles("BTCUSDT", "5", frame)
        session.endpoint = server.rest_url               # pybit HTTP
        ...server.ws_public_url...                       # pybit WebSocket (see docs/bybit.md)
        server.publish_candle("BTCUSDT", "5", row, confirm=True)

Intervals are Bybit's codes ("1", "5", "60", "D"), as on the wire. Besides market state, the test can inject
faults: repeated pushes (`copies`), pushes out of order (publish an older row), candles the stream never
pushes (`load_candles` only: a gap the client must re-fetch), late pushes (`delay_s`), and dropped
connections (`drop_connections`).
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Coroutine, Mapping
from concurrent.futures import Future
from types import TracebackType
from typing import Any, Self, TypeVar

import pandas as pd
from aiohttp import web

from perpbot.model.instrument import REFERENCE_INSTRUMENTS, Instrument
from perpbot.venues.bybit.testserver.app import PUBLIC_LINEAR_PATH, LoggedRequest, RequestLog, build_app
from perpbot.venues.bybit.testserver.candles import KlineRow, decimal_text, interval_ms, kline_row
from perpbot.venues.bybit.testserver.market_routes import register_market_routes
from perpbot.venues.bybit.testserver.public_ws import PublicHub
from perpbot.venues.bybit.testserver.router import Router
from perpbot.venues.bybit.testserver.state import Clock, ExchangeState, FundingRow, WallClock

_T = TypeVar("_T")
_CALL_TIMEOUT_S = 10.0
_SHUTDOWN_TIMEOUT_S = 2.0


class BybitTestServer:
    """Public REST and the public linear WebSocket on one ephemeral loopback port."""

    def __init__(self, *, instruments: Mapping[str, Instrument] | None = None, clock: Clock | None = None,
                 ack_delay_s: float = 0.05, host: str = "127.0.0.1", port: int = 0) -> None:
        self.state = ExchangeState(instruments if instruments is not None else REFERENCE_INSTRUMENTS,
                                   clock or WallClock())
        self.router = Router()
        register_market_routes(self.router)
        self.requests = RequestLog()
        self._hub = PublicHub(self.state, ack_delay_s=ack_delay_s)
        self._host = host
        self._port = port
        self._loop: asyncio.AbstractEventLoop | None = None
        self._runner: web.AppRunner | None = None
        self._thread: threading.Thread | None = None
        self._ready = threading.Event()
        self._startup_error: BaseException | None = None
        self._delayed: set[Future[int]] = set()

    # ------------------------------------------------------------------ lifecycle
    def start(self) -> Self:
        if self._thread is not None:
            raise RuntimeError("the test server is already started")
        self._thread = threading.Thread(target=self._serve, name="bybit-test-server", daemon=True)
        self._thread.start()
        if not self._ready.wait(_CALL_TIMEOUT_S):
            raise RuntimeError(f"the test server did not start within {_CALL_TIMEOUT_S} s")
        if self._startup_error is not None:
            self._thread.join()
            raise RuntimeError(f"the test server could not start on {self._host}:{self._port}: "
                               f"{self._startup_error}") from self._startup_error
        return self

    def stop(self) -> None:
        """Close every connection, stop listening and end the server thread."""
        loop, thread = self._loop, self._thread
        if loop is None or thread is None or not thread.is_alive():
            return
        for future in list(self._delayed):
            future.cancel()
        if self._runner is not None:
            asyncio.run_coroutine_threadsafe(self._runner.cleanup(), loop).result(_CALL_TIMEOUT_S)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(_CALL_TIMEOUT_S)

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop()

    def _serve(self) -> None:
        loop = asyncio.new_event_loop()
        self._loop = loop
        asyncio.set_event_loop(loop)
        try:
            loop.run_until_complete(self._listen())
        except BaseException as exc:  # reported to start(), which raises it in the caller's thread
            self._startup_error = exc
            self._ready.set()
            loop.close()
            return
        self._ready.set()
        try:
            loop.run_forever()
        finally:
            pending = [t for t in asyncio.all_tasks(loop) if not t.done()]
            for task in pending:
                task.cancel()
            if pending:
                loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
            loop.close()

    async def _listen(self) -> None:
        app = build_app(self.state, self.router, self._hub, self.requests)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=_SHUTDOWN_TIMEOUT_S)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self._host, self._port)
        await site.start()
        server = getattr(site, "_server", None)
        sockets = getattr(server, "sockets", None) or []
        if not sockets:
            raise RuntimeError("the listening socket is not known")
        self._port = int(sockets[0].getsockname()[1])

    def _call(self, coro: Coroutine[Any, Any, _T]) -> _T:
        if self._loop is None or self._thread is None or not self._thread.is_alive():
            coro.close()
            raise RuntimeError("the test server is not running; use it as a context manager or call start()")
        return asyncio.run_coroutine_threadsafe(coro, self._loop).result(_CALL_TIMEOUT_S)

    # ------------------------------------------------------------------ addresses
    @property
    def port(self) -> int:
        return self._port

    @property
    def rest_url(self) -> str:
        """The REST base, as pybit's `HTTP.endpoint` wants it (no trailing slash)."""
        return f"http://{self._host}:{self._port}"

    @property
    def ws_public_url(self) -> str:
        return f"ws://{self._host}:{self._port}{PUBLIC_LINEAR_PATH}"

    # ------------------------------------------------------------------ market state
    def load_candles(self, symbol: str, interval: str, frame: pd.DataFrame) -> int:
        """Record candles for REST without pushing them (history, or candles the stream will skip)."""
        step = interval_ms(interval)
        rows = [kline_row(record, step) for record in frame.to_dict("records")]
        with self.state.lock:
            self.state.market.put_candles(symbol, interval, rows)
        return len(rows)

    def load_funding(self, symbol: str, frame: pd.DataFrame) -> int:
        """Record settled funding rates (columns ts, rate) for `/v5/market/funding/history` and tickers."""
        missing = [c for c in ("ts", "rate") if c not in frame.columns]
        if missing:
            raise ValueError(f"a funding frame needs columns ts and rate; missing {', '.join(missing)}")
        rows = [FundingRow(int(ts), decimal_text(rate)) for ts, rate in zip(frame["ts"], frame["rate"], strict=True)]
        with self.state.lock:
            self.state.market.put_funding(symbol, rows)
        return len(rows)

    def publish_candle(self, symbol: str, interval: str, row: Mapping[str, Any] | pd.Series, *, confirm: bool = True,
                       copies: int = 1, delay_s: float = 0.0, record: bool = True) -> int:
        """Push one `kline.{interval}.{symbol}` update; returns how many connections are subscribed to it.

        `confirm` False is an in-progress update, True the closing one. The candle is recorded for REST at
        once (unless `record` is False: a push the exchange itself has no record of), even when the push is
        delayed by `delay_s` seconds; `copies` sends the same frame several times.
        """
        if copies < 1:
            raise ValueError(f"copies must be at least 1, was {copies}")
        if delay_s < 0:
            raise ValueError(f"delay_s must be >= 0, was {delay_s}")
        step = interval_ms(interval)
        kline = kline_row(row, step)
        with self.state.lock:
            self.state.market.require_symbol(symbol)
            if record:
                self.state.market.put_candles(symbol, interval, [kline])
            now = self.state.now_ms()
        topic = f"kline.{interval}.{symbol}"
        payload = _kline_message(topic, kline, interval, step, confirm, now)
        if delay_s == 0:
            return self._call(self._hub.push(topic, payload, copies))
        receivers = self._hub.subscribers(topic)
        if self._loop is None:
            raise RuntimeError("the test server is not running")
        future = asyncio.run_coroutine_threadsafe(self._push_later(topic, payload, copies, delay_s), self._loop)
        self._delayed.add(future)
        future.add_done_callback(self._delayed.discard)
        return receivers

    async def _push_later(self, topic: str, payload: dict[str, Any], copies: int, delay_s: float) -> int:
        await asyncio.sleep(delay_s)
        return await self._hub.push(topic, payload, copies)

    # ------------------------------------------------------------------ connections
    def drop_connections(self, *, abrupt: bool = False) -> int:
        """Close every public WebSocket: with a close frame, or (abrupt) by cutting the TCP connection."""
        return self._call(self._hub.drop_all(abrupt=abrupt))

    def subscribers(self, topic: str) -> int:
        return self._hub.subscribers(topic)

    @property
    def connections_opened(self) -> int:
        """Public WebSocket connections accepted since the start (a reconnect adds one)."""
        return self._hub.connections_opened

    def wait_for_subscribers(self, topic: str, count: int = 1, timeout_s: float = 5.0) -> None:
        """Block until `count` connections have an acknowledged subscription to `topic`."""
        if not self._hub.wait(lambda hub: hub.subscribers(topic) >= count, timeout_s):
            raise TimeoutError(f"{topic}: {self._hub.subscribers(topic)} subscriber(s) after {timeout_s} s, "
                               f"expected {count}")

    def wait_for_connections(self, count: int, timeout_s: float = 5.0) -> None:
        if not self._hub.wait(lambda hub: hub.connections_opened >= count, timeout_s):
            raise TimeoutError(f"{self._hub.connections_opened} public connection(s) opened after {timeout_s} s, "
                               f"expected {count}")

    def rest_calls(self, path: str | None = None) -> list[LoggedRequest]:
        return self.requests.entries(path)


def _kline_message(topic: str, kline: KlineRow, interval: str, step_ms: int, confirm: bool,
                   now_ms: int) -> dict[str, Any]:
    return {"topic": topic, "data": [kline.push(interval, step_ms, confirm=confirm, now_ms=now_ms)], "ts": now_ms,
            "type": "snapshot"}
