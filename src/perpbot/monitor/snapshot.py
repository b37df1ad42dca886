"""An immutable picture of a running bot, taken after each close: all the dashboard and alerts read.

Taking it costs the cycle a few dozen small objects; everything slow (rendering, sending) happens on
other threads from this picture, never from the engine itself.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass
from decimal import Decimal

from perpbot.engine.decisions import Decision
from perpbot.engine.paper import PaperEngine
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


class RunningTotals:
    """Per-strategy results and rejected orders, kept up to date from the node's own notifications so a
    snapshot never rescans the whole history."""

    def __init__(self) -> None:
        self.count: Counter[str] = Counter()
        self.wins: Counter[str] = Counter()
        self.net: dict[str, Decimal] = defaultdict(Decimal)
        self.rejected_orders = 0

    def attach(self, engine: PaperEngine) -> None:
        engine.node.observers.append(self.on_node_event)

    def on_node_event(self, kind: str, payload: object) -> None:
        if kind == "trade" and isinstance(payload, Trade):
            for name in payload.strategies or ("(none)",):
                self.count[name] += 1
                self.wins[name] += payload.net_pnl > 0
                self.net[name] += payload.net_pnl
        elif kind == "venue_event" and isinstance(payload, OrderRejected):
            self.rejected_orders += 1

    def rows(self) -> tuple[StrategyRow, ...]:
        return tuple(StrategyRow(n, self.count[n], self.wins[n], self.net[n]) for n in sorted(self.count))


def take_snapshot(engine: PaperEngine, close_ts: int, *, totals: RunningTotals, feed: FeedRow,
                  alerts: tuple[str, ...] = (), name: str = "", mode: str = "paper") -> MonitorSnapshot:
    node = engine.node
    positions = []
    unrealised_total = 0.0
    for pos in node.positions.open_positions():
        mark = engine.market.price(pos.symbol)
        upnl = float(pos.unrealised_pnl(Decimal(repr(mark))))
        unrealised_total += upnl
        stop = tp = None
        for order in node.orders.open_orders(pos.symbol):
            if order.status is OrderStatus.UNTRIGGERED:
                if order.request.trigger is TriggerKind.STOP_LOSS:
                    stop = order.request.trigger_price
                elif order.request.trigger is TriggerKind.TAKE_PROFIT:
                    tp = order.request.trigger_price
        positions.append(PositionRow(pos.symbol, "long" if pos.qty > 0 else "short", abs(pos.qty), pos.entry_price,
                                     mark, upnl, stop, tp, engine.venue.liquidation_price(pos.symbol)))
    risk = engine.risk
    breakers = risk.breakers
    equity = node.equity_float()
    daily_limit = float(risk.config.max_daily_loss_pct)
    dd_limit = float(risk.config.max_drawdown_pct)
    day_start = breakers.day_start_equity
    peak = breakers.peak_equity
    day_loss_pct = max(0.0, (float(day_start) - equity) / float(day_start) * 100) if day_start else 0.0
    drawdown_pct = max(0.0, (float(peak) - equity) / float(peak) * 100) if peak else 0.0
    return MonitorSnapshot(
        name=name, mode=mode, close_ts=close_ts, equity=equity, balance=node.ledger.balance,
        realised=node.ledger.realised_pnl, fees=node.ledger.fees_paid, funding=node.ledger.funding,
        unrealised=unrealised_total, positions=tuple(positions), trades=tuple(node.trades[-RECENT:]),
        trade_count=len(node.trades), decisions=tuple(node.decisions[-RECENT:]),
        strategies=totals.rows(),
        risk=RiskRow(risk.config.enabled, risk.halted, risk.halt_reason,
                     day_loss_pct / daily_limit * 100 if daily_limit else 0.0, drawdown_pct, dd_limit, daily_limit),
        feed=feed, rejected_orders=totals.rejected_orders, alerts=alerts,
    )
