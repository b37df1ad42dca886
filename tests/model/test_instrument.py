import dataclasses
import math
from decimal import Decimal, localcontext

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from perpbot.model import instrument as instrument_module
from perpbot.model.instrument import REFERENCE_INSTRUMENTS, float_decimal, shared_decimal

BTC = REFERENCE_INSTRUMENTS["BTCUSDT"]


def test_rounding_is_exact_and_on_the_grid() -> None:
    assert BTC.round_price(50000.05) == Decimal("50000.0")
    assert BTC.price_ceiling(50000.01) == Decimal("50000.1")
    assert BTC.price_floor(Decimal("50000.19")) == Decimal("50000.1")
    assert BTC.round_qty(0.0019) == Decimal("0.001")
    assert BTC.format_qty(Decimal("0.1")) == "0.100"
    assert BTC.format_price(Decimal("5E+4")) == "50000.0"


def test_filters_name_the_problem() -> None:
    bigger_min = dataclasses.replace(BTC, min_qty=Decimal("0.005"))
    assert "below minOrderQty" in (bigger_min.check_order(Decimal("0.002"), Decimal(50000), market=True,
                                                          reduce_only=False) or "")
    assert "not a multiple of qtyStep" in (BTC.check_order(Decimal("0.0015"), Decimal(50000), market=True,
                                                           reduce_only=False) or "")
    assert "minNotionalValue" in (BTC.check_order(Decimal("0.001"), Decimal(1000), market=True,
                                                  reduce_only=False) or "")
    # reduce-only orders may close a remainder below the minimum notional
    assert BTC.check_order(Decimal("0.001"), Decimal(1000), market=True, reduce_only=True) is None
    assert "market order maximum" in (BTC.check_order(Decimal(600), Decimal(1), market=True,
                                                      reduce_only=False) or "")


@given(st.floats(min_value=0.001, max_value=1e6, allow_nan=False))
def test_round_qty_never_rounds_up(qty: float) -> None:
    rounded = BTC.round_qty(qty)
    assert rounded <= Decimal(repr(qty))
    assert rounded % BTC.qty_step == 0
    assert Decimal(repr(qty)) - rounded < BTC.qty_step


_MODES = ["ROUND_HALF_EVEN", "ROUND_FLOOR", "ROUND_CEILING", "ROUND_DOWN"]


@given(st.decimals(min_value=Decimal("-1e9"), max_value=Decimal("1e9"), allow_nan=False, places=12),
       st.sampled_from(["0.1", "0.01", "0.0001", "1", "1E+1", "0.10", "0.5", "0.25", "0.005", "2.5"]),
       st.sampled_from(_MODES))
def test_rounding_equals_counting_whole_ticks_for_every_kind_of_tick(value: Decimal, tick: str, mode: str) -> None:
    # A tick that is a single 1 in a decimal place is rounded to with one quantize; every tick must give what
    # counting whole ticks gives, exponent included (0.10 counts in steps of 0.1, written to two places).
    import decimal

    size = Decimal(tick)
    instrument = dataclasses.replace(BTC, tick_size=size, qty_step=size)
    rounding = getattr(decimal, mode)
    expected = ((value / size).to_integral_value(rounding=rounding) * size).quantize(size)
    got = instrument.round_price(value, rounding)
    assert got == expected and str(got) == str(expected)
    down = ((value / size).to_integral_value(rounding=decimal.ROUND_DOWN) * size).quantize(size)
    assert str(instrument.round_qty(value)) == str(down)


# ---------------------------------------------------------------------- floats as the decimals they were written as
def _as_written(value: float) -> tuple[int, tuple[int, ...], int | str]:
    return Decimal(repr(value)).as_tuple()


@settings(max_examples=3000, deadline=None)
@given(count=st.integers(-(10**16), 10**16), places=st.integers(0, 14), hint=st.integers(0, 14))
def test_a_decimal_written_as_a_float_comes_back_as_its_repr(count: int, places: int, hint: int) -> None:
    """Prices as candles hold them: a whole count of some decimal place, read with any places hint (right, too
    few, too many). Same sign, digits and exponent as `Decimal(repr(x))`, 16-digit counts included."""
    value = float(Decimal(count).scaleb(-places))
    assert float_decimal(value, hint).as_tuple() == _as_written(value)


@settings(max_examples=3000, deadline=None)
@given(value=st.floats(allow_nan=False, allow_infinity=False), hint=st.integers(0, 14))
def test_any_float_comes_back_as_its_repr(value: float, hint: int) -> None:
    assert float_decimal(value, hint).as_tuple() == _as_written(value)


@pytest.mark.parametrize("value", [0.1 + 0.2, 1e-4, 9.99e-5, -1e-4, 123.0, -0.0, 0.0, 5e-324, 999999999999999.9,
                                   1e15, 1e16, 60000.1, 0.30000000000000004, 2.675, 1.005, 0.5, -42.125])
@pytest.mark.parametrize("hint", [0, 1, 2, 3, 8, 12, 13])
def test_float_decimal_at_the_edges(value: float, hint: int) -> None:
    assert float_decimal(value, hint).as_tuple() == _as_written(value)


@settings(max_examples=300, deadline=None)
@given(values=st.lists(st.sampled_from([60000.1, 60000.1, -0.0, 0.0, 1.005, 3000.25, float("nan")]), max_size=12),
       hints=st.lists(st.integers(0, 3), min_size=12, max_size=12))
def test_float_decimal_asked_again_gives_the_same_answer(values: list[float], hints: list[int]) -> None:
    # The last answer is reused for the same float and places: any sequence, repeats included, comes back as
    # each value's repr; zero is never reused (0.0 and -0.0 are equal floats with different texts).
    for value, hint in zip(values, hints, strict=False):
        got = float_decimal(value, hint)
        assert got.is_nan() if math.isnan(value) else got.as_tuple() == _as_written(value)


def test_float_decimal_reuses_its_last_answer_for_the_same_float() -> None:
    first = float_decimal(61234.5, 1)
    assert float_decimal(61234.5, 1) is first
    assert float_decimal(61234.5, 2) == first  # another hint: converted again, the same number
    assert str(float_decimal(-0.0, 1)) == "-0.0" and str(float_decimal(0.0, 1)) == "0.0"


def test_float_decimal_is_exact_in_any_context_of_16_digits() -> None:
    with localcontext() as context:
        context.prec = 16
        assert str(float_decimal(9999999999.99999, 5)) == "9999999999.99999"
        assert str(float_decimal(60123.0, 2)) == "60123.0"


def test_price_of_reads_at_the_ticks_places() -> None:
    assert BTC.price_of(50000.1) == Decimal("50000.1") and str(BTC.price_of(50000.0)) == "50000.0"
    coarse = dataclasses.replace(BTC, tick_size=Decimal("10"))
    assert str(coarse.price_of(50010.0)) == "50010.0" and str(coarse.price_of(50010.25)) == "50010.25"


@given(st.decimals(allow_nan=False, allow_infinity=False), st.integers(-12, 4))
def test_a_shared_decimal_is_the_same_decimal_in_every_respect(value: Decimal, shift: int) -> None:
    again = Decimal(str(value))  # an equal Decimal made apart from it
    first, second = shared_decimal(value), shared_decimal(again)
    assert second is first
    assert str(first) == str(value) and first.as_tuple() == value.as_tuple()
    rescaled = value.scaleb(shift).scaleb(-shift)  # equal in value, maybe not in exponent or sign of zero
    shared = shared_decimal(rescaled)
    assert shared.as_tuple() == rescaled.as_tuple()  # never an equal value written another way


def test_the_pool_of_shared_decimals_stays_bounded() -> None:
    limit = instrument_module._SHARED_LIMIT
    made = [Decimal(n).scaleb(-9) for n in range(7_000_000, 7_000_000 + limit + 10)]  # none seen before
    kept = [shared_decimal(d) for d in made]
    assert len(instrument_module._SHARED) <= limit
    assert [str(d) for d in kept] == [str(d) for d in made]
    assert str(shared_decimal(Decimal("0.000"))) == "0.000" and str(shared_decimal(Decimal("-0.000"))) == "-0.000"


@settings(max_examples=500, deadline=None)
@given(st.integers(-3, 2_000_000), st.integers(-3, 3_000_000), st.booleans(), st.booleans(),
       st.sampled_from(["BTCUSDT", "DOGEUSDT", "SOLUSDT"]), st.integers(-3, 2_000_000))
def test_a_check_told_what_passes_is_the_whole_check(steps: int, ticks: int, market: bool, reduce_only: bool,
                                                     symbol: str, other_steps: int) -> None:
    # `check_order_knowing` skips the tick test of a price round_price made, and the quantity's own rules when the
    # same qty passed them before (with any price): neither can fail there, so every answer (each rule's text
    # included) is check_order's.
    ins = REFERENCE_INSTRUMENTS[symbol]
    qty, price = ins.qty_step * steps, ins.round_price(ins.tick_size * ticks)
    whole = ins.check_order(qty, price, market=market, reduce_only=reduce_only)
    assert ins.check_order_knowing(qty, price, market, reduce_only, False, True) == whole
    if ins.check_order(qty, ins.tick_size * other_steps, market=market, reduce_only=True) is None:
        assert ins.check_order_knowing(qty, price, market, reduce_only, True, True) == whole
        assert ins.check_order_knowing(qty, price, market, reduce_only, True, False) == whole


@settings(max_examples=3000, deadline=None)
@given(st.one_of(st.integers(-(10**16), 10**16).flatmap(
           lambda count: st.integers(0, 14).map(lambda places: float(Decimal(count).scaleb(-places)))),
       st.floats(min_value=-1e17, max_value=1e17, allow_nan=False)),
       st.sampled_from(["0.1", "0.01", "0.00001", "1E-12", "1E-13", "1", "1E+1", "0.10", "0.5", "0.25"]))
def test_a_price_on_the_tick_is_round_price_of_price_of(value: float, tick: str) -> None:
    # Counted in ticks at once when the float is a whole count of them; the same Decimal, exponent included.
    import decimal

    instrument = dataclasses.replace(BTC, tick_size=Decimal(tick))
    try:
        expected = instrument.round_price(instrument.price_of(value))
    except decimal.InvalidOperation:  # more digits than the context holds: so does the count, and it says so too
        with pytest.raises(decimal.InvalidOperation):
            instrument.price_on_tick(value)
        return
    got = instrument.price_on_tick(value)
    assert got == expected and got.as_tuple() == expected.as_tuple()
