"""Knobs of the live Bybit candle feed: where it connects and how patient it is."""

from __future__ import annotations

from dataclasses import dataclass

from perpbot.data.feeds.bybit_rest import BYBIT_REST_URL
from perpbot.data.feeds.bybit_socket import BYBIT_PUBLIC_WS_URL


@dataclass(frozen=True, slots=True)
class FeedSettings:
    """Defaults are for real Bybit; tests point both URLs at the loopback server and shorten the waits.

    Times in `_ms` are on the feed's injected clock (what counts as late); times in `_s` are real waits of the
    feed's own thread (back-off, retries, socket timeouts).
    """

    rest_url: str = BYBIT_REST_URL
    ws_url: str = BYBIT_PUBLIC_WS_URL
    late_after_ms: int = 10_000  # a closed candle not here this long after its close makes the stream late
    catch_up_every_ms: int = 5_000  # a late stream asks REST for its missed candles at most this often
    refetch_attempts: int = 3  # REST attempts to fill a gap before reporting it
    refetch_retry_s: float = 1.0  # wait between those attempts (the exchange may not have the candle yet)
    reconnect_delay_s: float = 1.0  # first wait after a lost connection; doubles up to the maximum
    reconnect_max_delay_s: float = 30.0
    connect_attempts: int = 1  # attempts per reconnect round (pybit's `retries`)
    subscribe_timeout_s: float = 10.0
    ping_interval_s: float = 20.0  # pybit's keep-alive: protocol pings and {"op": "ping"}
    ping_timeout_s: float = 10.0
    rest_timeout_s: float = 10.0
    rest_attempts: int = 3  # pybit's `max_retries` (total attempts for retryable retCodes)
    rest_retry_delay_s: float = 3.0
    poll_s: float = 0.05  # how often the feed's thread checks the connection and lateness when idle

    def __post_init__(self) -> None:
        for name in ("late_after_ms", "catch_up_every_ms"):
            if getattr(self, name) < 0:
                raise ValueError(f"{name} must be >= 0 ms, was {getattr(self, name)}")
        for name in ("refetch_attempts", "connect_attempts", "rest_attempts"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be at least 1, was {getattr(self, name)}")
        for name in ("refetch_retry_s", "reconnect_delay_s", "rest_retry_delay_s"):
            if getattr(self, name) < 0:
                raise ValueError(f"{name} must be >= 0 s, was {getattr(self, name)}")
        for name in ("subscribe_timeout_s", "ping_interval_s", "ping_timeout_s", "rest_timeout_s", "poll_s"):
            if getattr(self, name) <= 0:
                raise ValueError(f"{name} must be > 0 s, was {getattr(self, name)}")
        if self.reconnect_max_delay_s < self.reconnect_delay_s:
            raise ValueError(f"reconnect_max_delay_s must be >= reconnect_delay_s ({self.reconnect_delay_s}), "
                             f"was {self.reconnect_max_delay_s}")
        if self.ping_timeout_s >= self.ping_interval_s:
            raise ValueError(f"ping_timeout_s must be below ping_interval_s ({self.ping_interval_s}), "
                             f"was {self.ping_timeout_s}")
        for name in ("rest_url", "ws_url"):
            url = getattr(self, name)
            if not isinstance(url, str) or "://" not in url:
                raise ValueError(f"{name} must be a URL such as https://api.bybit.com, was {url!r}")
        if not self.ws_url.rstrip("/").endswith("/v5/public/linear"):
            raise ValueError(f"ws_url must end in /v5/public/linear (pybit checks the path), was {self.ws_url!r}")
