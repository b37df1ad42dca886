"""Clocks are injected: the core never reads the time itself, so a backtest is a replay of the same code."""

from __future__ import annotations

import time
from typing import Protocol


class Clock(Protocol):
    def now_ms(self) -> int: ...


class SimulatedClock:
    """A clock the backtest moves from event to event."""

    __slots__ = ("_now",)

    def __init__(self, start_ms: int = 0) -> None:
        self._now = start_ms

    def now_ms(self) -> int:
        return self._now

    def advance_to(self, ts_ms: int) -> None:
        if ts_ms < self._now:
            raise ValueError(f"a simulated clock cannot go back: now {self._now}, asked {ts_ms}")
        self._now = ts_ms


class WallClock:
    """Real time, for paper and live trading."""

    __slots__ = ()

    def now_ms(self) -> int:
        return time.time_ns() // 1_000_000
