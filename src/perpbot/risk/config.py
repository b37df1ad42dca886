"""The risk manager's settings: typed, frozen, and validated with messages that name field and value."""

from __future__ import annotations

import math
from decimal import Decimal
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, ValidationError, ValidationInfo, field_validator, model_validator

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


REGIMES = ("ranging", "trending", "volatile", "default")
"""Regimes that may carry their own per-order limits (names as the strategy matrix uses them)."""


def _in_range(value: Any, name: str) -> Any:
    if value is None:
        return value
    low, high, low_open, high_open = _RANGES[name]
    number = float(value)
    above_low = number > low if low_open else number >= low
    below_high = number < high if high_open else number <= high
    if not (math.isfinite(number) and above_low and below_high):
        shown = int(number) if math.isfinite(number) and number.is_integer() else value
        raise ValueError(f"{name} must be in {_range_text(low, high, low_open, high_open)}, was {shown}")
    return value


class RegimeRisk(BaseModel):
    """Per-order limits that replace the base ones while a symbol is in one regime (e.g. smaller risk and
    leverage when volatile). Account-wide breakers (daily loss, drawdown) and the loss streak stay global."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    risk_per_trade_pct: float | None = None
    fixed_qty: Decimal | None = None
    fixed_notional: Decimal | None = None
    equity_fraction_pct: float | None = None
    max_position_size_pct: float | None = None
    max_open_positions: int | None = None
    max_leverage: float | None = None
    default_stop_pct: float | None = None

    @field_validator("risk_per_trade_pct", "equity_fraction_pct", "max_position_size_pct", "max_open_positions",
                     "max_leverage", "default_stop_pct", mode="after")
    @classmethod
    def _ranged(cls, value: Any, info: ValidationInfo) -> Any:
        return _in_range(value, info.field_name or "?")

    def overrides(self) -> dict[str, Any]:
        """Only the limits this regime sets."""
        return {k: v for k, v in self.model_dump().items() if v is not None}


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
    # Per-order limits by regime: {"volatile": {"risk_per_trade_pct": 0.5, "max_leverage": 3}}. An intent is
    # sized and gated with its regime's limits; regimes not listed use the ones above.
    by_regime: dict[str, RegimeRisk] = {}
    # False: size and exchange filters only, no gates, caps or breakers (research benchmarks).
    enabled: bool = True

    @field_validator(*_RANGES, mode="after")
    @classmethod
    def _ranged(cls, value: Any, info: ValidationInfo) -> Any:
        return _in_range(value, info.field_name or "?")

    @field_validator("by_regime", mode="after")
    @classmethod
    def _known_regimes(cls, value: dict[str, RegimeRisk]) -> dict[str, RegimeRisk]:
        unknown = sorted(set(value) - set(REGIMES))
        if unknown:
            raise ValueError(f"by_regime keys must be regimes ({', '.join(REGIMES)}), was {unknown[0]!r}")
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
        for regime in self.by_regime:
            try:
                self.for_regime(regime)
            except ValidationError as exc:
                problem = "; ".join(str(e["msg"]).removeprefix("Value error, ") for e in exc.errors())
                raise ValueError(f"by_regime.{regime}: {problem}") from None
        return self

    def for_regime(self, regime: str) -> RiskConfig:
        """The limits in force for an intent in `regime`: the base ones with that regime's overrides."""
        override = self.by_regime.get(regime)
        if override is None:
            return self
        values = self.model_dump(exclude={"by_regime"}) | override.overrides()
        return RiskConfig.model_validate(values)
