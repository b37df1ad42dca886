"""Public Bybit REST through pybit's HTTP: closed candles over a time range, and settled funding rates.

No keys: `/v5/market/*` is public and pybit sends it unsigned. The base URL is Bybit's by default and any
other (the loopback test server) is set on the session's `endpoint`, which pybit reads on every call.
A range longer than Bybit's 1000-candle page is split into requests whose ranges each hold at most one
page, so the answer does not depend on which end of an over-long range the exchange would keep.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import requests
from pybit.exceptions import FailedRequestError, InvalidRequestError
from pybit.unified_trading import HTTP

from perpbot.data.feeds.bybit_parse import rest_candle
from perpbot.data.feeds.events import FeedCandle
from perpbot.data.frames import describe_ts
from perpbot.errors import DataError, VenueError
from perpbot.model.timeframe import bybit_interval, timeframe_ms

BYBIT_REST_URL = "https://api.bybit.com"
KLINE_PAGE = 1000  # Bybit's largest `limit` for /v5/market/kline


def pages(start_ts: int, end_ts: int, step_ms: int, page: int = KLINE_PAGE) -> Iterator[tuple[int, int, int]]:
    """(start, end, limit) requests covering the open times start_ts..end_ts, each at most `page` candles."""
    chunk_start = start_ts
    while chunk_start <= end_ts:
        chunk_end = min(chunk_start + (page - 1) * step_ms, end_ts)
        yield chunk_start, chunk_end, (chunk_end - chunk_start) // step_ms + 1
        chunk_start = chunk_end + step_ms


class BybitMarketClient:
    """Thread-safe wrapper of one pybit HTTP session for the public market endpoints."""

    def __init__(self, rest_url: str = BYBIT_REST_URL, *, timeout_s: float = 10.0, max_retries: int = 3,
                 retry_delay_s: float = 3.0) -> None:
        if max_retries < 1:
            raise ValueError(f"max_retries counts attempts and must be at least 1, was {max_retries}")
        self.rest_url = rest_url.rstrip("/")
        self._session = HTTP(testnet=False, timeout=timeout_s, max_retries=max_retries, retry_delay=retry_delay_s)
        self._session.endpoint = self.rest_url
        self._lock = threading.Lock()  # one requests.Session, used from the caller's and the feed's thread

    def close(self) -> None:
        with self._lock:
            self._session.client.close()

    def _get(self, method: str, what: str, **params: Any) -> dict[str, Any]:
        call = getattr(self._session, method)
        try:
            with self._lock:
                response = call(**params)
        except InvalidRequestError as exc:
            raise VenueError(f"Bybit refused {what}: retCode {exc.status_code} {exc.message!r}") from None
        except FailedRequestError as exc:
            raise VenueError(f"Bybit request {what} failed: HTTP status {exc.status_code}: {exc.message}") from None
        except requests.RequestException as exc:
            raise VenueError(f"cannot reach Bybit at {self.rest_url} for {what}: {exc}") from None
        result = response.get("result") if isinstance(response, dict) else None
        if not isinstance(result, dict) or not isinstance(result.get("list"), list):
            raise DataError(f"Bybit answered {what} without a result list: {str(response)[:300]}")
        return result

    def klines(self, symbol: str, timeframe: str, start_ts: int, end_ts: int) -> list[FeedCandle]:
        """Candles with start_ts <= open time <= end_ts that the exchange has, oldest first.

        Whether they are closed is the caller's business (the exchange also returns the forming candle
        when the range reaches it). Rows outside the range asked for, or repeated, are a DataError.
        """
        step = timeframe_ms(timeframe)
        interval = bybit_interval(timeframe)
        found: dict[int, FeedCandle] = {}
        for chunk_start, chunk_end, limit in pages(start_ts, end_ts, step):
            what = (f"GET /v5/market/kline {symbol} {timeframe} [{describe_ts(chunk_start)}, "
                    f"{describe_ts(chunk_end)}]")
            result = self._get("get_kline", what, category="linear", symbol=symbol, interval=interval,
                               start=chunk_start, end=chunk_end, limit=limit)
            for row in result["list"]:
                candle = rest_candle(row, timeframe, what)
                if not chunk_start <= candle.ts <= chunk_end:
                    raise DataError(f"{what}: the answer holds a candle at {describe_ts(candle.ts)}, outside the "
                                    "range asked for")
                if candle.ts in found:
                    raise DataError(f"{what}: the answer holds the candle at {describe_ts(candle.ts)} twice")
                found[candle.ts] = candle
        return [found[ts] for ts in sorted(found)]

    def instrument_status(self, symbol: str) -> str:
        """The symbol's trading status ("Trading", "PreLaunch", "Settling", ...); VenueError if it is not listed."""
        what = f"GET /v5/market/instruments-info {symbol}"
        rows = self._get("get_instruments_info", what, category="linear", symbol=symbol)["list"]
        match = [r for r in rows if isinstance(r, dict) and r.get("symbol") == symbol]
        if not match:
            raise VenueError(f"Bybit does not list the linear perpetual {symbol}")
        return str(match[0].get("status"))

    def funding_rate(self, symbol: str, ts: int) -> Decimal | None:
        """The rate settled at exactly `ts` (ms), as the exchange's decimal text; None if it has none (yet)."""
        what = f"GET /v5/market/funding/history {symbol} at {describe_ts(ts)}"
        result = self._get("get_funding_rate_history", what, category="linear", symbol=symbol, startTime=ts,
                           endTime=ts, limit=1)
        for row in result["list"]:
            if not isinstance(row, dict) or str(row.get("fundingRateTimestamp")) != str(ts):
                continue
            text = row.get("fundingRate")
            try:
                rate = Decimal(text) if isinstance(text, str) else None
            except ArithmeticError:
                rate = None
            if rate is None or not rate.is_finite():
                raise DataError(f"{what}: fundingRate is {text!r}; expected a decimal string")
            return rate
        return None
