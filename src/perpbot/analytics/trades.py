"""Statistics of closed trades, overall and per group (strategy, symbol, side, regime, exit reason).

A trade wins when its net PnL (gross - fees + funding) is > 0 and loses when it is < 0; a
break-even trade is neither but counts in the trade count (so it lowers the win rate).
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from perpbot.analytics.numbers import json_number, safe_ratio
from perpbot.model import Trade

NO_LABEL = "(none)"


@dataclass(frozen=True, slots=True)
class TradeStats:
    """Overall trade statistics; means and extremes are NaN when there are no trades (or no wins/losses)."""

    num_trades: int
    num_wins: int
    num_losses: int
    win_rate: float
    net_pnl: float
    gross_profit: float
    gross_loss: float
    profit_factor: float
    expectancy: float
    avg_win: float
    avg_loss: float
    best_trade: float
    worst_trade: float
    longest_win_streak: int
    longest_loss_streak: int


def _mean(values: list[float]) -> float:
    return statistics.fmean(values) if values else math.nan


def _longest_run(flags: Iterable[bool]) -> int:
    best = run = 0
    for flag in flags:
        run = run + 1 if flag else 0
        best = max(best, run)
    return best


def trade_stats(trades: Sequence[Trade]) -> TradeStats:
    """Win rate, profit factor (gross profit / gross loss; inf with no losses), expectancy (mean net
    PnL per trade), averages, extremes, and the longest win/loss streaks in exit-time order."""
    ordered = sorted(trades, key=lambda t: t.exit_ts)
    pnl = [float(t.net_pnl) for t in ordered]
    wins = [p for p in pnl if p > 0]
    losses = [p for p in pnl if p < 0]
    gross_profit = math.fsum(wins)
    gross_loss = -math.fsum(losses)
    return TradeStats(
        num_trades=len(pnl),
        num_wins=len(wins),
        num_losses=len(losses),
        win_rate=len(wins) / len(pnl) if pnl else math.nan,
        net_pnl=math.fsum(pnl),
        gross_profit=gross_profit,
        gross_loss=gross_loss,
        profit_factor=safe_ratio(gross_profit, gross_loss),
        expectancy=_mean(pnl),
        avg_win=_mean(wins),
        avg_loss=_mean(losses),
        best_trade=max(pnl) if pnl else math.nan,
        worst_trade=min(pnl) if pnl else math.nan,
        longest_win_streak=_longest_run(p > 0 for p in pnl),
        longest_loss_streak=_longest_run(p < 0 for p in pnl),
    )


@dataclass(frozen=True, slots=True)
class GroupStats:
    """One row of a breakdown table; `key` is the group's label (a strategy id, a symbol, "Buy", ...)."""

    key: str
    count: int
    net_pnl: float
    win_rate: float
    avg_pnl: float
    profit_factor: float

    def to_dict(self) -> dict[str, object]:
        return {
            "key": self.key,
            "count": self.count,
            "net_pnl": json_number(self.net_pnl),
            "win_rate": json_number(self.win_rate),
            "avg_pnl": json_number(self.avg_pnl),
            "profit_factor": json_number(self.profit_factor),
        }


def _labels_strategy(t: Trade) -> tuple[str, ...]:
    return t.strategies or (NO_LABEL,)


_KEYS: dict[str, Callable[[Trade], tuple[str, ...]]] = {
    "strategy": _labels_strategy,
    "symbol": lambda t: (t.symbol,),
    "side": lambda t: (t.side.value,),
    "regime": lambda t: (t.regime or NO_LABEL,),
    "exit_reason": lambda t: (t.exit_reason.value,),
}
BREAKDOWN_KEYS: tuple[str, ...] = tuple(_KEYS)


def breakdown(trades: Sequence[Trade], key: str, pnl: Sequence[float] | None = None) -> list[GroupStats]:
    """One row of statistics per group, sorted by label; key is strategy / symbol / side / regime / exit_reason.

    A trade credited to several strategies counts fully in each of their groups (the strategies
    agreed on the entry together), so strategy groups can add up to more than the whole. Trades
    without a strategy or a regime go to "(none)"; sides are spelled as Bybit does ("Buy"/"Sell").
    `pnl` is each trade's net PnL as a float, when the caller has it already.
    """
    try:
        labels_of = _KEYS[key]
    except KeyError:
        raise ValueError(f"breakdown key must be one of {', '.join(BREAKDOWN_KEYS)}, was {key!r}") from None
    values = [float(t.net_pnl) for t in trades] if pnl is None else pnl
    groups: dict[str, list[float]] = {}
    for trade, value in zip(trades, values, strict=True):
        for label in dict.fromkeys(labels_of(trade)):  # a strategy listed twice still counts once
            groups.setdefault(label, []).append(value)
    return [_group_row(label, groups[label]) for label in sorted(groups)]


def _group_row(label: str, pnl: list[float]) -> GroupStats:
    """The figures trade_stats gives for these trades (fsum is exact, so the order does not matter)."""
    wins = [p for p in pnl if p > 0]
    losses = [p for p in pnl if p < 0]
    gross_profit = math.fsum(wins)
    gross_loss = -math.fsum(losses)
    return GroupStats(label, len(pnl), math.fsum(pnl), len(wins) / len(pnl) if pnl else math.nan, _mean(pnl),
                      safe_ratio(gross_profit, gross_loss))


def breakdowns(trades: Sequence[Trade]) -> dict[str, list[dict[str, Any]]]:
    """Every breakdown of BREAKDOWN_KEYS as plain rows: what a result and a session keep."""
    pnl = [float(t.net_pnl) for t in trades]
    return {key: [row.to_dict() for row in breakdown(trades, key, pnl)] for key in BREAKDOWN_KEYS}
