"""One connection of pybit's public linear WebSocket, subscribed to kline topics, and its clean shutdown.

pybit builds the stream URL in its constructor from module globals and connects at once. Patching the
global (`pybit.unified_trading.PUBLIC_WSS`, the documented way) would redirect every pybit WebSocket in the
process, so a subclass overrides the one method that receives the URL instead; the path must stay
`/v5/public/linear`. pybit's own reconnect is switched off (`restart_on_error=False`): the feed owns
reconnection, so there is one place that counts it, backs off, and re-fetches what was missed.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from pybit.unified_trading import WebSocket

from perpbot.errors import VenueError

BYBIT_PUBLIC_WS_URL = "wss://stream.bybit.com/v5/public/linear"
_JOIN_TIMEOUT_S = 5.0


class _RoutedWebSocket(WebSocket):  # type: ignore[misc]  # pybit ships no type hints
    """pybit's WebSocket connected to the URL given to this instance."""

    def __init__(self, url: str, **kwargs: Any) -> None:
        self._perpbot_url = url
        self._perpbot_abandoned = False
        super().__init__(channel_type="linear", **kwargs)

    def _connect(self, url: str) -> None:
        super()._connect(self._perpbot_url)  # pybit passes its template URL; use ours

    def is_connected(self) -> bool:
        # pybit's subscribe() polls this with no time limit while the link is down. Once abandoned, answer
        # True so that the poll ends and the send fails (WebSocketConnectionClosedException) instead of hanging.
        return self._perpbot_abandoned or bool(super().is_connected())

    def link_up(self) -> bool:
        return not self._perpbot_abandoned and bool(super().is_connected())

    def abandon(self) -> None:
        self._perpbot_abandoned = True


class KlineSocket:
    """A connected, subscribed pybit WebSocket; `close()` stops it and waits for its threads."""

    def __init__(self, url: str, topics: Mapping[str, Sequence[str]], on_message: Callable[[dict[str, Any]], None],
                 *, ping_interval_s: float, ping_timeout_s: float, connect_attempts: int,
                 subscribe_timeout_s: float) -> None:
        """`topics` maps a Bybit interval ("5", "60") to its symbols; `on_message` runs in pybit's thread."""
        if not ping_timeout_s < ping_interval_s:
            raise ValueError(f"ping_timeout_s must be below ping_interval_s, was {ping_timeout_s} >= {ping_interval_s}")
        self.url = url
        try:
            # pybit counts the attempt that connects as a failure when it is the last one allowed, hence + 1.
            self._ws = _RoutedWebSocket(url, testnet=False, ping_interval=ping_interval_s,
                                        ping_timeout=ping_timeout_s, retries=connect_attempts + 1,
                                        restart_on_error=False)
        except Exception as exc:
            raise VenueError(f"cannot connect to the Bybit public stream at {url}: {exc}") from None
        watchdog = threading.Timer(subscribe_timeout_s, self._ws.abandon)
        watchdog.daemon = True
        watchdog.start()
        try:
            for interval, symbols in topics.items():
                self._ws.kline_stream(interval, list(symbols), on_message)
        except Exception as exc:
            self.close()
            raise VenueError(f"cannot subscribe to kline topics at {url}: {exc}") from None
        finally:
            watchdog.cancel()
            watchdog.join()

    def link_up(self) -> bool:
        return bool(self._ws.link_up())

    def close(self) -> None:
        """Close the connection and wait for pybit's reader and keep-alive threads to end."""
        ws = self._ws
        ws.abandon()
        reader: threading.Thread | None = getattr(ws, "wst", None)
        pinger: threading.Timer | None = getattr(ws, "custom_ping_timer", None)
        # pybit's exit() closes the socket's file descriptor while the reader thread may be about to wait on it
        # in epoll; a closed descriptor leaves epoll and the reader then sleeps until its ping timeout (seen:
        # 10 s, threads left behind). So shut the socket down first (the reader wakes, sees the end of the
        # stream and finishes), wait for the reader, and only then let pybit close what is left.
        core = getattr(getattr(ws, "ws", None), "sock", None)
        if core is not None:
            ws.exited = True  # what exit() sets first; without it pybit logs our own shutdown as an ERROR
            core.abort()
        current = threading.current_thread()
        if reader is not None and reader is not current:
            reader.join(_JOIN_TIMEOUT_S)
        ws.exit()
        if pinger is not None and pinger is not current:
            pinger.join(_JOIN_TIMEOUT_S)
