"""Correlation gate: do not stack the same exposure twice through two highly correlated symbols.

Returns are aligned on their most recent end (both series come from the same execution timeframe
and end at the last closed bar), cut to the shorter length, and pairs with a non-finite value are
dropped. Too few points, or a series that does not move, cannot support a verdict: the check passes
with a note saying so.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final, cast

import numpy as np

from perpbot.risk._format import finite

_ADD_REDUCE: Final = np.add.reduce
_CONTIGUOUS: Final = np.ascontiguousarray
_EMPTY: Final = np.empty
_MULTIPLY: Final = np.multiply


@dataclass(slots=True, init=False, unsafe_hash=True)
class CorrelationResult:
    """The verdict against one open position."""

    other: Final[str]
    correlation: Final[float | None]  # None when it could not be measured
    points: Final[int]
    passed: Final[bool]
    detail: Final[str]

    def __init__(self, other: str, correlation: float | None, points: int, passed: bool, detail: str) -> None:
        self.other = other
        self.correlation = correlation
        self.points = points
        self.passed = passed
        self.detail = detail


def pearson(a: np.ndarray, b: np.ndarray, min_points: int) -> tuple[float | None, int]:
    """Pearson correlation of the aligned tails of `a` and `b` and the number of points used.

    None when fewer than `min_points` finite pairs exist or either series is constant.
    """
    n = min(len(a), len(b))
    if n < min_points:
        return None, n
    x = np.asarray(a[len(a) - n:], dtype=np.float64)
    y = np.asarray(b[len(b) - n:], dtype=np.float64)
    sxx = float((x * x).sum())
    syy = float((y * y).sum())
    if not finite(sxx + syy):  # a NaN or inf somewhere: drop those pairs (the rare, slower path)
        both = np.isfinite(x) & np.isfinite(y)
        x, y = x[both], y[both]
        n = len(x)
        if n < min_points:
            return None, n
        sxx, syy = float((x * x).sum()), float((y * y).sum())
    return _from_sums(n, float(x.sum()), float(y.sum()), sxx, syy, float((x * y).sum())), n


def pearson_many(a: np.ndarray, others: Sequence[np.ndarray], min_points: int) -> list[tuple[float | None, int]]:
    """`[pearson(a, b, min_points) for b in others]`, bit for bit. Series of one length are measured together
    (`pearson_rows`); series of other lengths take the pair-by-pair path."""
    n = len(a)
    if len(others) < 2 or n < min_points or any(len(b) != n for b in others):
        return [pearson(a, b, min_points) for b in others]
    return pearson_rows(np.stack([np.asarray(a, dtype=np.float64), *[np.asarray(b, dtype=np.float64) for b in others]]),
                        min_points)


@dataclass(slots=True, init=False)
class WindowSums:
    """What Pearson correlations of series 0 against each later one are made of, for `n` aligned points: each
    series' sum and sum of squares, and the sum of its products with series 0 (numpy's sums of each row)."""

    n: Final[int]
    sums: Final[list[float]]
    squares: Final[list[float]]
    cross: Final[list[float]]

    def __init__(self, n: int, sums: list[float], squares: list[float], cross: list[float]) -> None:
        self.n = n
        self.sums = sums
        self.squares = squares
        self.cross = cross


def block_sums(rows: np.ndarray) -> WindowSums:
    """The `WindowSums` of the rows of a 2-D block of equally long series. The rows, their squares and their
    products with row 0 are the planes of one block reduced by one call: each row is reduced as its own 1-D sum
    is (numpy sums a contiguous row pairwise either way), so the bits are the same, and a decision makes half
    the numpy calls a reduction of each made. (Compiled, the numpy functions are module constants, and `out` is
    passed by position: reading a module's attribute is a dictionary lookup, and a keyword costs an argument
    parse.)"""
    count, n = rows.shape
    block = _CONTIGUOUS(rows, np.float64)
    terms = _EMPTY((3, count, n))
    terms[0] = block
    _MULTIPLY(block, block, terms[1])
    if count:
        _MULTIPLY(block, block[0], terms[2])
    planes = cast("list[list[float]]", _ADD_REDUCE(terms, 2).tolist())
    return WindowSums(n, planes[0], planes[1], planes[2])


def from_window_sums(window: WindowSums, min_points: int) -> list[tuple[float | None, int]] | None:
    """Series 0 against each later one: `pearson(series[0], series[i])`, bit for bit, or None when a sum is not
    finite (a NaN or inf among the returns: then `pearson` must drop those pairs, pair by pair)."""
    count, n = len(window.sums), window.n
    if count < 2:
        return []
    if n < min_points:
        return [(None, n)] * (count - 1)
    squares = window.squares
    for value in squares:
        if not finite(value):
            return None
    sums, cross = window.sums, window.cross
    sx, sxx = sums[0], squares[0]
    return [(_from_sums(n, sx, sums[i], sxx, squares[i], cross[i]), n) for i in range(1, count)]


def pearson_rows(rows: np.ndarray, min_points: int) -> list[tuple[float | None, int]]:
    """Row 0 of a 2-D block of equally long series against each later row: `pearson(rows[0], rows[i])`, bit
    for bit, with the sums of all rows taken together (`block_sums`)."""
    count, n = rows.shape
    if count < 2:
        return []
    if n < min_points:
        return [(None, n)] * (count - 1)
    measured = from_window_sums(block_sums(rows), min_points)
    if measured is None:
        return [pearson(rows[0], rows[i], min_points) for i in range(1, count)]
    return measured


def stack_equal(series: Sequence[np.ndarray]) -> np.ndarray | None:
    """The series as the rows of one 2-D block when they are equally long (what `pearson_rows` takes), else None."""
    if not series or any(len(s) != len(series[0]) for s in series):
        return None
    return np.stack([np.asarray(s, dtype=np.float64) for s in series])


def _from_sums(n: int, sx: float, sy: float, sxx: float, syy: float, sxy: float) -> float | None:
    # Centred sums from raw ones: returns have means far below their spread, so this is well conditioned.
    var_x = sxx - sx * sx / n
    var_y = syy - sy * sy / n
    cov = sxy - sx * sy / n
    # Treat a variance at rounding-noise level as a constant series: it has no correlation to measure.
    if var_x <= 1e-12 * sxx or var_y <= 1e-12 * syy or var_x <= 0 or var_y <= 0:
        return None
    spread = math.sqrt(var_x * var_y)
    if spread == 0.0:  # both variances positive but so small (subnormal) that their product underflows
        return None
    value = cov / spread
    return max(-1.0, min(1.0, value))


def check_pair(
    symbol: str,
    direction: int,
    new_returns: np.ndarray,
    other: str,
    other_direction: int,
    other_returns: np.ndarray,
    max_correlation: float,
    min_points: int,
) -> CorrelationResult:
    """Measure the pair (`pearson`) and judge it (`judge_pair`)."""
    corr, points = pearson(new_returns, other_returns, min_points)
    return judge_pair(symbol, direction, other, other_direction, corr, points, max_correlation, min_points)


def repeats_exposure(direction: int, other_direction: int, corr: float | None, max_correlation: float) -> bool:
    """`judge_pair`'s verdict without its text: is a position in `direction` the same bet as the open one in
    `other_direction`, at correlation `corr` (None: not measured, which passes)?"""
    if corr is None:
        return False
    if direction * other_direction > 0:
        return corr > max_correlation
    return corr < -max_correlation


def judge_pair(symbol: str, direction: int, other: str, other_direction: int, corr: float | None, points: int,
               max_correlation: float, min_points: int) -> CorrelationResult:
    """Reject when the new position would repeat the other's exposure, given the pair's measured correlation.

    Same side with correlation above `max_correlation`, or opposite sides with correlation below
    `-max_correlation`, is the same bet twice. A correlation that could not be measured passes, with a note.
    """
    if corr is None:
        return CorrelationResult(
            other, None, points, True,
            f"{symbol} vs {other}: not measured ({points} aligned returns, need {min_points}, "
            f"or a series is constant); passed",
        )
    # Numbers with a format spec go through format() inside the f-string: compiled, a spec in the placeholder
    # itself calls str.format for the whole string, twice as slow (this runs for every open position).
    if not repeats_exposure(direction, other_direction, corr, max_correlation):
        return CorrelationResult(
            other, corr, points, True, f"{symbol} vs {other}: correlation {format(corr, '.3f')} over {points} returns"
        )
    if direction * other_direction > 0:
        why = f"same side as the open {other} position"
    else:
        why = f"opposite side of the open {other} position with negative correlation, i.e. the same exposure"
    return CorrelationResult(
        other, corr, points, False,
        f"{symbol} is correlated with {other} at {format(corr, '.3f')} over {points} returns "
        f"(limit {format(max_correlation, 'g')}), "
        f"{why}",
    )
