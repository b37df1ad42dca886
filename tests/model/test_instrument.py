import dataclasses
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from perpbot.model.instrument import REFERENCE_INSTRUMENTS

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
