"""The strategy matrix: which strategies count in a regime, and with what weight.

Effective weight of a strategy in a regime = its base `weight` x the matrix weight for that regime,
and 0 when the strategy is inactive or the regime does not list it. A regime without its own entry
uses "default"; with neither, no strategy counts and the bot stays flat. "unknown" (indicator
warm-up) never has active strategies.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

import numpy as np
import numpy.typing as npt

from perpbot.errors import ConfigError
from perpbot.signals.codes import REGIME_NAMES, UNKNOWN, regime_code
from perpbot.signals.config import MatrixConfig


class StrategySettings(Protocol):
    """What the matrix needs to know of a configured strategy."""

    @property
    def is_active(self) -> bool: ...

    @property
    def weight(self) -> float: ...


@dataclass(frozen=True, slots=True)
class StrategyWeight:
    """A plain StrategySettings, for callers without a strategy config object at hand."""

    is_active: bool = True
    weight: float = 1.0


class StrategyMatrix:
    """Regime -> {strategy id: effective weight}, computed once at construction."""

    def __init__(self, config: MatrixConfig, strategies: Mapping[str, StrategySettings]) -> None:
        for sid, settings in strategies.items():
            if not (math.isfinite(settings.weight) and settings.weight >= 0):
                raise ConfigError(f"strategy {sid!r}: weight must be a finite number >= 0, was {settings.weight}")
        known = set(strategies)
        for regime, weights in config.as_mapping().items():
            unknown = sorted(set(weights) - known)
            if unknown:
                raise ConfigError(
                    f"matrix.{regime} names unknown strategies {', '.join(unknown)}; "
                    f"known: {', '.join(sorted(known)) or '(none)'}"
                )
        self.config = config
        self.strategy_ids: tuple[str, ...] = tuple(strategies)
        self._weights: dict[str, dict[str, float]] = {}
        for regime in REGIME_NAMES:
            matrix_weights = config.weights_of(regime)
            effective: dict[str, float] = {}
            for sid in self.strategy_ids:
                settings = strategies[sid]
                w = settings.weight * matrix_weights.get(sid, 0.0) if settings.is_active else 0.0
                if w > 0:
                    effective[sid] = w
            self._weights[regime] = effective

    def weights_for(self, regime: str) -> dict[str, float]:
        """Effective weights of the strategies that count in `regime` (only those with weight > 0)."""
        code = regime_code(regime)
        if code == UNKNOWN:
            return {}
        return dict(self._weights[REGIME_NAMES[code]])

    def active_in(self, regime: str) -> frozenset[str]:
        """Ids of the strategies that count in `regime`."""
        return frozenset(self.weights_for(regime))

    def changed(self, prev_regime: str, new_regime: str) -> bool:
        """True when moving between the two regimes changes the set of strategies that count."""
        return self.active_in(prev_regime) != self.active_in(new_regime)

    def weight_table(self, strategy_ids: Sequence[str]) -> npt.NDArray[np.float64]:
        """Weights as an array indexed [regime code + 1, column of `strategy_ids`]; row 0 is "unknown" (all 0)."""
        missing = [sid for sid in strategy_ids if sid not in self.strategy_ids]
        if missing:
            raise ConfigError(
                f"strategies {', '.join(missing)} are not in the matrix's strategy set "
                f"({', '.join(self.strategy_ids) or 'none'})"
            )
        table = np.zeros((len(REGIME_NAMES) + 1, len(strategy_ids)), dtype=np.float64)
        for code, regime in enumerate(REGIME_NAMES):
            weights = self._weights[regime]
            for col, sid in enumerate(strategy_ids):
                table[code + 1, col] = weights.get(sid, 0.0)
        return table
