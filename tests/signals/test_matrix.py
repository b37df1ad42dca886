"""The strategy matrix: effective weights per regime, fallbacks, and strategy-set changes."""

from __future__ import annotations

import numpy as np
import pytest

from perpbot.errors import ConfigError
from perpbot.model import Regime
from perpbot.signals import MatrixConfig, StrategyMatrix, StrategyWeight

STRATEGIES = {
    "ema": StrategyWeight(weight=2.0),
    "rsi": StrategyWeight(weight=1.0),
    "off": StrategyWeight(is_active=False, weight=5.0),
}


def make_matrix() -> StrategyMatrix:
    cfg = MatrixConfig(
        trending={"ema": 1.5, "off": 1.0, "rsi": 0.0},
        ranging={"rsi": 1.0},
        default={"ema": 1.0, "rsi": 1.0},
    )
    return StrategyMatrix(cfg, STRATEGIES)


def test_effective_weight_is_base_times_matrix_and_inactive_never_counts() -> None:
    m = make_matrix()
    assert m.weights_for("trending") == {"ema": 3.0}
    assert m.weights_for(Regime.RANGING) == {"rsi": 1.0}
    assert m.active_in("trending") == frozenset({"ema"})


def test_missing_regime_falls_back_to_default_and_unknown_is_empty() -> None:
    m = make_matrix()
    assert m.weights_for("volatile") == {"ema": 2.0, "rsi": 1.0}
    assert m.weights_for("default") == {"ema": 2.0, "rsi": 1.0}
    assert m.weights_for("unknown") == {}
    with pytest.raises(ValueError, match="regime must be one of"):
        m.weights_for("sideways")


def test_no_default_means_flat() -> None:
    m = StrategyMatrix(MatrixConfig(trending={"ema": 1.0}), STRATEGIES)
    assert m.weights_for("ranging") == {}
    assert m.active_in("volatile") == frozenset()


def test_changed_compares_active_sets() -> None:
    m = make_matrix()
    assert m.changed("trending", "ranging")
    assert not m.changed("volatile", "default")
    assert not m.changed("trending", "trending")
    assert m.changed("unknown", "trending")


def test_unknown_strategy_in_matrix_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match=r"matrix.ranging names unknown strategies ghost; known: ema"):
        StrategyMatrix(MatrixConfig(ranging={"ghost": 1.0}), {"ema": StrategyWeight()})


def test_negative_base_weight_is_rejected() -> None:
    with pytest.raises(ConfigError, match="strategy 'ema': weight must be a finite number >= 0, was -1"):
        StrategyMatrix(MatrixConfig(default={"ema": 1.0}), {"ema": StrategyWeight(weight=-1.0)})


def test_weight_table_rows_follow_codes() -> None:
    m = make_matrix()
    table = m.weight_table(["rsi", "ema"])
    # rows: unknown, ranging, trending, volatile, default
    np.testing.assert_array_equal(table, [[0, 0], [1, 0], [0, 3], [1, 2], [1, 2]])
    with pytest.raises(ConfigError, match="ghost"):
        m.weight_table(["ghost"])
