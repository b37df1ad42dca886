"""Config models of the signals package: defaults, validation messages, immutability."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from perpbot.errors import ConfigError
from perpbot.signals import AggregationConfig, MatrixConfig, RegimeConfig


def test_regime_defaults() -> None:
    cfg = RegimeConfig()
    assert cfg.enabled and cfg.timeframe == "1h"
    assert (cfg.adx_period, cfg.atr_period) == (14, 14)
    assert cfg.trend_adx_enter > cfg.trend_adx_exit
    assert cfg.volatile_natr_enter > cfg.volatile_natr_exit
    assert cfg.min_bars_in_regime == 3


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"trend_adx_enter": 20, "trend_adx_exit": 25}, "trend_adx_enter must be greater than trend_adx_exit"),
        ({"volatile_natr_enter": 1.0, "volatile_natr_exit": 1.0}, "volatile_natr_enter must be greater"),
        ({"trend_adx_enter": 250}, "trend_adx_enter must be in (0, 100), was 250"),
        ({"volatile_natr_exit": -1}, "volatile_natr_exit must be a positive percentage, was -1"),
        ({"adx_period": 1}, "adx_period must be in [2, 1000], was 1"),
        ({"min_bars_in_regime": 0}, "min_bars_in_regime must be in [1, 1000], was 0"),
        ({"timeframe": "7m"}, "timeframe must be one of"),
        ({"adx_len": 14}, "adx_len"),
    ],
)
def test_regime_rejects_bad_values_naming_them(fields: dict[str, object], message: str) -> None:
    with pytest.raises(ValidationError) as info:
        RegimeConfig.model_validate(fields)
    assert message in str(info.value)


def test_configs_are_frozen() -> None:
    cfg = RegimeConfig()
    with pytest.raises(ValidationError):
        cfg.adx_period = 20
    agg = AggregationConfig()
    with pytest.raises(ValidationError):
        agg.threshold = 0.1


def test_aggregation_defaults_and_threshold() -> None:
    cfg = AggregationConfig()
    assert (cfg.threshold, cfg.stop_combine, cfg.close_on_flat) == (0.5, "weighted", False)
    assert AggregationConfig(threshold=1.0).threshold == 1.0
    for bad in (0, -0.1, 1.5, float("nan")):
        with pytest.raises(ValidationError, match="threshold must be in"):
            AggregationConfig(threshold=bad)
    with pytest.raises(ValidationError):
        AggregationConfig.model_validate({"stop_combine": "median"})


def test_matrix_from_json_and_lookup() -> None:
    cfg = MatrixConfig.model_validate_json('{"trending": {"ema": 1.0, "rsi": 0}, "default": {"rsi": 2}}')
    assert cfg.as_mapping() == {"trending": {"ema": 1.0, "rsi": 0.0}, "default": {"rsi": 2.0}}
    assert cfg.weights_of("trending") == {"ema": 1.0, "rsi": 0.0}
    assert cfg.weights_of("ranging") == {"rsi": 2.0}  # falls back to default
    with pytest.raises(ValueError, match="regime must be one of"):
        cfg.weights_of("sideways")


def test_matrix_rejects_unknown_regime_negative_weight_and_empty() -> None:
    with pytest.raises(ValidationError, match="sideways"):
        MatrixConfig.model_validate({"sideways": {"ema": 1.0}})
    with pytest.raises(ValidationError, match=r"matrix.ranging.ema weight must be a finite number >= 0, was -1"):
        MatrixConfig.model_validate({"ranging": {"ema": -1}})
    with pytest.raises(ValidationError, match="at least one regime"):
        MatrixConfig()


def test_matrix_coverage() -> None:
    only_trend = MatrixConfig(trending={"ema": 1.0})
    with pytest.raises(ConfigError, match="ranging, volatile"):
        only_trend.require_coverage(regime_enabled=True)
    with pytest.raises(ConfigError, match="default"):
        only_trend.require_coverage(regime_enabled=False)
    with_default = MatrixConfig(trending={"ema": 1.0}, default={"ema": 0.5})
    with_default.require_coverage(regime_enabled=True)
    with_default.require_coverage(regime_enabled=False)
