"""Ratios that stay defined at zero, and floats made safe for strict JSON."""

from __future__ import annotations

import math

INF_TEXT = "inf"
NEG_INF_TEXT = "-inf"


def safe_ratio(num: float, den: float) -> float:
    """num / den for den > 0; for den == 0: +inf, -inf, or NaN (0 / 0 is undefined); NaN in, NaN out.

    Used for ratios whose denominator is a risk or a loss (Sharpe, Calmar, profit factor), where
    "no risk taken" is a real outcome, not an error.
    """
    if math.isnan(num) or math.isnan(den):
        return math.nan
    if den > 0:
        return num / den
    if den < 0:
        raise ValueError(f"a risk denominator must be >= 0, was {den}")
    if num > 0:
        return math.inf
    if num < 0:
        return -math.inf
    return math.nan


def json_number(value: float) -> float | str | None:
    """A float for strict JSON: NaN -> None (null), +inf -> "inf", -inf -> "-inf", else unchanged."""
    if math.isnan(value):
        return None
    if math.isinf(value):
        return INF_TEXT if value > 0 else NEG_INF_TEXT
    return value
