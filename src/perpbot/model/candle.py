"""One closed candle as a value: what feeds deliver and the live runtime keeps in its windows."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Candle:
    """`ts` is the candle's open time in ms (UTC), as everywhere in perpbot; prices and volume as floats."""

    ts: int
    open: float
    high: float
    low: float
    close: float
    volume: float
