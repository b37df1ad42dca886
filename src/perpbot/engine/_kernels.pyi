"""Types of the compiled loop kernels (`_kernels.c`); `perpbot.engine.kernels` documents them."""

from array import array
from typing import Any

def first_hit(high: memoryview[Any], low: memoryview[Any], first: int, last: int, rise_ge: float, rise_gt: float,
              fall_le: float, fall_lt: float) -> int | None: ...
def equity_scan(closes: list[memoryview[Any]], qtys: list[float], costs: list[float], balance: float, first: int,
                last: int, peak: float, keep: float, daily: float) -> tuple[int, float, int, float]: ...
def write_row(bars: array[int], balances: array[float], qty: array[float], signed_cost: array[float], row: int,
              bar: int, balance: float, qtys: list[float], costs: list[float]) -> None: ...
