"""Numbers as a report prints them: money with separators, fractions as percent, "n/a" for undefined."""

from __future__ import annotations

import math
from decimal import Decimal

from perpbot.data.frames import iso_utc

NOT_AVAILABLE = "n/a"


def as_float(value: object) -> float | None:
    """A metric value as a float: None (undefined) stays None; "inf"/"-inf" (strict-JSON infinities) are read."""
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, (int, float, Decimal)):
        number = float(value)
    elif isinstance(value, str):
        try:
            number = float(value)
        except ValueError:
            return None
    else:
        return None
    return None if math.isnan(number) else number


def _special(number: float | None) -> str:
    """What every formatter prints for an undefined or infinite figure."""
    if number is None:
        return NOT_AVAILABLE
    return "inf" if number > 0 else "-inf"


def money(value: object, places: int = 2) -> str:
    """12345.678 -> "12,345.68"; undefined -> "n/a"."""
    number = as_float(value)
    if number is None or math.isinf(number):
        return _special(number)
    return f"{number:,.{places}f}"


def exact_money(value: Decimal) -> str:
    """Every digit of an exact amount, with thousands separators: Decimal("8666.6532") -> "8,666.6532"."""
    return f"{value:,f}"


def percent(value: object, places: int = 2) -> str:
    """A fraction as percent: 0.1234 -> "12.34 %"; undefined -> "n/a"."""
    number = as_float(value)
    if number is None or math.isinf(number):
        return _special(number)
    return f"{number * 100:,.{places}f} %"


def number(value: object, places: int = 2) -> str:
    number_ = as_float(value)
    if number_ is None or math.isinf(number_):
        return _special(number_)
    if isinstance(value, int) and not isinstance(value, bool):
        return f"{value:,d}"
    return f"{number_:,.{places}f}"


def sign_class(value: object) -> str:
    """CSS class for a signed figure: "pos", "neg" or "" (zero or undefined)."""
    number_ = as_float(value)
    if number_ is None or number_ == 0:
        return ""
    return "pos" if number_ > 0 else "neg"


def utc_minute(ts_ms: int) -> str:
    """"2024-01-01 00:15 UTC" (seconds shown only when present)."""
    text = iso_utc(ts_ms).replace("T", " ").removesuffix("Z")
    return (text[:-3] if text.endswith(":00") else text) + " UTC"
