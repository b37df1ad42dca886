"""The bar scans: the compiled C kernels and their Python twins find the same bars and the same floats."""

from __future__ import annotations

import math
from decimal import Decimal
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from perpbot import kernels

needs_kernels = pytest.mark.skipif(not kernels.COMPILED, reason="the C scans are built by `make core`")
_INF = math.inf
prices = st.floats(min_value=0.01, max_value=1e6, allow_nan=False, allow_infinity=False)


def _view(values: list[float]) -> memoryview[Any]:
    data: memoryview[Any] = np.asarray(values, dtype=np.float64).data
    return data


def test_first_hit_finds_the_first_bar_reaching_a_level() -> None:
    high, low = _view([10, 11, 12, 13]), _view([9, 10, 11, 12])
    assert kernels.py_first_hit(high, low, 0, 3, 12, _INF, -_INF, -_INF) == 2  # high >= 12
    assert kernels.py_first_hit(high, low, 0, 3, _INF, 12, -_INF, -_INF) == 3  # high > 12
    assert kernels.py_first_hit(high, low, 1, 3, _INF, _INF, 10, -_INF) == 1  # low <= 10
    assert kernels.py_first_hit(high, low, 1, 3, _INF, _INF, -_INF, 10) is None  # low < 10 never after bar 0
    assert kernels.py_first_hit(high, low, 0, 3, _INF, _INF, -_INF, -_INF) is None  # no level in use


def test_equity_scan_stops_at_the_first_bar_under_the_floor() -> None:
    closes = _view([100, 104, 101, 95, 90])
    # long 1 at cost 100 on a balance of 1000: equity 1004, 1001, 995, 990 over bars 1-4
    args = ([closes], [1.0], [100.0], 1000.0, 1, 4, 1000.0)
    # the floor: 0.99 x the peak of 1004 (993.96), above the daily 990; 995 passes, 990 does not
    assert kernels.py_equity_scan(*args, 0.99, 990.0) == (4, 1004.0, 1, 990.0)
    assert kernels.py_equity_scan(*args, 0.992, 0.0) == (3, 1004.0, 1, 995.0)  # 995 < 0.992 x 1004
    assert kernels.py_equity_scan(*args, 0.5, 1002.0) == (2, 1004.0, 1, 1001.0)  # the daily floor is higher
    assert kernels.py_equity_scan(*args, 0.5, 0.0) == (-1, 1004.0, 1, 990.0)  # none: the last bar's equity


@needs_kernels
@settings(max_examples=300, deadline=None)
@given(bars=st.lists(st.tuples(prices, prices), min_size=1, max_size=60), data=st.data())
def test_the_compiled_first_hit_is_its_python_twin(bars: list[tuple[float, float]], data: st.DataObject) -> None:
    high = _view([max(a, b) for a, b in bars])
    low = _view([min(a, b) for a, b in bars])
    first = data.draw(st.integers(0, len(bars) - 1))
    last = data.draw(st.integers(first, len(bars) - 1))
    levels = [data.draw(st.one_of(st.just(_INF), prices)) for _ in range(2)]
    levels += [data.draw(st.one_of(st.just(-_INF), prices)) for _ in range(2)]
    assert kernels.first_hit(high, low, first, last, *levels) == kernels.py_first_hit(high, low, first, last, *levels)


@needs_kernels
@settings(max_examples=300, deadline=None)
@given(count=st.integers(0, 3), bars=st.integers(1, 50), data=st.data())
def test_the_compiled_equity_scan_is_its_python_twin(count: int, bars: int, data: st.DataObject) -> None:
    closes = [_view(data.draw(st.lists(prices, min_size=bars, max_size=bars))) for _ in range(count)]
    qtys = [data.draw(st.floats(-50, 50, allow_nan=False)) for _ in range(count)]
    costs = [data.draw(st.floats(-1e6, 1e6, allow_nan=False)) for _ in range(count)]
    balance = data.draw(st.floats(1, 1e7, allow_nan=False))
    first = data.draw(st.integers(0, bars - 1))
    last = data.draw(st.integers(first, bars - 1))
    peak = data.draw(st.floats(0, 1e7, allow_nan=False))
    keep = data.draw(st.floats(0, 1, allow_nan=False))
    daily = data.draw(st.floats(0, 1e7, allow_nan=False))
    args = (closes, qtys, costs, balance, first, last, peak, keep, daily)
    compiled, twin = kernels.equity_scan(*args), kernels.py_equity_scan(*args)
    assert compiled[0] == twin[0] and compiled[2] == twin[2]
    assert [x.hex() for x in (compiled[1], compiled[3])] == [x.hex() for x in (twin[1], twin[3])]  # to the bit


@needs_kernels
def test_the_compiled_scans_refuse_bad_input_by_name() -> None:
    ints: memoryview[Any] = np.arange(4, dtype=np.int64).data
    floats = _view([1.0, 2.0, 3.0, 4.0])
    with pytest.raises(TypeError, match="high must be a 1-D float64 buffer"):
        kernels.first_hit(ints, floats, 0, 3, 1.0, _INF, -_INF, -_INF)
    with pytest.raises(IndexError, match=r"bars \[0, 9\] outside a series of 4 bars"):
        kernels.first_hit(floats, floats, 0, 9, 1.0, _INF, -_INF, -_INF)
    with pytest.raises(ValueError, match="same length"):
        kernels.equity_scan([floats], [1.0, 2.0], [0.0], 1.0, 0, 3, 1.0, 0.5, 0.0)
    with pytest.raises(ValueError, match=r"an empty stretch \[3, 2\]"):
        kernels.equity_scan([floats], [1.0], [0.0], 1.0, 3, 2, 1.0, 0.5, 0.0)


def test_write_row_fills_one_snapshot_row() -> None:
    from array import array

    bars, balances = array("q", bytes(8 * 2)), array("d", bytes(8 * 2))
    qty, cost = array("d", bytes(8 * 6)), array("d", bytes(8 * 6))
    for write in (kernels.write_row, kernels.py_write_row):
        write(bars, balances, qty, cost, 1, 42, 100.5, [1.0, -2.0, 0.0], [10.0, -20.0, 0.0])
        assert (list(bars), list(balances)) == ([0, 42], [0.0, 100.5])
        assert (list(qty), list(cost)) == ([0.0] * 3 + [1.0, -2.0, 0.0], [0.0] * 3 + [10.0, -20.0, 0.0])


@needs_kernels
def test_the_compiled_write_row_refuses_a_row_outside_the_arrays_and_wrong_buffers() -> None:
    from array import array

    bars, balances, qty = array("q", bytes(8)), array("d", bytes(8)), array("d", bytes(8))
    with pytest.raises(IndexError, match="row 1 of width 1 is outside"):
        kernels.write_row(bars, balances, qty, qty, 1, 0, 0.0, [0.0], [0.0])
    with pytest.raises(TypeError, match="bars must be a writable 1-D buffer of format q"):
        kernels.write_row(balances, balances, qty, qty, 0, 0, 0.0, [0.0], [0.0])


@needs_kernels
@settings(max_examples=2000, deadline=None)
@given(value=st.one_of(
    st.decimals(allow_nan=True, allow_infinity=True),
    st.builds(lambda count, places: Decimal(count).scaleb(-places), st.integers(-(10**21), 10**21), st.integers(0, 30)),
))
def test_the_compiled_decimal_float_is_float(value: Decimal) -> None:
    if value.is_snan():
        with pytest.raises(ValueError):
            kernels.decimal_float(value)
        return
    got, expected = kernels.decimal_float(value), float(value)
    assert got.hex() == expected.hex() or (math.isnan(got) and math.isnan(expected))


@needs_kernels
def test_the_compiled_decimal_float_rounds_midpoints_between_doubles_as_float_does() -> None:
    # 2**53 + 1 lies halfway between two doubles: ties go to the even one, after a 64-bit rounding too
    for text in ("9007199254740993", "9007199254740995", "-9007199254740993", "18014398509481986.0", "0.1", "-0"):
        assert kernels.decimal_float(Decimal(text)).hex() == float(Decimal(text)).hex(), text
    for low in (2.0**53, 2.0**60 + 2**8, 123456789.0):
        high = math.nextafter(low, math.inf)
        middle = (Decimal(low) + Decimal(high)) / 2
        assert kernels.decimal_float(middle) == float(middle)
