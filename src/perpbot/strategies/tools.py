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
    both = long_entry & short_entry
    entry = long_entry | short_entry
    last_entry = np.maximum.accumulate(np.where(entry, idx, -1))
    has_entry = last_entry >= 0
    safe = np.where(has_entry, last_entry, 0)
    side = np.where(long_entry[safe] & ~both[safe], 1.0, np.where(short_entry[safe] & ~both[safe], -1.0, 0.0))
    last_long_exit = np.maximum.accumulate(np.where(long_exit, idx, -1))
    last_short_exit = np.maximum.accumulate(np.where(short_exit, idx, -1))
    alive = has_entry & (idx - last_entry < max_hold)
    exited = np.where(side > 0, last_long_exit > last_entry, last_short_exit > last_entry)
    return np.where(alive & ~exited, side, 0.0)


def quantize(values: npt.NDArray[np.floating[Any]], step: float = 0.01) -> Array:
    """Round a graded signal to multiples of `step` (sign kept, NaN kept).

    Indicators computed from different window starts agree only to ~1e-12; rounding conviction to a
    coarse grid makes the signal itself identical, except in the vanishing case of a value within
    1e-12 of a rounding boundary. Finer conviction than 1% carries no information anyway.
    """
    inverse = 1.0 / step
    return np.round(np.asarray(values, dtype=np.float64) * inverse) / inverse
