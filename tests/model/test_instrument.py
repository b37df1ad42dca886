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
