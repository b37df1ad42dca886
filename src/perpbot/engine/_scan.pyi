"""Types of the compiled bar scans (`_scan.c`); `perpbot.engine.scans` documents them."""

from typing import Any

def first_hit(high: memoryview[Any], low: memoryview[Any], first: int, last: int, rise_ge: float, rise_gt: float,
              fall_le: float, fall_lt: float) -> int | None: ...
def equity_scan(closes: list[memoryview[Any]], qtys: list[float], costs: list[float], balance: float, first: int,
                last: int, peak: float, keep: float, daily: float) -> tuple[int, float, int, float]: ...
