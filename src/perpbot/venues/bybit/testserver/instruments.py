"""`/v5/market/instruments-info` rows built from perpbot's reference instruments.

The filters (tick, step, min/max quantities, min notional, max leverage, funding interval) are the
Instrument's own. Fields an Instrument does not carry get fixed values, named here so nobody mistakes them
for live data: maxPrice is 1,999,998 ticks (Bybit's BTCUSDT example, 199999.80 at tick 0.10), the funding
rate caps are Bybit's BTCUSDT example (±0.375 %), and launchTime is a fixed date.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from perpbot.model.instrument import Instrument

_MAX_PRICE_TICKS = Decimal(1_999_998)
_FUNDING_CAP = "0.00375"
_LAUNCH_TIME_MS = "1584230400000"  # 2020-03-15, a placeholder
_QUOTE = "USDT"


def _text(value: Decimal) -> str:
    return format(value, "f")


def price_scale(instrument: Instrument) -> int:
    """Decimal places of the tick, as Bybit's priceScale gives them."""
    exponent = instrument.tick_size.normalize().as_tuple().exponent
    return max(0, -exponent) if isinstance(exponent, int) else 0


def instrument_info(instrument: Instrument) -> dict[str, Any]:
    """One `list[]` entry of instruments-info for a USDT linear perpetual."""
    symbol = instrument.symbol
    base = symbol[: -len(_QUOTE)] if symbol.endswith(_QUOTE) else symbol
    scale = price_scale(instrument)
    tick = instrument.tick_size
    return {
        "symbol": symbol,
        "contractType": "LinearPerpetual",
        "status": "Trading",
        "baseCoin": base,
        "quoteCoin": _QUOTE,
        "launchTime": _LAUNCH_TIME_MS,
        "deliveryTime": "0",
        "deliveryFeeRate": "",
        "priceScale": str(scale),
        "leverageFilter": {
            "minLeverage": "1",
            "maxLeverage": _text(instrument.max_leverage.quantize(Decimal("0.01"))),
            "leverageStep": "0.01",
        },
        "priceFilter": {
            "minPrice": _text(tick.quantize(tick)),
            "maxPrice": _text((tick * _MAX_PRICE_TICKS).quantize(tick)),
            "tickSize": _text(tick),
        },
        "lotSizeFilter": {
            "maxOrderQty": _text(instrument.max_qty),
            "minOrderQty": _text(instrument.min_qty),
            "qtyStep": _text(instrument.qty_step),
            "postOnlyMaxOrderQty": _text(instrument.max_qty),
            "maxMktOrderQty": _text(instrument.max_market_qty),
            "minNotionalValue": _text(instrument.min_notional),
        },
        "unifiedMarginTrade": True,
        "fundingInterval": instrument.funding_interval_minutes,
        "settleCoin": _QUOTE,
        "copyTrading": "both",
        "upperFundingRate": _FUNDING_CAP,
        "lowerFundingRate": f"-{_FUNDING_CAP}",
        "isPreListing": False,
        "preListingInfo": None,
    }
