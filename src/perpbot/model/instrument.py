"""An instrument's exchange filters and the exact quantisation of prices and quantities."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from decimal import ROUND_CEILING, ROUND_DOWN, ROUND_FLOOR, ROUND_HALF_EVEN, Decimal
from typing import Final

ZERO: Final = Decimal(0)  # compared with as a Decimal: against the int 0, every comparison converted it
_ONE: Final = Decimal(1)
# The class, for `isinstance` in the rounding: compiled, the imported name was a module dict lookup at every call.
_DECIMAL: Final = Decimal

# Powers of ten as floats, each exact (10**22 is the last that is), and as Decimals 1E-places: `float_decimal`
# divides by the one and multiplies by the other. Final: compiled, they are read without a module lookup.
_FAST_PLACES: Final = 12
_SCALES: Final = tuple(10.0 ** places for places in range(_FAST_PLACES + 1))
_UNITS: Final = tuple(Decimal(1).scaleb(-places) for places in range(_FAST_PLACES + 1))


class _LastConversion:
    """`float_decimal`'s last answer, as one tuple (value, places, Decimal): a backtest's decision converts the same
    close several times over (the venue's mark, the gate's entry, the equity), and a Decimal is immutable, so the
    same one serves. One attribute, replaced whole: a thread reading it sees one conversion or the other."""

    __slots__ = ("entry",)

    def __init__(self) -> None:
        self.entry: tuple[float, int, Decimal] = (math.nan, -1, ZERO)  # nan equals nothing


_LAST: Final = _LastConversion()


def float_decimal(value: float, places: int = 0) -> Decimal:
    """`_float_decimal`, or its last answer when asked again (zero excepted: 0.0 and -0.0 are equal floats)."""
    last = _LAST.entry
    if value == last[0] and places == last[1] and value != 0.0:
        return last[2]
    result = _float_decimal(value, places)
    _LAST.entry = (value, places, result)
    return result


def _float_decimal(value: float, places: int) -> Decimal:
    """`Decimal(repr(value))`: a float as the decimal it was written as (its shortest repr), not its binary
    expansion (50000.1 -> Decimal('50000.1')).

    `places` is where such decimals usually end (a price at its tick's places). A value that is a whole count
    of 10**-places with at most 15 digits is made from that count, several times cheaper than writing its repr
    and parsing it back, and the same Decimal: the count divided by 10**places gives the value back, and no
    other decimal of 15 digits or fewer rounds to the same float (DBL_DIG), so the shortest repr has the same
    digits; its trailing zeros go as repr drops them, down to the one place repr writes for a whole number.
    (The product count x 1E-places is exact in any context of 16 digits or more; the default has 28.)
    Any other value (more places, more digits, a tiny or huge magnitude) takes the repr.
    """
    if 0 < places <= _FAST_PLACES:
        scale = _SCALES[places]
        scaled = value * scale
        if abs(value) >= 1e-4 and abs(scaled) < 1e15:
            # The nearest whole count; a wrong one (an unlucky float sum) fails the check below and takes the repr.
            count = int(scaled + 0.5) if scaled >= 0.0 else -int(0.5 - scaled)
            if count / scale == value:
                while places > 1 and count % 10 == 0:
                    count //= 10
                    places -= 1
                return _UNITS[places] * count
    return Decimal(repr(value))


def liquidation_factor(leverage: Decimal, mmr: Decimal, *, long: bool) -> Decimal:
    """What an isolated position's entry is multiplied by for its liquidation price at maintenance margin rate
    `mmr`: `1 - 1/lev + mmr` for a long, `1 + 1/lev - mmr` for a short. The exchange prices its liquidations with
    it and the risk gate its estimate; it depends on the leverage and the rate alone, so either may keep it."""
    if leverage <= ZERO:
        raise ValueError(f"leverage must be positive, was {leverage}")
    inverse = _ONE / leverage
    if long:
        return _ONE - inverse + mmr
    return _ONE + inverse - mmr


# Decimals a process has made, by their text: see `shared_decimal`. Bounded: cleared when full.
_SHARED: Final[dict[str, Decimal]] = {}
_SHARED_LIMIT: Final = 4096


def shared_decimal(value: Decimal) -> Decimal:
    """`value`, or an earlier Decimal with the same text, which is the same number in every respect (sign, digits,
    exponent; a Decimal is immutable), so nothing can tell them apart.

    For the values a run keeps many times over: it keeps every order, fill, trade and decision, and their
    quantities take few values (a reversal's sizes repeat all year), as do small PnLs, yet each was a Decimal
    of its own, 104 bytes, five times a fill. Keyed by text, not by the Decimal: hashing a Decimal costs four
    times as much as writing it, and equal Decimals may differ in exponent.
    """
    key = str(value)
    known = _SHARED.get(key)
    if known is not None:
        return known
    if len(_SHARED) >= _SHARED_LIMIT:
        _SHARED.clear()
    _SHARED[key] = value
    return value


@dataclass(frozen=True, slots=True)
class Instrument:
    """A Bybit USDT linear perpetual with the filters an order must pass.

    Values mirror `/v5/market/instruments-info` (priceFilter, lotSizeFilter, leverageFilter) and the
    lowest risk-limit tier's maintenance margin rate.
    """

    symbol: str
    tick_size: Decimal
    qty_step: Decimal
    min_qty: Decimal
    max_qty: Decimal
    max_market_qty: Decimal
    min_notional: Decimal
    max_leverage: Decimal
    maintenance_margin_rate: Decimal
    funding_interval_minutes: int = 480
    # A tick or step that is a power of ten (0.1, 0.001, 1) is a decimal place: rounding to it is one quantize.
    _tick_is_place: bool = field(init=False, repr=False, compare=False)
    _step_is_place: bool = field(init=False, repr=False, compare=False)
    # The decimal places a price on the tick has (at least one, as repr writes a whole float): `price_of`'s hint.
    _price_places: int = field(init=False, repr=False, compare=False)
    tick_float: float = field(init=False, repr=False, compare=False)  # the tick as a float, for float searches
    # The places of a tick that is a decimal place from 0.1 to 1E-12, or 0: `price_on_tick` counts ticks at them.
    _tick_places: int = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        for name in ("tick_size", "qty_step", "min_qty", "max_qty", "max_market_qty", "max_leverage"):
            value = getattr(self, name)
            if not isinstance(value, Decimal) or value <= 0:
                raise ValueError(f"{self.symbol}: {name} must be a positive Decimal, was {value!r}")
        if not (Decimal(0) <= self.maintenance_margin_rate < Decimal(1)):
            raise ValueError(
                f"{self.symbol}: maintenance_margin_rate must be in [0, 1), was {self.maintenance_margin_rate}"
            )
        object.__setattr__(self, "_tick_is_place", _is_decimal_place(self.tick_size))
        object.__setattr__(self, "_step_is_place", _is_decimal_place(self.qty_step))
        exponent = self.tick_size.normalize().as_tuple().exponent
        object.__setattr__(self, "_price_places", max(1, -exponent) if isinstance(exponent, int) else 1)
        object.__setattr__(self, "tick_float", float(self.tick_size))
        tick_exponent = self.tick_size.as_tuple().exponent
        places = -tick_exponent if self._tick_is_place and isinstance(tick_exponent, int) else 0
        object.__setattr__(self, "_tick_places", places if 0 < places <= _FAST_PLACES else 0)

    def price_of(self, value: float) -> Decimal:
        """A price float (a candle's, a mark) as the decimal it was written as: `float_decimal` at the tick's places."""
        return float_decimal(value, self._price_places)

    def round_price(self, price: Decimal | float, mode: str = ROUND_HALF_EVEN) -> Decimal:
        """Quantise a price to the tick; `mode` is a decimal rounding mode (floor for bids, ceiling for asks)."""
        value = price if isinstance(price, _DECIMAL) else float_decimal(float(price), self._price_places)
        if self._tick_is_place:
            return value.quantize(self.tick_size, mode)  # positional: compiled, a keyword costs an argument parse
        ticks = (value / self.tick_size).to_integral_value(mode)
        return (ticks * self.tick_size).quantize(self.tick_size)

    def price_on_tick(self, value: float) -> Decimal:
        """`round_price(price_of(value))`. A float that is a whole count of ticks (a candle's price on real data) is
        that count of ticks at once, the tick's exponent and all: one multiplication, where `price_of` made the
        Decimal (trailing zeros dropped) and `round_price` quantized it back to the tick. The test is
        `float_decimal`'s: the count divided by the scale gives the float back, so its repr has those digits."""
        places = self._tick_places
        if places:
            scale = _SCALES[places]
            scaled = value * scale
            if abs(value) >= 1e-4 and abs(scaled) < 1e15:
                count = int(scaled + 0.5) if scaled >= 0.0 else -int(0.5 - scaled)
                if count / scale == value:
                    return _UNITS[places] * count
        return self.round_price(self.price_of(value))

    def price_floor(self, price: Decimal | float) -> Decimal:
        return self.round_price(price, ROUND_FLOOR)

    def price_ceiling(self, price: Decimal | float) -> Decimal:
        return self.round_price(price, ROUND_CEILING)

    def round_qty(self, qty: Decimal | float) -> Decimal:
        """Quantise a quantity down to the step: never trade more than was sized."""
        value = qty if isinstance(qty, _DECIMAL) else float_decimal(float(qty))
        if self._step_is_place:
            return value.quantize(self.qty_step, ROUND_DOWN)
        steps = (value / self.qty_step).to_integral_value(ROUND_DOWN)
        return (steps * self.qty_step).quantize(self.qty_step)

    def check_order(self, qty: Decimal, price: Decimal, *, market: bool, reduce_only: bool) -> str | None:
        """Return why Bybit would reject this order, or None when it passes the filters."""
        return self.check_order_knowing(qty, price, market, reduce_only, False, False)

    def check_order_knowing(self, qty: Decimal, price: Decimal, market: bool, reduce_only: bool, qty_passes: bool,
                            price_on_tick: bool) -> str | None:
        """`check_order`, skipping the rules the caller knows pass: `qty_passes`, the quantity's own (positive, on
        the step, within the minimum and this kind of order's maximum: the same qty passed them before), and
        `price_on_tick`, the tick test of a price `round_price` made. Whatever is left fails in the same order, so
        the answer is `check_order`'s. The filters are in Bybit's order, the first that fails named; a remainder is
        tested by its truth (a comparison with zero cost a Decimal comparison more)."""
        if not qty_passes:
            if qty <= ZERO:
                return f"qty must be positive, was {qty}"
            if qty % self.qty_step:
                return f"qty {qty} is not a multiple of qtyStep {self.qty_step}"
        if price <= ZERO:
            return f"price must be positive, was {price}"
        if not price_on_tick and price % self.tick_size:
            return f"price {price} is not a multiple of tickSize {self.tick_size}"
        if not qty_passes:
            if qty < self.min_qty:
                return f"qty {qty} is below minOrderQty {self.min_qty}"
            limit = self.max_market_qty if market else self.max_qty
            if qty > limit:
                return f"qty {qty} is above the {'market' if market else 'limit'} order maximum {limit}"
        # Bybit waives the minimum notional for reduce-only orders so a small remainder can be closed.
        if not reduce_only and qty * price < self.min_notional:
            return f"notional {qty * price} is below minNotionalValue {self.min_notional}"
        return None

    def format_price(self, price: Decimal) -> str:
        """The price as Bybit wants it: on the tick, no exponent, no float noise."""
        return format(price.quantize(self.tick_size), "f")

    def format_qty(self, qty: Decimal) -> str:
        return format(qty.quantize(self.qty_step), "f")


def _is_decimal_place(size: Decimal) -> bool:
    """Is `size` a single 1 in some decimal place (0.01, 1, 1E+1)? Then its exponent is the place to round at.
    Not 0.10: numerically a power of ten, but written to a finer place than the step it means."""
    return size.as_tuple().digits == (1,)


def _d(text: str) -> Decimal:
    return Decimal(text)


def _spec(
    symbol: str, tick: str, step: str, min_qty: str, max_qty: str, max_mkt: str, mmr: str = "0.01"
) -> Instrument:
    return Instrument(
        symbol=symbol,
        tick_size=_d(tick),
        qty_step=_d(step),
        min_qty=_d(min_qty),
        max_qty=_d(max_qty),
        max_market_qty=_d(max_mkt),
        min_notional=_d("5"),
        max_leverage=_d("100") if mmr == "0.005" else _d("50"),
        maintenance_margin_rate=_d(mmr),
    )


# Reference filters for the symbols perpbot ships tests for, taken from Bybit's instruments-info
# examples and the price precision of the recorded candles. Live mode reads the real values from
# the exchange; a backtest may override any field in the config.
REFERENCE_INSTRUMENTS: Final[dict[str, Instrument]] = {
    spec.symbol: spec
    for spec in (
        _spec("BTCUSDT", "0.1", "0.001", "0.001", "1190", "500", mmr="0.005"),
        _spec("ETHUSDT", "0.01", "0.01", "0.01", "7240", "3000", mmr="0.005"),
        _spec("SOLUSDT", "0.001", "0.1", "0.1", "79770", "42000"),
        _spec("BNBUSDT", "0.01", "0.01", "0.01", "3820", "1620"),
        _spec("DOGEUSDT", "0.00001", "1", "1", "27272000", "5000000"),
        _spec("ADAUSDT", "0.0001", "1", "1", "5500000", "1500000"),
        _spec("DOTUSDT", "0.0001", "0.1", "0.1", "300000", "145000"),
        _spec("WIFUSDT", "0.0001", "1", "1", "1000000", "500000"),
        _spec("AVAXUSDT", "0.001", "0.1", "0.1", "150000", "60000"),
        _spec("AAVEUSDT", "0.01", "0.01", "0.01", "4000", "1500"),
        _spec("APEUSDT", "0.0001", "0.1", "0.1", "1000000", "400000"),
    )
}
