"""Candles as the server keeps and sends them: decimal text exactly as Bybit writes prices, per interval.

The project's frames hold float64; each value is written as the shortest decimal that reads back as the
same float (what `repr` gives), without exponent, so a client parsing the text gets the frame's float back
bit for bit.
"""

from __future__ import annotations

import bisect
import itertools
import math
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import numpy as np
import pandas as pd

from perpbot.model.timeframe import timeframe_from_bybit, timeframe_ms

# Every kline interval Bybit accepts; W and M are valid requests, but this server holds no weekly or
# monthly candles (a month has no fixed length in milliseconds).
BYBIT_INTERVALS: tuple[str, ...] = ("1", "3", "5", "15", "30", "60", "120", "240", "360", "720", "D", "W", "M")
_WEEK_MS = 7 * 86_400_000


def interval_ms(interval: str) -> int:
    """Length of one candle of a Bybit interval the server can hold; ValueError names the accepted codes."""
    if interval == "W":
        return _WEEK_MS
    try:
        return timeframe_ms(timeframe_from_bybit(interval))
    except ValueError:
        held = ", ".join(i for i in BYBIT_INTERVALS if i != "M")
        raise ValueError(f"Bybit interval must be one of {held} (monthly candles are not held), was {interval!r}")\
            from None


def decimal_text(value: object) -> str:
    """A number as Bybit writes it: plain decimal, no exponent, no trailing zeros, exact for a float's repr."""
    if isinstance(value, str):
        number = Decimal(value)
    elif isinstance(value, (float, np.floating)):
        if not math.isfinite(float(value)):
            raise ValueError(f"a price or size must be finite, was {value!r}")
        text = repr(float(value))
        if "e" not in text:  # the common case, without the cost of a Decimal: "42000.0" -> "42000"
            text = text[:-2] if text.endswith(".0") else text
            return "0" if text == "-0" else text
        number = Decimal(text)
    elif isinstance(value, (int, np.integer, Decimal)):
        number = Decimal(int(value)) if isinstance(value, np.integer) else Decimal(value)
    else:
        raise ValueError(f"expected a number, was {value!r} ({type(value).__name__})")
    if not number.is_finite():
        raise ValueError(f"a price or size must be finite, was {value!r}")
    text = format(number.normalize(), "f")
    return "0" if text in ("-0", "0") else text


@dataclass(frozen=True, slots=True)
class KlineRow:
    """One candle in Bybit's text form; `start` is the candle's open time in ms."""

    start: int
    open: str
    high: str
    low: str
    close: str
    volume: str
    turnover: str

    def rest(self) -> list[str]:
        """The 7-string array of `/v5/market/kline`: start, open, high, low, close, volume, turnover."""
        return [str(self.start), self.open, self.high, self.low, self.close, self.volume, self.turnover]

    def push(self, interval: str, step_ms: int, *, confirm: bool, now_ms: int) -> dict[str, Any]:
        """The `data[]` entry of a `kline.{interval}.{symbol}` push; `end` is the candle's last millisecond."""
        return {
            "start": self.start,
            "end": self.start + step_ms - 1,
            "interval": interval,
            "open": self.open,
            "close": self.close,
            "high": self.high,
            "low": self.low,
            "volume": self.volume,
            "turnover": self.turnover,
            "confirm": confirm,
            "timestamp": now_ms,
        }


def kline_row(row: Mapping[Any, Any] | pd.Series, step_ms: int) -> KlineRow:
    """A candle (frame row or mapping: ts, open, high, low, close, volume, optional turnover) as text.

    Frames carry no turnover; without one it is volume × close, a stand-in (real turnover sums price × size
    over the trades), which no perpbot component reads.
    """
    missing = [c for c in ("ts", "open", "high", "low", "close", "volume") if c not in row]
    if missing:
        raise ValueError(f"a candle needs ts, open, high, low, close and volume; missing {', '.join(missing)}")
    ts = row["ts"]
    if isinstance(ts, (float, np.floating)) and float(ts).is_integer():
        ts = int(ts)
    if not isinstance(ts, (int, np.integer)) or isinstance(ts, bool):
        raise ValueError(f"ts must be whole milliseconds (the candle's open time), was {ts!r}")
    start = int(ts)
    if start % step_ms:
        raise ValueError(f"ts {start} is not a candle open time: expected a multiple of {step_ms} ms")
    texts = {c: decimal_text(row[c]) for c in ("open", "high", "low", "close", "volume")}
    turnover = row.get("turnover") if hasattr(row, "get") else None
    if turnover is None or (isinstance(turnover, float) and math.isnan(turnover)):
        turnover_text = decimal_text(Decimal(texts["volume"]) * Decimal(texts["close"]))
    else:
        turnover_text = decimal_text(turnover)
    return KlineRow(start, texts["open"], texts["high"], texts["low"], texts["close"], texts["volume"],
                    turnover_text)


class CandleSeries:
    """The candles of one (symbol, interval), kept sorted by open time; a repeated time replaces the row."""

    __slots__ = ("_rows", "_starts", "step_ms")

    def __init__(self, step_ms: int) -> None:
        self.step_ms = step_ms
        self._starts: list[int] = []
        self._rows: list[KlineRow] = []

    def __len__(self) -> int:
        return len(self._rows)

    def extend(self, rows: list[KlineRow]) -> None:
        """Add rows, appending in bulk when they all come after the last one held and in order."""
        starts = [r.start for r in rows]
        in_order = all(a < b for a, b in itertools.pairwise(starts))
        if in_order and rows and (not self._starts or starts[0] > self._starts[-1]):
            self._starts.extend(starts)
            self._rows.extend(rows)
            return
        for row in rows:
            self.upsert(row)

    def upsert(self, row: KlineRow) -> None:
        i = bisect.bisect_left(self._starts, row.start)
        if i < len(self._starts) and self._starts[i] == row.start:
            self._rows[i] = row
        else:
            self._starts.insert(i, row.start)
            self._rows.insert(i, row)

    def latest(self) -> KlineRow | None:
        return self._rows[-1] if self._rows else None

    def between(self, start: int | None, end: int | None) -> list[KlineRow]:
        """Rows with start <= open time <= end (both inclusive, either optional), oldest first."""
        lo = 0 if start is None else bisect.bisect_left(self._starts, start)
        hi = len(self._starts) if end is None else bisect.bisect_right(self._starts, end)
        return self._rows[lo:hi] if lo < hi else []

    def query(self, start: int | None, end: int | None, limit: int) -> list[KlineRow]:
        """What `/v5/market/kline` returns, newest first.

        With an end (or no bound) the newest `limit` rows up to it; with only a start the oldest `limit`
        rows from it (Bybit answers `start=<early>&limit=1` with the first candle it has).
        """
        rows = self.between(start, end)
        chosen = rows[:limit] if start is not None and end is None else rows[-limit:]
        return chosen[::-1]
