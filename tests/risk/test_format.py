"""`fmt` takes a cheaper path to text; it must write exactly what formatting with "f" wrote."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from hypothesis import given
from hypothesis import strategies as st

from perpbot.risk._format import fmt

_EIGHT_PLACES = Decimal("0.00000001")


def reference_fmt(value: Decimal | float) -> str:
    number = value if isinstance(value, Decimal) else Decimal(repr(float(value)))
    try:
        text = format(number.quantize(_EIGHT_PLACES), "f")
    except InvalidOperation:
        text = format(number, "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


@given(st.decimals(allow_nan=True, allow_infinity=True) | st.floats(allow_nan=False, allow_infinity=False))
def test_fmt_writes_what_format_f_wrote(value: Decimal | float) -> None:
    assert fmt(value) == reference_fmt(value)


def test_fmt_at_the_edges() -> None:
    for text in ("0", "-0", "0E-12", "-0E-12", "1E-7", "1.5E-7", "0.000001", "0.0000012345", "1E+30",
                 "12345678901234567890123", "19700.000", "0.2000", "-3.14159265358979"):
        assert fmt(Decimal(text)) == reference_fmt(Decimal(text)), text
    assert fmt(Decimal("0.2000")) == "0.2" and fmt(Decimal("19700.000")) == "19700"
