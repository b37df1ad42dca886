"""Statistics of closed trades, overall and per group (strategy, symbol, side, regime, exit reason).

A trade wins when its net PnL (gross - fees + funding) is > 0 and loses when it is < 0; a
break-even trade is neither but counts in the trade count (so it lowers the win rate).
"""

from __future__ import annotations

import dataclasses
import itertools
import math
import statistics
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, cast

from perpbot.analytics.numbers import json_number, safe_ratio
from perpbot.kernels import decimal_float
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


def _longest_runs(pnl: list[float]) -> tuple[int, int]:
    """The longest runs of wins (> 0) and of losses (< 0), in one pass (a year of minutes has ~20,000 trades)."""
    best_win = best_loss = win = loss = 0
    for value in pnl:
        if value > 0:
            win += 1
            loss = 0
            best_win = max(best_win, win)
        elif value < 0:
            loss += 1
            win = 0
            best_loss = max(best_loss, loss)
        else:
            win = loss = 0
    return best_win, best_loss


def trade_pnl(trades: Sequence[Trade]) -> list[float]:
    """Each trade's net PnL as a float, in the given order: what every statistic here is made of (`decimal_float`
    is `float`, without the write-and-parse for most decimals)."""
    return [decimal_float(t.net_pnl) for t in trades]


def _net_pnl(trades: Sequence[Trade], pnl: Sequence[float] | None) -> Sequence[float]:
    """`pnl` as given by a caller that has it (checked against the trades), else worked out."""
    if pnl is None:
        return trade_pnl(trades)
    if len(pnl) != len(trades):
        raise ValueError(f"pnl needs one value per trade: {len(pnl)} for {len(trades)} trades")
    return pnl


def trade_stats(trades: Sequence[Trade], pnl: Sequence[float] | None = None) -> TradeStats:
    """Win rate, profit factor (gross profit / gross loss; inf with no losses), expectancy (mean net
    PnL per trade), averages, extremes, and the longest win/loss streaks in exit-time order.
    `pnl` is `trade_pnl(trades)`, when the caller has it already."""
    values = list(_net_pnl(trades, pnl))
    exits = [t.exit_ts for t in trades]
    if any(later < earlier for earlier, later in itertools.pairwise(exits)):  # the engine keeps them in exit order
        values = [values[i] for i in sorted(range(len(values)), key=exits.__getitem__)]
    wins = [p for p in values if p > 0]
    losses = [p for p in values if p < 0]
    gross_profit = math.fsum(wins)
    gross_loss = -math.fsum(losses)
    longest_win, longest_loss = _longest_runs(values)
    return TradeStats(
        num_trades=len(values),
        num_wins=len(wins),
        num_losses=len(losses),
        win_rate=len(wins) / len(values) if values else math.nan,
        net_pnl=math.fsum(values),
        gross_profit=gross_profit,
        gross_loss=gross_loss,
        profit_factor=safe_ratio(gross_profit, gross_loss),
        expectancy=_mean(values),
        avg_win=_mean(wins),
        avg_loss=_mean(losses),
        best_trade=max(values) if values else math.nan,
        worst_trade=min(values) if values else math.nan,
        longest_win_streak=longest_win,
        longest_loss_streak=longest_loss,
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


def _labels_strategy(t: Trade) -> str | tuple[str, ...]:
    strategies = t.strategies
    return strategies[0] if len(strategies) == 1 else strategies or NO_LABEL


# Each key's labels of the trades: one label a trade, except for the strategy key (every strategy behind it).
# Enum labels read `_value_`: an enum member's `value` is a property, ten times slower on ~20,000 trades a key.
_KEYS: dict[str, Callable[[Sequence[Trade]], list[str] | list[str | tuple[str, ...]]]] = {
    "strategy": lambda trades: [_labels_strategy(t) for t in trades],
    "symbol": lambda trades: [t.symbol for t in trades],
    "side": lambda trades: [t.side._value_ for t in trades],
    "regime": lambda trades: [t.regime or NO_LABEL for t in trades],
    "exit_reason": lambda trades: [t.exit_reason._value_ for t in trades],
}
BREAKDOWN_KEYS: tuple[str, ...] = tuple(_KEYS)
_FEW_GROUPS = 8  # up to this many groups, `breakdown` groups a pass per group


def breakdown(trades: Sequence[Trade], key: str, pnl: Sequence[float] | None = None, *,
              whole: GroupStats | None = None) -> list[GroupStats]:
    """One row of statistics per group, sorted by label; key is strategy / symbol / side / regime / exit_reason.

    A trade credited to several strategies counts fully in each of their groups (the strategies
    agreed on the entry together), so strategy groups can add up to more than the whole. Trades
    without a strategy or a regime go to "(none)"; sides are spelled as Bybit does ("Buy"/"Sell").
    `pnl` is `trade_pnl(trades)`, when the caller has it already, and `whole` the row of all the trades
    (`_group_row` of `pnl`), which a key with one group for all of them takes as its own.
    """
    try:
        labels_of = _KEYS[key]
    except KeyError:
        raise ValueError(f"breakdown key must be one of {', '.join(BREAKDOWN_KEYS)}, was {key!r}") from None
    values = _net_pnl(trades, pnl)
    every = labels_of(trades)
    distinct = set(every)
    groups: dict[str, list[float]] = {}
    if len(distinct) <= _FEW_GROUPS and all(type(label) is str for label in distinct):
        # A few groups of one label a trade (a run's strategy, symbol, regime, sides, exit reasons): a pass of
        # the labels per group, in C, where the loop below took a dictionary lookup per trade.
        if len(distinct) == 1:
            (label,) = cast("set[str]", distinct)
            return [dataclasses.replace(whole, key=label) if whole is not None else _group_row(label, list(values))]
        for label in cast("set[str]", distinct):
            groups[label] = [value for other, value in zip(every, values, strict=True) if other == label]
        return [_group_row(label, groups[label]) for label in sorted(groups)]
    for labels, value in zip(every, values, strict=True):
        if type(labels) is str:
            members = groups.get(labels)
            if members is None:
                groups[labels] = [value]
            else:
                members.append(value)
            continue
        for label in dict.fromkeys(labels):  # a strategy listed twice still counts once
            groups.setdefault(label, []).append(value)
    return [_group_row(label, groups[label]) for label in sorted(groups)]


def _group_row(label: str, pnl: list[float]) -> GroupStats:
    """The figures trade_stats gives for these trades (fsum is exact, so the order does not matter)."""
    wins = [p for p in pnl if p > 0]
    losses = [p for p in pnl if p < 0]
    gross_profit = math.fsum(wins)
    gross_loss = -math.fsum(losses)
    net = math.fsum(pnl)
    # the mean as `_mean` makes it (statistics.fmean: the exact sum over the count), from the sum made above
    return GroupStats(label, len(pnl), net, len(wins) / len(pnl) if pnl else math.nan,
                      net / len(pnl) if pnl else math.nan, safe_ratio(gross_profit, gross_loss))


def breakdowns(trades: Sequence[Trade], pnl: Sequence[float] | None = None) -> dict[str, list[dict[str, Any]]]:
    """Every breakdown of BREAKDOWN_KEYS as plain rows: what a result and a session keep."""
    values = _net_pnl(trades, pnl)
    whole = _group_row("", list(values)) if values else None  # shared by the keys with one group (symbol, ...)
    return {key: [row.to_dict() for row in breakdown(trades, key, values, whole=whole)] for key in BREAKDOWN_KEYS}
