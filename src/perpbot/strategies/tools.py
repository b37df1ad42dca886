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
    idx = np.arange(n)
    # Index of the latest entry at or before each row; before the first one a sentinel far enough back
    # that the row is never alive (row - sentinel > max_hold), which saves a separate "seen" mask.
    last_entry = np.where(long_entry | short_entry, idx, -max_hold - 1)
    np.maximum.accumulate(last_entry, out=last_entry)
    # +1 long entry, -1 short entry, 0 none or both (both cancel: the row still ends any earlier trade).
    side = (long_entry.astype(np.int8) - short_entry.astype(np.int8))[np.maximum(last_entry, 0)]
    # Every row after an entry holds that entry's side, so "an exit of the side held came after the
    # entry" is "the latest row with an exit of the side held then is after the entry".
    last_exit = np.where(np.where(side > 0, long_exit, short_exit), idx, -1)
    np.maximum.accumulate(last_exit, out=last_exit)
    alive = (idx - last_entry < max_hold) & (last_exit <= last_entry)
    out: Array = np.where(alive, side, 0.0)
    return out


def quantize(values: npt.NDArray[np.floating[Any]], step: float = 0.01) -> Array:
    """Round a graded signal to multiples of `step` (sign kept, NaN kept).

    Indicators computed from different window starts agree only to ~1e-12; rounding conviction to a
    coarse grid makes the signal itself identical, except in the vanishing case of a value within
    1e-12 of a rounding boundary. Finer conviction than 1% carries no information anyway.
    """
    inverse = 1.0 / step
    return np.round(np.asarray(values, dtype=np.float64) * inverse) / inverse
