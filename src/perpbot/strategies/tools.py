"""Vectorised building blocks for strategies whose signal is a held state, and for graded signals."""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt

from perpbot.indicators.ta import Array

BoolArray = npt.NDArray[np.bool_]

__all__ = ["hold_state", "quantize"]


def hold_state(
    long_entry: BoolArray,
    short_entry: BoolArray,
    long_exit: BoolArray,
    short_exit: BoolArray,
    max_hold: int,
) -> Array:
    """The position an entry/exit event stream implies, as +1 / 0 / -1 per row, without a Python loop.

    Row t is long when the most recent entry event was a long entry, it happened fewer than
    `max_hold` rows ago (a new entry the same way restarts the count), and no long exit came after
    it; likewise short. An entry beats an exit on the same row; long and short entries on the same
    row cancel out (flat). Because the state looks back at most `max_hold` rows, a window of
    `max_hold` + (lookback of the event conditions) rows reproduces it exactly: that bound is what
    makes a held state safe to compute on a rolling window.
    """
    if max_hold < 1:
        raise ValueError(f"max_hold must be >= 1, was {max_hold}")
    n = long_entry.size
    idx: npt.NDArray[np.signedinteger[Any]] = np.arange(n, dtype=np.int32 if n < 2**31 - 1 else np.int64)

    def last_true(mask: BoolArray) -> npt.NDArray[np.signedinteger[Any]]:
        """Index of the most recent True at or before each row, -1 before the first."""
        out = np.where(mask, idx, -1)
        np.maximum.accumulate(out, out=out)
        return out

    # +1 long entry, -1 short entry, 0 none or both (both cancel: the row still ends any earlier trade)
    wanted = long_entry.astype(np.int8) - short_entry.astype(np.int8)
    last_entry = last_true(long_entry | short_entry)
    side = wanted[np.maximum(last_entry, 0)]
    alive = (last_entry >= 0) & (idx - last_entry < max_hold)
    exited = np.where(side > 0, last_true(long_exit) > last_entry, last_true(short_exit) > last_entry)
    return np.where(alive & ~exited, side, 0).astype(np.float64)


def quantize(values: npt.NDArray[np.floating[Any]], step: float = 0.01) -> Array:
    """Round a graded signal to multiples of `step` (sign kept, NaN kept).

    Indicators computed from different window starts agree only to ~1e-12; rounding conviction to a
    coarse grid makes the signal itself identical, except in the vanishing case of a value within
    1e-12 of a rounding boundary. Finer conviction than 1% carries no information anyway.
    """
    inverse = 1.0 / step
    return np.round(np.asarray(values, dtype=np.float64) * inverse) / inverse
