"""The risk manager's settings: typed, frozen, and validated with messages that name field and value."""

from __future__ import annotations

import math
from decimal import Decimal
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, ValidationInfo, field_validator, model_validator

Sizing = Literal["risk", "fixed_qty", "fixed_notional", "equity_fraction"]

# field -> (low, high, low_open, high_open); printed as "(0, 100]" etc. in the error.
_RANGES: dict[str, tuple[float, float, bool, bool]] = {
    "risk_per_trade_pct": (0, 100, True, False),
    "equity_fraction_pct": (0, 10_000, True, False),
    "max_position_size_pct": (0, 100, True, False),
    "max_daily_loss_pct": (0, 100, True, False),
    "max_drawdown_pct": (0, 100, True, False),
    "max_correlation": (0, 1, False, False),
    "correlation_lookback": (3, 100_000, False, False),
    "correlation_min_points": (3, 100_000, False, False),
    "max_open_positions": (1, 10_000, False, False),
    "max_leverage": (1, 200, False, False),
    "default_stop_pct": (0, 100, True, True),
    "liquidation_buffer_pct": (0, 100, False, True),
    "loss_streak_start": (1, 10_000, False, False),
    "loss_streak_factor": (0, 1, True, False),
    "min_size_factor": (0, 1, True, False),
    "win_recovery_step": (0, 1, True, False),
}


def _range_text(low: float, high: float, low_open: bool, high_open: bool) -> str:
    return f"{'(' if low_open else '['}{low:g}, {high:g}{')' if high_open else ']'}"


class RiskConfig(BaseModel):
    """Position sizing, pre-trade gates and circuit breakers; percentages are in percent (1.0 = 1 %)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    # How the quantity is chosen.
    sizing: Sizing = "risk"
    risk_per_trade_pct: float = 1.0  # "risk": equity % lost if the stop is hit
    fixed_qty: Decimal | None = None  # "fixed_qty": base-coin quantity per order
    fixed_notional: Decimal | None = None  # "fixed_notional": USDT notional per order
    equity_fraction_pct: float | None = None  # "equity_fraction": notional as % of equity (>100 uses leverage)
    # Gates and caps.
    max_position_size_pct: float = 20.0  # margin of one position as % of equity
    max_daily_loss_pct: float = 5.0
    max_drawdown_pct: float = 20.0
    max_correlation: float = 0.8
    correlation_lookback: int = 100  # bars of returns compared
    correlation_min_points: int = 20  # fewer aligned returns than this: the check passes with a note
    max_open_positions: int = 3
    max_leverage: float = 10.0
    default_stop_pct: float = 2.0  # stop distance as % of entry when the intent has none
    liquidation_buffer_pct: float = 0.5  # the stop must sit this % of entry inside the liquidation price
    # Loss-streak scaling.
    loss_streak_start: int = 2
    loss_streak_factor: float = 0.5
    min_size_factor: float = 0.25
    win_recovery_step: float = 0.25
    # False: size and exchange filters only, no gates, caps or breakers (research benchmarks).
    enabled: bool = True

    @field_validator(*_RANGES, mode="after")
    @classmethod
    def _in_range(cls, value: Any, info: ValidationInfo) -> Any:
        if value is None:
            return value
        name = info.field_name or "?"
        low, high, low_open, high_open = _RANGES[name]
        number = float(value)
        above_low = number > low if low_open else number >= low
        below_high = number < high if high_open else number <= high
        if not (math.isfinite(number) and above_low and below_high):
            shown = int(number) if math.isfinite(number) and number.is_integer() else value
            raise ValueError(f"{name} must be in {_range_text(low, high, low_open, high_open)}, was {shown}")
        return value

    @field_validator("fixed_qty", "fixed_notional", mode="after")
    @classmethod
    def _positive(cls, value: Decimal | None, info: ValidationInfo) -> Decimal | None:
        if value is not None and not (value.is_finite() and value > 0):
            raise ValueError(f"{info.field_name} must be a positive number, was {value}")
        return value

    @model_validator(mode="after")
    def _consistent(self) -> RiskConfig:
        needs = {"fixed_qty": "fixed_qty", "fixed_notional": "fixed_notional", "equity_fraction": "equity_fraction_pct"}
        for mode, field in needs.items():
            value = getattr(self, field)
            if self.sizing == mode and value is None:
                raise ValueError(f"sizing={mode!r} needs {field}, which is not set")
            if self.sizing != mode and value is not None:
                raise ValueError(
                    f"{field} is set ({value}) but sizing is {self.sizing!r}; set sizing={mode!r} or remove {field}"
                )
        if self.correlation_min_points > self.correlation_lookback:
            raise ValueError(
                f"correlation_min_points must be at most correlation_lookback ({self.correlation_lookback}), "
                f"was {self.correlation_min_points}"
            )
        return self
