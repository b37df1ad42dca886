"""The backtest loop's two bar scans over a quiet stretch: where the venue would first act, and the account's equity
against the breakers' floors.

`make core` compiles them in C (`_scan.c`) beside the core; without it (`make pure`) these Python twins run, with the
same results: the same tests, the same IEEE operations in the same order (tests hold the two to each other). Either
takes memoryviews of the candles' float64 arrays and absolute bar indexes.
"""

from __future__ import annotations

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


try:  # the compiled twins, when `make core` built them
    from perpbot.engine import _scan
except ImportError:  # interpreted core
    _scan = None  # type: ignore[assignment]

first_hit = _scan.first_hit if _scan is not None else py_first_hit
equity_scan = _scan.equity_scan if _scan is not None else py_equity_scan
COMPILED = _scan is not None
