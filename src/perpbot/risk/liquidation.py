"""Isolated-margin liquidation prices, and the rule that a stop must trigger well before liquidation.

The rule is a rejection, not an adjustment: if the stop is not at least `buffer` (a fraction of
entry) inside the liquidation price, the order is refused with a reason naming the stop, the
liquidation price and the buffer. Lowering leverage instead would change margin and the position
cap behind the trader's back; a clear "lower your leverage or tighten the stop" is more honest.
"""

from __future__ import annotations

from decimal import Decimal

from perpbot.model.instrument import liquidation_factor
from perpbot.risk._format import fmt as _fmt


def liquidation_price(entry: Decimal, leverage: Decimal, mmr: Decimal, *, long: bool) -> Decimal:
    """Bybit's isolated liquidation price without mmDeduction or extra margin.

    Long `entry * (1 - 1/lev + mmr)`, short `entry * (1 + 1/lev - mmr)` (help centre
    "Liquidation Price (USDT Contract)": 1 BTC long at 20 000, 50x, MMR 0.5 % -> 19 700).
    """
    return entry * liquidation_factor(leverage, mmr, long=long)


def stop_inside_liquidation(
    stop: Decimal, entry: Decimal, liquidation: Decimal, buffer_fraction: Decimal, *, long: bool
) -> str | None:
    """None if the stop fires at least `buffer_fraction * entry` before liquidation, else why not.

    For a long the stop must be >= liquidation + buffer; for a short <= liquidation - buffer.
    """
    buffer = entry * buffer_fraction
    if long:
        limit = liquidation + buffer
        if stop >= limit:
            return None
        side, relation = "long", "at or above"
    else:
        limit = liquidation - buffer
        if stop <= limit:
            return None
        side, relation = "short", "at or below"
    return (
        f"stop {stop} of the {side} is not safely inside the liquidation price {_fmt(liquidation)}: "
        f"it must be {relation} {_fmt(limit)} (buffer {_fmt(buffer)} = {_fmt(buffer_fraction * 100)}% of entry "
        f"{_fmt(entry)}); lower the leverage or tighten the stop"
    )
