"""Position sizing as pure functions on exact Decimals.

Percentages arrive here already as fractions (1 % -> 0.01): the manager converts its config once.
Quantities are raw until `quantise_qty`, which rounds DOWN to the step: sizing never rounds up into
more risk or past a cap, and a size that falls below the exchange minimum is rejected, not raised.
"""

from __future__ import annotations

from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal
from typing import Final

from perpbot.model import Instrument

ZERO: Final = Decimal(0)


def risk_qty(equity: Decimal, risk_fraction: Decimal, stop_distance: Decimal) -> Decimal:
    """Quantity whose loss at the stop is `equity * risk_fraction`: risk amount / stop distance."""
    if stop_distance <= ZERO:
        raise ValueError(f"stop distance must be positive, was {stop_distance}")
    return equity * risk_fraction / stop_distance


def fixed_notional_qty(notional: Decimal, price: Decimal) -> Decimal:
    """Quantity worth `notional` USDT at `price`."""
    if price <= ZERO:
        raise ValueError(f"price must be positive, was {price}")
    return notional / price


def equity_fraction_qty(equity: Decimal, fraction: Decimal, price: Decimal) -> Decimal:
    """Quantity whose notional is `fraction` of equity (a fraction above 1 uses leverage)."""
    return fixed_notional_qty(equity * fraction, price)


def margin_cap_qty(equity: Decimal, max_margin_fraction: Decimal, leverage: Decimal, price: Decimal) -> Decimal:
    """The largest quantity whose initial margin `qty * price / leverage` is within `max_margin_fraction` of equity."""
    if price <= ZERO or leverage <= ZERO:
        raise ValueError(f"price and leverage must be positive, were {price} and {leverage}")
    return equity * max_margin_fraction * leverage / price


def clamp_leverage(configured: Decimal, max_leverage: Decimal, instrument: Instrument) -> Decimal:
    """The leverage actually allowed: the configured one, at most the config's and the exchange's maximum."""
    return min(configured, max_leverage, instrument.max_leverage)


def quantise_qty(instrument: Instrument, qty: Decimal) -> Decimal:
    """Round down to the instrument's qty step (never up: rounding up would exceed the budget or a cap)."""
    if qty <= ZERO:
        return ZERO.quantize(instrument.qty_step)
    return instrument.round_qty(qty)


def exchange_check(instrument: Instrument, qty: Decimal, price: Decimal) -> str | None:
    """Why Bybit would refuse a market entry of `qty` at about `price` (min qty, min notional, max market qty)."""
    return instrument.check_order(qty, instrument.round_price(price), market=True, reduce_only=False)


def stop_price(instrument: Instrument, entry: Decimal, distance: Decimal, *, long: bool) -> Decimal:
    """The stop `distance` away from entry, on the tick, rounded TOWARD entry.

    Toward entry means the stop is never further than the strategy asked, so the loss per unit at
    the stop never grows by rounding. The quantity is then sized from the distance of this rounded
    stop, so the loss at the stop stays within the budget exactly.
    """
    if long:
        return instrument.round_price(entry - distance, ROUND_CEILING)
    return instrument.round_price(entry + distance, ROUND_FLOOR)


def take_profit_price(instrument: Instrument, entry: Decimal, distance: Decimal, *, long: bool) -> Decimal:
    """The take-profit `distance` away from entry, on the tick, rounded toward entry (taken no later than asked)."""
    if long:
        return instrument.round_price(entry + distance, ROUND_FLOOR)
    return instrument.round_price(entry - distance, ROUND_CEILING)
