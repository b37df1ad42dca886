"""The loop's account snapshots: rows written by index into arrays that grow, read back as columns."""

from __future__ import annotations

import numpy as np

from perpbot.engine.backtest import EquityTrack


def test_snapshots_come_back_as_columns_with_the_last_of_each_bar() -> None:
    track = EquityTrack(2)
    track.record(0, 100.0, [0.0, 0.0], [0.0, 0.0])
    track.record(3, 99.5, [1.5, 0.0], [150.0, 0.0])
    track.record(3, 99.0, [1.5, -2.0], [150.0, -40.0])  # the same bar again: replaces its row
    track.record(7, 101.0, [0.0, -2.0], [0.0, -40.0])
    bars, balances, qty, cost = track.columns()
    assert bars.tolist() == [0, 3, 7]
    assert balances.tolist() == [100.0, 99.0, 101.0]
    assert qty.tolist() == [[0.0, 0.0], [1.5, -2.0], [0.0, -2.0]]
    assert cost.tolist() == [[0.0, 0.0], [150.0, -40.0], [0.0, -40.0]]


def test_the_arrays_grow_as_snapshots_come() -> None:
    track = EquityTrack(3)
    rows = 10_000  # past the first allocation of 4,096 rows and the growth after it
    for bar in range(rows):
        value = float(bar)
        track.record(bar, value, [value, -value, 0.5], [2 * value, 0.0, -value])
    bars, balances, qty, cost = track.columns()
    assert track.count == rows and track.capacity >= rows
    assert np.array_equal(bars, np.arange(rows))
    assert np.array_equal(balances, np.arange(rows, dtype=float))
    assert qty.shape == cost.shape == (rows, 3)
    assert np.array_equal(qty[:, 1], -np.arange(rows, dtype=float)) and np.array_equal(cost[:, 2], qty[:, 1])


def test_no_snapshot_gives_empty_columns() -> None:
    bars, balances, qty, cost = EquityTrack(1).columns()
    assert len(bars) == len(balances) == 0 and qty.shape == cost.shape == (0, 1)
