"""Decimals for humans: the numbers in risk messages, without exponents or 28-digit tails."""

from __future__ import annotations

import math
from decimal import Decimal, InvalidOperation
from typing import Final

from perpbot.model.instrument import float_decimal

_EIGHT_PLACES: Final = Decimal("0.00000001")


def fmt(value: Decimal | float) -> str:
    """At most 8 decimal places, trailing zeros dropped: 0.2000 -> "0.2", 19700.000 -> "19700"."""
    number = value if isinstance(value, Decimal) else decimal_of(value)
    try:
        quantized = number.quantize(_EIGHT_PLACES)
    except InvalidOperation:  # not finite, or too many digits to quantise: show it as it is
        text = format(number, "f")
    else:
        # str() is the cheap way to text; it writes an exponent only below 1e-6, where format() is needed.
        text = str(quantized)
        if "E" in text:
            text = format(quantized, "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


def decimal_of(value: float) -> Decimal:
    """A float as the Decimal of its shortest repr (50000.0 -> Decimal('50000.0'), not the binary expansion).

    `float()` first, so a numpy float64 (whose repr is "np.float64(...)" in numpy 2) converts as well.
    """
    return float_decimal(float(value))


def finite(value: float) -> bool:
    """`math.isfinite`, from the two tests the compiler makes plain C (isfinite itself is a generic call)."""
    return not (math.isinf(value) or math.isnan(value))
