"""Bybit's kline texts into candles, checked exactly before any float is made.

Prices and sizes arrive as decimal strings. They are checked as Decimals (finite, positive prices,
low <= open, close <= high, volume >= 0) and only then turned into float64, the project's candle type:
`float(text)` is the float nearest the decimal, the same float a CSV reader makes of that text.
Anything malformed is a DataError naming the message, the field and the value, and is never emitted.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from perpbot.data.feeds.events import FeedCandle
from perpbot.data.frames import describe_ts
from perpbot.errors import DataError
from perpbot.model.timeframe import bybit_interval, timeframe_ms

_PRICE_FIELDS = ("open", "high", "low", "close")


def kline_topic(symbol: str, timeframe: str) -> str:
    return f"kline.{bybit_interval(timeframe)}.{symbol}"


def _decimal(value: object, field: str, where: str) -> Decimal:
    if not isinstance(value, str):
        raise DataError(f"{where}: {field} is {value!r}; expected a decimal string")
    try:
        number = Decimal(value)
    except InvalidOperation:
        raise DataError(f"{where}: {field} is {value!r}; expected a decimal string") from None
    if not number.is_finite():
        raise DataError(f"{where}: {field} is {value!r}; expected a finite number")
    return number


def _start(value: object, step_ms: int, where: str) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, str)):
        raise DataError(f"{where}: start time is {value!r}; expected whole milliseconds")
    try:
        start = int(value)
    except ValueError:
        raise DataError(f"{where}: start time is {value!r}; expected whole milliseconds") from None
    if start % step_ms:
        raise DataError(f"{where}: start time {describe_ts(start)} is not a candle open time; expected a multiple "
                        f"of {step_ms} ms")
    return start


def _candle(start: int, values: Mapping[str, object], where: str) -> FeedCandle:
    prices = {f: _decimal(values[f], f, where) for f in _PRICE_FIELDS}
    volume = _decimal(values["volume"], "volume", where)
    for field, price in prices.items():
        if price <= 0:
            raise DataError(f"{where}: {field} is {values[field]!r}; expected a positive price")
    body_low = min(prices["open"], prices["close"])
    body_high = max(prices["open"], prices["close"])
    if prices["low"] > body_low or prices["high"] < body_high:
        raise DataError(f"{where}: low {values['low']!r}, open {values['open']!r}, close {values['close']!r}, "
                        f"high {values['high']!r}; expected low <= open, close <= high")
    if volume < 0:
        raise DataError(f"{where}: volume is {values['volume']!r}; expected volume >= 0")
    return FeedCandle(start, float(prices["open"]), float(prices["high"]), float(prices["low"]),
                      float(prices["close"]), float(volume))


def rest_candle(row: object, timeframe: str, where: str) -> FeedCandle:
    """One `/v5/market/kline` list entry: [start, open, high, low, close, volume, turnover] as strings."""
    if not isinstance(row, Sequence) or isinstance(row, str) or len(row) != 7:
        raise DataError(f"{where}: kline row {row!r} is not a list of 7 strings "
                        "(start, open, high, low, close, volume, turnover)")
    start = _start(row[0], timeframe_ms(timeframe), where)
    here = f"{where}, candle {describe_ts(start)}"
    return _candle(start, dict(zip(("open", "high", "low", "close", "volume"), row[1:6], strict=True)), here)


@dataclass(frozen=True, slots=True)
class KlinePush:
    """One entry of a kline push: the candle and whether it has closed (`confirm`)."""

    candle: FeedCandle
    confirm: bool


def push_candles(message: Mapping[str, Any], timeframe: str) -> list[KlinePush]:
    """The candles in one `kline.{interval}.{symbol}` message, checked against the topic's interval."""
    where = f"Bybit push {message.get('topic')!r}"
    data = message.get("data")
    if not isinstance(data, list):
        raise DataError(f"{where}: data is {data!r}; expected a list of kline objects")
    step = timeframe_ms(timeframe)
    interval = bybit_interval(timeframe)
    pushes = []
    for entry in data:
        if not isinstance(entry, Mapping):
            raise DataError(f"{where}: kline entry {entry!r} is not an object")
        missing = [f for f in ("start", "end", "interval", *_PRICE_FIELDS, "volume", "confirm") if f not in entry]
        if missing:
            raise DataError(f"{where}: kline entry lacks {', '.join(missing)}")
        start = _start(entry["start"], step, where)
        here = f"{where}, candle {describe_ts(start)}"
        if str(entry["interval"]) != interval:
            raise DataError(f"{here}: interval is {entry['interval']!r}; the topic says {interval!r}")
        end = entry["end"]
        if isinstance(end, bool) or not isinstance(end, int) or end != start + step - 1:
            raise DataError(f"{here}: end is {end!r}; expected {start + step - 1} (start + {step} ms - 1)")
        if not isinstance(entry["confirm"], bool):
            raise DataError(f"{here}: confirm is {entry['confirm']!r}; expected true or false")
        pushes.append(KlinePush(_candle(start, entry, here), entry["confirm"]))
    return pushes
