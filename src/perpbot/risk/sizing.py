"""Position sizing as pure functions on exact Decimals.

Percentages arrive here already as fractions (1 % -> 0.01): the manager converts its config once.
Quantities are raw until `quantise_qty`, which rounds DOWN to the step: sizing never rounds up into
more risk or past a cap, and a size that falls below the exchange minimum is rejected, not raised.
"""

from __future__ import annotations

import math
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal
from typing import Final

from perpbot.model import Instrument

ZERO: Final = Decimal(0)
_LARGEST_EXACT: Final = 2.0**52  # below it a float's floor and ceiling are exact integers
_ERROR_FACTOR: Final = 2.0**-50  # 8 half-ulps of the operands and 2.7 of the quotient (see `price_from_floats`)


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


def price_from_floats(instrument: Instrument, ref: float, distance: float, *, below: bool) -> Decimal | None:
    """`distance` below (or above) the price `ref`, on the tick, rounded toward `ref`, as the exact path gives it:
    `round_price(price_of(ref) -/+ Decimal(repr(distance)))` with ceiling below, floor above (a long's stop or
    a short's take-profit below; a short's stop or a long's take-profit above). None when that is not certain.

    Worked out in floats: writing the distance's repr and parsing it back was a twentieth of a backtest's
    loop. The exact value X = (price_of(ref) -/+ D) / tick differs from the float quotient x by at most
    2**-53 * (|ref| + |distance|) / tick (each operand's repr is within half an ulp of it) plus three roundings
    of x (the sum, the tick's float, the division) of 2**-53 * |x| each. `_ERROR_FACTOR` bounds that
    several times over; when x lies that close to a tick boundary, or is not a positive count of ticks below
    2**52, the answer is None and the caller takes the exact path.
    """
    tick = instrument.tick_float
    x = (ref - distance if below else ref + distance) / tick
    if not 0.0 < x < _LARGEST_EXACT:  # also false for nan
        return None
    error = ((abs(ref) + abs(distance)) / tick + x) * _ERROR_FACTOR
    floor = math.floor(x)
    if x - floor <= error or floor + 1 - x <= error:  # a boundary within the error (x on one included)
        return None
    ticks = floor + 1 if below else floor
    if ticks <= 0:
        return None
    return instrument.tick_size * ticks  # the tick's exponent, as quantising to the tick gives
