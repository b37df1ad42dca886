"""Strategy-set switches: when the regimes move the strategy matrix to a different set of strategies.

The paper and live runtimes follow the user's flow on a switch: the current session ends, a new one starts
with the market as it is now, the monitor is told, and the per-order risk limits of the new regimes apply
(`risk.by_regime`). The engine only detects the switch, at a close, before that close's decisions, and
marks where the node's records stand, so each session holds exactly the trading done while it ran.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

StrategySets = dict[str, tuple[str, ...]]
"""Symbol -> the ids of the strategies that count for it now (sorted; empty while the regime is unknown)."""


@dataclass(frozen=True, slots=True)
class SegmentMarks:
    """How many records the node held when a session began: the session's records are those after these."""

    trades: int = 0
    orders: int = 0
    fills: int = 0
    funding: int = 0
    decisions: int = 0
    equity: int = 0  # equity points before the session's first close


@dataclass(frozen=True, slots=True)
class StrategySwitch:
    """At `close_ts` the regimes changed the strategy set of at least one symbol."""

    close_ts: int
    regimes_before: Mapping[str, str]
    regimes_after: Mapping[str, str]
    sets_before: Mapping[str, tuple[str, ...]]
    sets_after: Mapping[str, tuple[str, ...]]
    risk_limits: Mapping[str, Mapping[str, Any]]  # symbol -> the per-order limits now in force
    marks: SegmentMarks

    @property
    def symbols(self) -> list[str]:
        """The symbols whose strategy set changed."""
        return sorted(s for s in self.sets_after if self.sets_after[s] != self.sets_before.get(s))

    def describe(self) -> str:
        """One line for people: what changed for whom."""
        parts = []
        for symbol in self.symbols:
            before = "+".join(self.sets_before.get(symbol, ())) or "none"
            after = "+".join(self.sets_after[symbol]) or "none"
            parts.append(f"{symbol} {self.regimes_before.get(symbol, '?')}->{self.regimes_after[symbol]}: "
                         f"{before} -> {after}")
        return "; ".join(parts)

    def to_json(self) -> dict[str, Any]:
        return {"close_ts": self.close_ts, "symbols": self.symbols,
                "regimes_before": dict(self.regimes_before), "regimes_after": dict(self.regimes_after),
                "strategies_before": {s: list(v) for s, v in self.sets_before.items()},
                "strategies_after": {s: list(v) for s, v in self.sets_after.items()},
                "risk_limits": {s: dict(v) for s, v in self.risk_limits.items()}}


def strategy_label(sets: Mapping[str, tuple[str, ...]]) -> str:
    """A session's strategy name: every strategy that counts for some symbol, sorted ("none" when none)."""
    names = sorted({name for ids in sets.values() for name in ids})
    return ",".join(names) or "none"
