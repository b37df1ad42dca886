"""An immutable picture of a running bot after each close: all the dashboard and alerts read.

Two steps, so the trading cycle pays only for the first: `capture` runs on the trading thread right
after a close and copies what the close left behind as immutable values (numbers, Decimals, frozen
records, tuples), tens of microseconds; `build_snapshot` turns those facts into the `MonitorSnapshot`
(entry prices, unrealised PnL, risk percentages) on the monitor's own thread, while the engine moves on.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from dataclasses import dataclass
from decimal import Decimal
from typing import NamedTuple

from perpbot.engine.decisions import Decision
from perpbot.engine.paper import CloseReport, PaperEngine
from perpbot.model import OrderStatus, Trade, TriggerKind
from perpbot.venues.events import OrderRejected

RECENT = 8


@dataclass(frozen=True, slots=True)
class PositionRow:
    symbol: str
    side: str
    qty: Decimal
    entry: Decimal
    mark: float
    unrealised: float
    stop: Decimal | None
    take_profit: Decimal | None
    liquidation: Decimal | None


@dataclass(frozen=True, slots=True)
class StrategyRow:
    strategy: str
    trades: int
    wins: int
    net: Decimal


@dataclass(frozen=True, slots=True)
class RiskRow:
    enabled: bool
    halted: bool
    halt_reason: str | None
    daily_loss_used_pct: float  # of the configured daily limit
    drawdown_pct: float
    drawdown_limit_pct: float
    daily_limit_pct: float


@dataclass(frozen=True, slots=True)
class FeedRow:
    last_close_ts: int | None
    closes: int
    untraded: int
    gaps: int
    duplicates: int
    late: int
    waiting_for: str


@dataclass(frozen=True, slots=True)
class MonitorSnapshot:
    name: str
    mode: str
    close_ts: int
    equity: float
    balance: Decimal
    realised: Decimal
    fees: Decimal
    funding: Decimal
    unrealised: float
    positions: tuple[PositionRow, ...]
    trades: tuple[Trade, ...]  # the most recent, newest last
    trade_count: int
    decisions: tuple[Decision, ...]
    strategies: tuple[StrategyRow, ...]
    risk: RiskRow
    feed: FeedRow
    rejected_orders: int
    alerts: tuple[str, ...]


class PositionFacts(NamedTuple):
    """One open position at a close, as copied on the trading thread (a tuple: the cheapest to build)."""

    symbol: str
    qty: Decimal  # signed
    cost: Decimal
    mark: float
    stop: Decimal | None
    take_profit: Decimal | None
    liquidation: Decimal | None


class CloseFacts(NamedTuple):
    """What one close left behind, copied on the trading thread: immutable values only, so another
    thread can build the snapshot from them while the engine changes (a tuple: the cheapest to build)."""

    close_ts: int
    equity: float
    balance: Decimal
    realised: Decimal
    fees: Decimal
    funding: Decimal
    positions: tuple[PositionFacts, ...]
    trades: tuple[Trade, ...]  # the most recent, newest last
    trade_count: int
    decisions: tuple[Decision, ...]
    strategies: tuple[StrategyRow, ...]
    rejected_orders: int
    risk_enabled: bool
    halted: bool
    halt_reason: str | None
    day_start_equity: Decimal | None
    peak_equity: Decimal | None
    daily_limit_pct: float
    drawdown_limit_pct: float
    feed: FeedRow


class RunningTotals:
    """Per-strategy results and rejected orders, kept up to date from the node's own notifications so a
    snapshot never rescans the whole history. `rows` is replaced, never changed, on each trade: a close
    hands it over as it is."""

    def __init__(self) -> None:
        self.count: Counter[str] = Counter()
        self.wins: Counter[str] = Counter()
        self.net: dict[str, Decimal] = defaultdict(Decimal)
        self.rejected_orders = 0
        self.rows: tuple[StrategyRow, ...] = ()

    def attach(self, engine: PaperEngine) -> None:
        engine.node.observers.append(self.on_node_event)

    def on_node_event(self, kind: str, payload: object) -> None:
        if kind == "trade" and isinstance(payload, Trade):
            for name in payload.strategies or ("(none)",):
                self.count[name] += 1
                self.wins[name] += payload.net_pnl > 0
                self.net[name] += payload.net_pnl
            self.rows = tuple(StrategyRow(n, self.count[n], self.wins[n], self.net[n]) for n in sorted(self.count))
        elif kind == "venue_event" and isinstance(payload, OrderRejected):
            self.rejected_orders += 1


def capture(engine: PaperEngine, report: CloseReport, *, totals: RunningTotals, feed: FeedRow) -> CloseFacts:
    """This close's facts, on the trading thread: copies of values, no arithmetic beyond a lookup."""
    node = engine.node
    stops: dict[str, Decimal] = {}
    targets: dict[str, Decimal] = {}
    for order in node.orders.open_orders():  # the last one per symbol wins, as the position's own
        if order.status is OrderStatus.UNTRIGGERED and order.request.trigger_price is not None:
            if order.request.trigger is TriggerKind.STOP_LOSS:
                stops[order.request.symbol] = order.request.trigger_price
            elif order.request.trigger is TriggerKind.TAKE_PROFIT:
                targets[order.request.symbol] = order.request.trigger_price
    positions = tuple(
        PositionFacts(pos.symbol, pos.qty, pos.cost, engine.market.price(pos.symbol), stops.get(pos.symbol),
                      targets.get(pos.symbol), engine.venue.liquidation_price(pos.symbol))
        for pos in node.positions.open_positions()
    )
    ledger, risk = node.ledger, engine.risk
    return CloseFacts(
        close_ts=report.close_ts, equity=report.equity, balance=ledger.balance, realised=ledger.realised_pnl,
        fees=ledger.fees_paid, funding=ledger.funding, positions=positions, trades=tuple(node.trades[-RECENT:]),
        trade_count=len(node.trades), decisions=tuple(node.decisions[-RECENT:]), strategies=totals.rows,
        rejected_orders=totals.rejected_orders, risk_enabled=risk.config.enabled, halted=risk.halted,
        halt_reason=risk.halt_reason, day_start_equity=risk.breakers.day_start_equity,
        peak_equity=risk.breakers.peak_equity, daily_limit_pct=float(risk.config.max_daily_loss_pct),
        drawdown_limit_pct=float(risk.config.max_drawdown_pct), feed=feed,
    )


def build_snapshot(facts: CloseFacts, *, alerts: tuple[str, ...] = (), name: str = "", mode: str = "paper",
                   positions: bool = True) -> MonitorSnapshot:
    """The snapshot of a close from its facts (any thread: it reads nothing but `facts`).

    `positions=False` leaves out the position rows and the unrealised total (NaN), the costly part: the
    monitor builds closes it will never draw only for the alert rules, which do not read them.
    """
    rows = []
    unrealised_total = 0.0 if positions else math.nan
    for p in facts.positions if positions else ():
        upnl = float(Decimal(repr(p.mark)) * p.qty - (p.cost if p.qty > 0 else -p.cost))  # Position.unrealised_pnl
        unrealised_total += upnl
        rows.append(PositionRow(p.symbol, "long" if p.qty > 0 else "short", abs(p.qty), p.cost / abs(p.qty),
                                p.mark, upnl, p.stop, p.take_profit, p.liquidation))
    equity = facts.equity
    day_start, peak = facts.day_start_equity, facts.peak_equity
    daily_limit = facts.daily_limit_pct
    day_loss_pct = max(0.0, (float(day_start) - equity) / float(day_start) * 100) if day_start else 0.0
    drawdown_pct = max(0.0, (float(peak) - equity) / float(peak) * 100) if peak else 0.0
    return MonitorSnapshot(
        name=name, mode=mode, close_ts=facts.close_ts, equity=equity, balance=facts.balance,
        realised=facts.realised, fees=facts.fees, funding=facts.funding, unrealised=unrealised_total,
        positions=tuple(rows), trades=facts.trades, trade_count=facts.trade_count, decisions=facts.decisions,
        strategies=facts.strategies,
        risk=RiskRow(facts.risk_enabled, facts.halted, facts.halt_reason,
                     day_loss_pct / daily_limit * 100 if daily_limit else 0.0, drawdown_pct,
                     facts.drawdown_limit_pct, daily_limit),
        feed=facts.feed, rejected_orders=facts.rejected_orders, alerts=alerts,
    )
