from __future__ import annotations

from decimal import Decimal

import pytest

from perpbot.risk.sizing import (
    clamp_leverage,
    equity_fraction_qty,
    exchange_check,
    fixed_notional_qty,
    margin_cap_qty,
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
