"""Typed, frozen configuration of regime detection, the strategy matrix and signal aggregation.

Every validation error names the field and the offending value.
"""

from __future__ import annotations

import math
from typing import Literal

from pydantic import BaseModel, ConfigDict, ValidationInfo, field_validator, model_validator

from perpbot.errors import ConfigError
from perpbot.model.timeframe import timeframe_ms
from perpbot.signals.codes import REGIME_NAMES

_FROZEN = ConfigDict(frozen=True, extra="forbid")


class RegimeConfig(BaseModel):
    """How the market regime is read from ADX (trend strength) and NATR (ATR as % of close).

    Each threshold pair is a hysteresis band: a state is entered at or beyond `*_enter` and left
    at or beyond `*_exit`, so a value wandering inside the band does not flip the label. NATR
    levels depend on the symbol and the timeframe (BTC 1h: median ~0.7 %, WIF 1h: ~2.2 %).
    """

    model_config = _FROZEN

    enabled: bool = True
    timeframe: str = "1h"
    adx_period: int = 14
    atr_period: int = 14
    trend_adx_enter: float = 25.0
    trend_adx_exit: float = 20.0
    volatile_natr_enter: float = 1.5
    volatile_natr_exit: float = 1.2
    min_bars_in_regime: int = 3

    @field_validator("timeframe")
    @classmethod
    def _timeframe(cls, value: str) -> str:
        try:
            timeframe_ms(value)
        except ValueError as exc:
            raise ValueError(f"timeframe: {exc}") from None
        return value

    @field_validator("adx_period", "atr_period")
    @classmethod
    def _period(cls, value: int, info: ValidationInfo) -> int:
        name = info.field_name
        if not 2 <= value <= 1000:
            raise ValueError(f"{name} must be in [2, 1000], was {value}")
        return value

    @field_validator("trend_adx_enter", "trend_adx_exit")
    @classmethod
    def _adx_level(cls, value: float, info: ValidationInfo) -> float:
        name = info.field_name
        if not (math.isfinite(value) and 0 < value < 100):
            raise ValueError(f"{name} must be in (0, 100), was {value}")
        return value

    @field_validator("volatile_natr_enter", "volatile_natr_exit")
    @classmethod
    def _natr_level(cls, value: float, info: ValidationInfo) -> float:
        name = info.field_name
        if not (math.isfinite(value) and value > 0):
            raise ValueError(f"{name} must be a positive percentage, was {value}")
        return value

    @field_validator("min_bars_in_regime")
    @classmethod
    def _dwell(cls, value: int) -> int:
        if not 1 <= value <= 1000:
            raise ValueError(f"min_bars_in_regime must be in [1, 1000], was {value}")
        return value

    @model_validator(mode="after")
    def _bands(self) -> RegimeConfig:
        if not self.trend_adx_enter > self.trend_adx_exit:
            raise ValueError(
                f"trend_adx_enter must be greater than trend_adx_exit (a hysteresis band), "
                f"was {self.trend_adx_enter} <= {self.trend_adx_exit}"
            )
        if not self.volatile_natr_enter > self.volatile_natr_exit:
            raise ValueError(
                f"volatile_natr_enter must be greater than volatile_natr_exit (a hysteresis band), "
                f"was {self.volatile_natr_enter} <= {self.volatile_natr_exit}"
            )
        return self


class AggregationConfig(BaseModel):
    """How strategy signals become one intent.

    threshold: the |score| a weighted vote needs before it becomes a direction.
    stop_combine: how the stop (and take-profit) distances of the agreeing strategies combine:
    "weighted" (mean weighted by weight x |signal|), "widest" or "tightest".
    close_on_flat: whether a flat intent closes an open position (used by the trading node).
    """

    model_config = _FROZEN

    threshold: float = 0.5
    stop_combine: Literal["weighted", "widest", "tightest"] = "weighted"
    close_on_flat: bool = False

    @field_validator("threshold")
    @classmethod
    def _threshold(cls, value: float) -> float:
        if not (math.isfinite(value) and 0 < value <= 1):
            raise ValueError(f"threshold must be in (0, 1], was {value}")
        return value


Weights = dict[str, float]


class MatrixConfig(BaseModel):
    """Regime -> strategy id -> weight (>= 0). "default" serves regime detection switched off and
    any regime without its own entry. Unknown regime names are rejected (extra fields forbidden).

    JSON form: {"trending": {"ema_cross": 1.0}, "ranging": {"bollinger_revert": 1.0}, "default": {...}}.
    """

    model_config = _FROZEN

    trending: Weights | None = None
    ranging: Weights | None = None
    volatile: Weights | None = None
    default: Weights | None = None

    @field_validator("trending", "ranging", "volatile", "default")
    @classmethod
    def _weights(cls, value: Weights | None, info: ValidationInfo) -> Weights | None:
        regime = info.field_name
        if value is None:
            return None
        for strategy, weight in value.items():
            if not strategy:
                raise ValueError(f"matrix.{regime}: strategy id must be non-empty, was {strategy!r}")
            if not (math.isfinite(weight) and weight >= 0):
                raise ValueError(f"matrix.{regime}.{strategy} weight must be a finite number >= 0, was {weight}")
        return dict(value)

    @model_validator(mode="after")
    def _not_empty(self) -> MatrixConfig:
        if not self.as_mapping():
            raise ValueError(f"matrix must configure at least one regime of {', '.join(REGIME_NAMES)}")
        return self

    def as_mapping(self) -> dict[str, Weights]:
        """The configured regimes (only those present), as plain dicts."""
        out: dict[str, Weights] = {}
        for name in REGIME_NAMES:
            weights = getattr(self, name)
            if weights is not None:
                out[name] = dict(weights)
        return out

    def weights_of(self, regime: str) -> Weights:
        """The weights configured for `regime`, falling back to "default", else none (stay flat)."""
        if regime not in REGIME_NAMES:
            raise ValueError(f"regime must be one of {', '.join(REGIME_NAMES)}, was {regime!r}")
        own: Weights | None = getattr(self, regime)
        if own is not None:
            return dict(own)
        return dict(self.default) if self.default is not None else {}

    def require_coverage(self, *, regime_enabled: bool) -> None:
        """Raise ConfigError when a regime the classifier can emit would have no weights at all."""
        needed = ("default",) if not regime_enabled else ("trending", "ranging", "volatile")
        missing = [r for r in needed if getattr(self, r) is None and self.default is None]
        if missing:
            state = "enabled" if regime_enabled else "disabled"
            raise ConfigError(
                f"matrix has no entry for {', '.join(missing)} and no 'default' while regime detection is {state}"
            )
