from __future__ import annotations

from decimal import Decimal

import pytest
from pydantic import ValidationError

from perpbot.risk.config import RiskConfig


def test_defaults() -> None:
    cfg = RiskConfig()
    assert cfg.sizing == "risk"
    assert cfg.risk_per_trade_pct == 1.0
    assert cfg.fixed_qty is None and cfg.fixed_notional is None and cfg.equity_fraction_pct is None
    assert cfg.max_position_size_pct == 20.0
    assert cfg.max_daily_loss_pct == 5.0
    assert cfg.max_drawdown_pct == 20.0
    assert cfg.max_correlation == 0.8
    assert cfg.correlation_lookback == 100
    assert cfg.correlation_min_points == 20
    assert cfg.max_open_positions == 3
    assert cfg.max_leverage == 10.0
    assert cfg.default_stop_pct == 2.0
    assert cfg.liquidation_buffer_pct == 0.5
    assert cfg.loss_streak_start == 2
    assert cfg.loss_streak_factor == 0.5
    assert cfg.min_size_factor == 0.25
    assert cfg.win_recovery_step == 0.25
    assert cfg.enabled is True


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("risk_per_trade_pct", 250, "risk_per_trade_pct must be in (0, 100], was 250"),
        ("risk_per_trade_pct", 0, "risk_per_trade_pct must be in (0, 100], was 0"),
        ("risk_per_trade_pct", float("nan"), "risk_per_trade_pct must be in (0, 100], was nan"),
        ("max_position_size_pct", 101, "max_position_size_pct must be in (0, 100], was 101"),
        ("max_daily_loss_pct", -1, "max_daily_loss_pct must be in (0, 100], was -1"),
        ("max_drawdown_pct", 0, "max_drawdown_pct must be in (0, 100], was 0"),
        ("max_correlation", 1.5, "max_correlation must be in [0, 1], was 1.5"),
        ("correlation_lookback", 2, "correlation_lookback must be in [3, 100000], was 2"),
        ("max_open_positions", 0, "max_open_positions must be in [1, 10000], was 0"),
        ("max_leverage", 0.5, "max_leverage must be in [1, 200], was 0.5"),
        ("default_stop_pct", 100, "default_stop_pct must be in (0, 100), was 100"),
        ("liquidation_buffer_pct", -0.1, "liquidation_buffer_pct must be in [0, 100), was -0.1"),
        ("loss_streak_start", 0, "loss_streak_start must be in [1, 10000], was 0"),
        ("loss_streak_factor", 0, "loss_streak_factor must be in (0, 1], was 0"),
        ("min_size_factor", 1.2, "min_size_factor must be in (0, 1], was 1.2"),
        ("win_recovery_step", float("inf"), "win_recovery_step must be in (0, 1], was inf"),
    ],
)
def test_out_of_range_names_field_value_and_range(field: str, value: float, message: str) -> None:
    with pytest.raises(ValidationError) as info:
        RiskConfig(**{field: value})
    assert message in str(info.value)


def test_equity_fraction_range_allows_leverage_but_not_zero() -> None:
    assert RiskConfig(sizing="equity_fraction", equity_fraction_pct=300).equity_fraction_pct == 300
    with pytest.raises(ValidationError, match=r"equity_fraction_pct must be in \(0, 10000\], was 0"):
        RiskConfig(sizing="equity_fraction", equity_fraction_pct=0)


@pytest.mark.parametrize("field", ["fixed_qty", "fixed_notional"])
def test_fixed_amounts_must_be_positive(field: str) -> None:
    sizing = field
    with pytest.raises(ValidationError, match=f"{field} must be a positive number, was -1"):
        RiskConfig(sizing=sizing, **{field: -1})


@pytest.mark.parametrize(
    ("sizing", "field"),
    [("fixed_qty", "fixed_qty"), ("fixed_notional", "fixed_notional"), ("equity_fraction", "equity_fraction_pct")],
)
def test_sizing_mode_needs_its_amount(sizing: str, field: str) -> None:
    with pytest.raises(ValidationError, match=f"sizing='{sizing}' needs {field}, which is not set"):
        RiskConfig(sizing=sizing)


def test_an_amount_without_its_sizing_mode_is_an_error() -> None:
    with pytest.raises(ValidationError, match=r"fixed_qty is set \(0.5\) but sizing is 'risk'"):
        RiskConfig(fixed_qty=Decimal("0.5"))


def test_sizing_mode_with_its_amount() -> None:
    cfg = RiskConfig(sizing="fixed_qty", fixed_qty=Decimal("0.005"))
    assert cfg.fixed_qty == Decimal("0.005")


def test_min_points_cannot_exceed_lookback() -> None:
    with pytest.raises(ValidationError, match=r"correlation_min_points must be at most correlation_lookback \(10\)"):
        RiskConfig(correlation_lookback=10)
    assert RiskConfig(correlation_lookback=10, correlation_min_points=10).correlation_min_points == 10


def test_unknown_sizing_mode_is_rejected() -> None:
    with pytest.raises(ValidationError, match="sizing"):
        RiskConfig(sizing="kelly")


def test_unknown_field_is_rejected() -> None:
    with pytest.raises(ValidationError, match="risk_pct"):
        RiskConfig(risk_pct=1)  # type: ignore[call-arg]


def test_frozen() -> None:
    cfg = RiskConfig()
    with pytest.raises(ValidationError):
        cfg.max_leverage = 20  # type: ignore[misc]


def test_json_round_trip() -> None:
    cfg = RiskConfig(sizing="fixed_notional", fixed_notional=Decimal("250.5"), max_open_positions=5, enabled=False)
    assert RiskConfig.model_validate_json(cfg.model_dump_json()) == cfg


# ---------------------------------------------------------------------- limits by regime
def test_a_regime_overrides_only_what_it_sets() -> None:
    cfg = RiskConfig(by_regime={"volatile": {"risk_per_trade_pct": 0.5, "max_leverage": 3}})  # type: ignore[dict-item]
    volatile = cfg.for_regime("volatile")
    assert (volatile.risk_per_trade_pct, volatile.max_leverage) == (0.5, 3)
    assert volatile.max_position_size_pct == cfg.max_position_size_pct
    assert volatile.by_regime == {}
    assert cfg.for_regime("trending") is cfg  # not listed: the base limits


def test_an_unknown_regime_is_named() -> None:
    with pytest.raises(ValidationError, match=r"by_regime keys must be regimes .* was 'calm'"):
        RiskConfig(by_regime={"calm": {"max_leverage": 3}})  # type: ignore[dict-item]


def test_a_regime_override_out_of_range_names_field_and_value() -> None:
    with pytest.raises(ValidationError, match=r"max_leverage must be in \[1, 200\], was 0"):
        RiskConfig(by_regime={"volatile": {"max_leverage": 0}})  # type: ignore[dict-item]


def test_a_regime_override_must_fit_the_sizing_mode() -> None:
    with pytest.raises(ValidationError, match=r"by_regime.ranging: fixed_notional is set .* sizing is 'risk'"):
        RiskConfig(by_regime={"ranging": {"fixed_notional": "100"}})  # type: ignore[dict-item]


def test_regime_limits_survive_a_json_round_trip() -> None:
    cfg = RiskConfig(by_regime={"ranging": {"max_open_positions": 1}})  # type: ignore[dict-item]
    assert RiskConfig.model_validate_json(cfg.model_dump_json()) == cfg
