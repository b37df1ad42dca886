from __future__ import annotations

import dataclasses
from decimal import Decimal

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from perpbot.model import Instrument
from perpbot.risk._format import decimal_of
from perpbot.risk.sizing import (
    clamp_leverage,
    equity_fraction_qty,
    exchange_check,
    fixed_notional_qty,
    margin_cap_qty,
    price_from_floats,
    quantise_qty,
    risk_qty,
    stop_price,
    take_profit_price,
)

from .book import BTC, DOGE, ETH, D


def test_risk_qty_by_hand() -> None:
    # 10 000 equity, 1 % risk = 100 USDT; stop 500 away -> 0.2 BTC.
    assert risk_qty(D(10_000), D("0.01"), D(500)) == D("0.2")


def test_risk_qty_needs_a_positive_stop_distance() -> None:
    with pytest.raises(ValueError, match="stop distance must be positive, was 0"):
        risk_qty(D(10_000), D("0.01"), D(0))


def test_margin_cap_by_hand() -> None:
    # 20 % of 10 000 as margin = 2 000 USDT; at 2x that buys 4 000 notional = 0.08 BTC at 50 000.
    assert margin_cap_qty(D(10_000), D("0.2"), D(2), D(50_000)) == D("0.08")
    # At 10x the cap is 0.4 BTC, so the 0.2 BTC risk size is not capped.
    assert margin_cap_qty(D(10_000), D("0.2"), D(10), D(50_000)) == D("0.4")


def test_margin_cap_rejects_bad_inputs() -> None:
    with pytest.raises(ValueError, match="price and leverage must be positive"):
        margin_cap_qty(D(10_000), D("0.2"), D(0), D(50_000))


def test_fixed_notional_and_equity_fraction() -> None:
    assert fixed_notional_qty(D(1_000), D(50_000)) == D("0.02")
    assert equity_fraction_qty(D(10_000), D("0.5"), D(2_000)) == D("2.5")
    assert equity_fraction_qty(D(10_000), D(3), D(50_000)) == D("0.6")  # 300 %: leveraged
    with pytest.raises(ValueError, match="price must be positive, was 0"):
        fixed_notional_qty(D(1_000), D(0))


def test_clamp_leverage_to_config_and_exchange() -> None:
    assert clamp_leverage(D(5), D(10), BTC) == D(5)
    assert clamp_leverage(D(25), D(10), BTC) == D(10)
    assert clamp_leverage(D(150), D(200), BTC) == D(100)  # BTC's exchange maximum


def test_quantise_rounds_down_never_up() -> None:
    assert quantise_qty(BTC, D("0.2349999")) == D("0.234")
    assert quantise_qty(BTC, D("0.0009999")) == D("0.000")
    assert quantise_qty(DOGE, D("1234.99")) == D("1234")
    assert quantise_qty(BTC, D(0)) == D("0.000")
    assert quantise_qty(BTC, D(-1)) == D("0.000")


def test_exchange_check() -> None:
    assert exchange_check(BTC, D("0.200"), D(50_000)) is None
    assert exchange_check(BTC, D("0.000"), D(50_000)) == "qty must be positive, was 0.000"
    # 0.001 BTC at 3 000 is 3 USDT: below the 5 USDT minimum notional.
    assert exchange_check(BTC, D("0.001"), D(3_000)) == "notional 3.0000 is below minNotionalValue 5"
    assert exchange_check(ETH, D("0.001"), D(3_000)) == "qty 0.001 is not a multiple of qtyStep 0.01"
    assert exchange_check(BTC, D("501"), D(50_000)) == "qty 501 is above the market order maximum 500"


def test_exchange_check_puts_an_off_tick_price_on_the_tick() -> None:
    assert exchange_check(BTC, D("0.100"), D("50000.03")) is None


def test_stop_rounds_toward_entry() -> None:
    # Long: 50 000 - 123.456 = 49 876.544 -> up to 49 876.6 (closer to entry, never further).
    assert stop_price(BTC, D(50_000), D("123.456"), long=True) == D("49876.6")
    # Short: 50 000 + 123.456 = 50 123.456 -> down to 50 123.4.
    assert stop_price(BTC, D(50_000), D("123.456"), long=False) == D("50123.4")
    # On the tick already: unchanged.
    assert stop_price(BTC, D(50_000), D(500), long=True) == D("49500.0")


def test_take_profit_rounds_toward_entry() -> None:
    assert take_profit_price(BTC, D(50_000), D("123.456"), long=True) == D("50123.4")
    assert take_profit_price(BTC, D(50_000), D("123.456"), long=False) == D("49876.6")


def test_decimal_exactness() -> None:
    qty = risk_qty(D(10_000), D("0.01"), D("333.3"))
    assert isinstance(qty, Decimal)
    assert quantise_qty(BTC, qty) == D("0.300")


# A tick that is no power of ten takes round_price's other path; the float answer must match it too.
HALF_TICK = dataclasses.replace(BTC, tick_size=D("0.5"))
TICK_TEN = dataclasses.replace(BTC, tick_size=D("1E+1"))
INSTRUMENTS = (BTC, ETH, DOGE, HALF_TICK, TICK_TEN)


def exact_offset(instrument: Instrument, ref: float, distance: float, below: bool) -> Decimal:
    """The exact path: the Decimal of the distance's repr, off the entry, rounded toward it on the tick."""
    entry = instrument.price_of(ref)
    if below:
        return stop_price(instrument, entry, decimal_of(distance), long=True)
    return stop_price(instrument, entry, decimal_of(distance), long=False)


@settings(max_examples=400)
@given(st.sampled_from(INSTRUMENTS), st.floats(0.01, 200_000, allow_nan=False), st.floats(1e-9, 50_000), st.booleans())
@example(BTC, 60_000.0, 0.3, True)  # 59999.7: a tick boundary in the exact value; the floats must not decide it
@example(BTC, 60_000.0, 0.3, False)
@example(ETH, 3000.07, 0.02, True)
@example(HALF_TICK, 100.0, 0.5, True)
def test_price_from_floats_is_the_exact_price_or_none(instrument: Instrument, ref: float, distance: float,
                                                      below: bool) -> None:
    quick = price_from_floats(instrument, ref, distance, below=below)
    if quick is None:
        return
    exact = exact_offset(instrument, ref, distance, below)
    assert str(quick) == str(exact)  # same value and exponent


def test_price_from_floats_settles_ordinary_stops() -> None:
    # ATR-like distances off prices on the tick: the floats decide nearly all of them.
    settled = 0
    for i in range(1000):
        ref = 60_000.0 + i * 0.1 * 37 % 5000
        distance = 123.456789 + i * 0.7071
        for below in (True, False):
            quick = price_from_floats(BTC, ref, distance, below=below)
            if quick is not None:
                settled += 1
                assert quick == exact_offset(BTC, ref, distance, below)
    assert settled >= 1990


@pytest.mark.parametrize(("ref", "distance", "below"), [
    (60_000.0, 0.3, True),  # 59999.7 is on the tick: the floats cannot tell which side the exact value is on
    (60_000.0, 100.0, False),
    (1.0, 1.0, True),  # nothing left below
    (1.0, 2.0, True),  # below zero
    (float("nan"), 1.0, True),
    (1e300, 1.0, False),  # too many ticks to count exactly
])
def test_price_from_floats_declines_what_it_cannot_settle(ref: float, distance: float, below: bool) -> None:
    assert price_from_floats(BTC, ref, distance, below=below) is None
