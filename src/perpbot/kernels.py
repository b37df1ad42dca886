"""The backtest loop's bar-level work: its two scans over a quiet stretch (where the venue would first act, and the
account's equity against the breakers' floors), the equity track's row writes, and a Decimal's float.

`make core` compiles them in C (`_kernels.c`) beside the core; without it (`make pure`) these Python twins run, with the
same results: the same tests, the same IEEE operations in the same order (tests hold the two to each other). The scans
take memoryviews of the candles' float64 arrays and absolute bar indexes; the row writes, the track's typed arrays.
"""

from __future__ import annotations

from array import array
from decimal import Decimal
from typing import Any

_INF = float("inf")


def py_first_hit(high: memoryview[Any], low: memoryview[Any], first: int, last: int, rise_ge: float, rise_gt: float,
                 fall_le: float, fall_lt: float) -> int | None:
    """The first bar in [first, last] whose high reaches `rise_ge` (or passes `rise_gt`) or whose low reaches
    `fall_le` (or passes `fall_lt`), or None. An infinite level (+inf rising, -inf falling) is not in use."""
    use_ge, use_gt, use_le, use_lt = rise_ge != _INF, rise_gt != _INF, fall_le != -_INF, fall_lt != -_INF
    for j in range(first, last + 1):
        h, lo = high[j], low[j]
        if (use_ge and h >= rise_ge) or (use_gt and h > rise_gt) or (use_le and lo <= fall_le) \
                or (use_lt and lo < fall_lt):
            return j
    return None


def py_equity_scan(closes: list[memoryview[Any]], qtys: list[float], costs: list[float], balance: float, first: int,
                   last: int, peak: float, keep: float, daily: float) -> tuple[int, float, int, float]:
    """Walk bars [first, last] of the equity `balance + sum(qty * close - cost)` (added position by position) to the
    first bar below the breakers' floor (the running peak from `peak`, times `keep`, or `daily` if higher).

    Returns (that bar or -1, the highest equity seen and its bar, the equity at the bar it stopped at)."""
    if first > last:
        raise ValueError(f"an empty stretch [{first}, {last}]")
    running, top, top_bar, value = peak, -_INF, first, balance
    for j in range(first, last + 1):
        value = balance
        for series, qty, cost in zip(closes, qtys, costs, strict=True):
            value = value + (qty * series[j] - cost)
        running = max(running, value)
        if value > top:
            top, top_bar = value, j
        if value < max(running * keep, daily):
            return j, top, top_bar, value
    return -1, top, top_bar, value


def py_write_row(bars: array[int], balances: array[float], qty: array[float], signed_cost: array[float], row: int,
                 bar: int, balance: float, qtys: list[float], costs: list[float]) -> None:
    """Write one snapshot of the account into row `row` of the equity track's arrays: its bar and balance, and each
    symbol's qty and signed cost in the rows of `len(qtys)` values of `qty` and `signed_cost`."""
    if len(qtys) != len(costs):
        raise TypeError("qtys and costs must be lists of the same length")
    width = len(qtys)
    bars[row] = bar
    balances[row] = balance
    at = row * width
    for j in range(width):
        qty[at + j] = qtys[j]
        signed_cost[at + j] = costs[j]


def py_decimal_float(value: Decimal) -> float:
    """`float(value)`: the double nearest the decimal. Compiled, most decimals skip float()'s write-and-parse, whose
    slow path a balance's 18 or 20 digits take (about 3,000 instructions)."""
    return float(value)


try:  # the compiled twins, when `make core` built them
    from perpbot import _kernels
except ImportError:  # interpreted core
    _kernels = None  # type: ignore[assignment]

first_hit = _kernels.first_hit if _kernels is not None else py_first_hit
equity_scan = _kernels.equity_scan if _kernels is not None else py_equity_scan
write_row = _kernels.write_row if _kernels is not None else py_write_row
decimal_float = _kernels.decimal_float if _kernels is not None else py_decimal_float
COMPILED = _kernels is not None
