"""The trading node: one cycle of the pipeline, identical in backtest, paper and live.

It turns intents into orders through the risk manager, and venue events into orders, positions,
the ledger and closed trades. It never reads a clock or does I/O: the runtime around it feeds it
intents, prices and venue events, in time order.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Final, Protocol

import numpy as np

from perpbot.engine.decisions import Action, Decision
from perpbot.engine.market import ArrayMarket
from perpbot.execution.entry import ExecutionConfig, entry_limit_price
from perpbot.execution.ledger import Ledger
from perpbot.execution.orders import OrderJournal, OrderManager
from perpbot.execution.positions import Position, PositionBook, entry_price_of
from perpbot.model import (
    Direction,
    ExitReason,
    Fill,
    FundingPayment,
    Instrument,
    Intent,
    Order,
    OrderStatus,
    OrderType,
    RiskDecision,
    Side,
    TimeInForce,
    Trade,
)
from perpbot.model.enums import FINAL_STATUSES
from perpbot.model.instrument import shared_decimal
from perpbot.risk.correlation import WindowSums
from perpbot.risk.manager import RiskManager
from perpbot.venues.base import Venue
from perpbot.venues.events import (
    FundingSettled,
    OrderCancelled,
    OrderFilled,
    OrderRejected,
    PositionLiquidated,
    VenueEvent,
)

ZERO: Final = Decimal(0)

# Why a fill that closes exposure closed it, from the tag of the order that made it.
_EXIT_REASONS: Final[dict[str, ExitReason]] = {
    "entry": ExitReason.REVERSAL,
    "reversal": ExitReason.REVERSAL,
    "exit": ExitReason.SIGNAL,
    "StopLoss": ExitReason.STOP_LOSS,
    "TakeProfit": ExitReason.TAKE_PROFIT,
    "risk_halt": ExitReason.RISK_HALT,
    "end_of_data": ExitReason.END_OF_DATA,
    "manual": ExitReason.MANUAL,
}

_IN_FLIGHT: Final = frozenset({OrderStatus.CREATED, OrderStatus.SUBMITTED, OrderStatus.UNKNOWN})
_RESTING: Final = frozenset({OrderStatus.NEW, OrderStatus.PARTIALLY_FILLED})
_OPENING_TAGS: Final = frozenset({"entry", "reversal"})


class MarketView(Protocol):
    """What the node knows of the market right now: last prices and recent returns."""

    def price(self, symbol: str) -> float: ...

    def returns(self, symbol: str, lookback: int) -> np.ndarray: ...

    def returns_sums(self, symbols: Sequence[str], lookback: int) -> WindowSums | None: ...


@dataclass(slots=True, init=False, unsafe_hash=True)
class PositionSnapshot:
    """A position as the risk manager sees it."""

    symbol: Final[str]
    qty: Final[Decimal]
    cost: Final[Decimal]  # |qty| x entry price of the open part, as the position keeps it
    leverage: Final[Decimal]
    liquidation_price: Final[Decimal | None]

    def __init__(self, symbol: str, qty: Decimal, cost: Decimal, leverage: Decimal,
                 liquidation_price: Decimal | None) -> None:
        self.symbol = symbol
        self.qty = qty
        self.cost = cost
        self.leverage = leverage
        self.liquidation_price = liquidation_price

    @property
    def entry_price(self) -> Decimal:
        """Worked out only when read: a decision reads it for its own symbol, not for every position."""
        return entry_price_of(self.qty, self.cost)


class _PortfolioAdapter:
    """The node's books presented as the risk manager's PortfolioView. It holds the books, not the node: a
    reference back would make a cycle that keeps the node's state alive until the cyclic collector runs."""

    __slots__ = ("_instruments", "_ledger", "_leverage", "_market", "_positions", "_snapshots")

    def __init__(self, ledger: Ledger, positions: PositionBook, market: MarketView, leverage: dict[str, Decimal],
                 instruments: dict[str, Instrument]) -> None:
        self._ledger, self._positions, self._market = ledger, positions, market
        self._leverage, self._instruments = leverage, instruments
        # The last snapshot of each symbol's position: reused while the position keeps the same qty and cost
        # objects (a fill replaces them), so a decision does not rebuild every open position's snapshot.
        self._snapshots: dict[str, PositionSnapshot] = {}

    def equity(self) -> Decimal:
        return _equity(self._ledger, self._positions, self._market, self._instruments)

    def balance(self) -> Decimal:
        return self._ledger.balance

    def positions(self) -> Mapping[str, PositionSnapshot]:
        known, leverages = self._snapshots, self._leverage
        views: dict[str, PositionSnapshot] = {}
        for p in self._positions.open_positions():
            snapshot = known.get(p.symbol)
            leverage = leverages[p.symbol]
            if snapshot is None or snapshot.qty is not p.qty or snapshot.cost is not p.cost \
                    or snapshot.leverage is not leverage:
                snapshot = known[p.symbol] = PositionSnapshot(p.symbol, p.qty, p.cost, leverage, None)
            views[p.symbol] = snapshot
        return views

    def instrument(self, symbol: str) -> Instrument:
        return self._instruments[symbol]

    def returns(self, symbol: str, lookback: int) -> np.ndarray:
        return self._market.returns(symbol, lookback)

    def returns_sums(self, symbols: Sequence[str], lookback: int) -> WindowSums | None:
        return self._market.returns_sums(symbols, lookback)

    def leverage(self, symbol: str) -> Decimal:
        return self._leverage[symbol]


def _equity(ledger: Ledger, positions: PositionBook, market: MarketView, instruments: dict[str, Instrument]) -> Decimal:
    """Balance plus unrealised PnL at the market's last prices."""
    total = ledger.balance
    # The backtest's market read by a direct call: compiled, a call through the protocol is a generic method call,
    # made for every open position at every decision.
    array = market if isinstance(market, ArrayMarket) else None
    for pos in positions.open_positions():
        price = array.price(pos.symbol) if array is not None else market.price(pos.symbol)
        total += pos.unrealised_pnl(instruments[pos.symbol].price_of(price))
    return total


class TradingNode:
    """Intents in, orders out; venue events in, positions, ledger and trades out."""

    def __init__(
        self,
        *,
        venue: Venue,
        instruments: Mapping[str, Instrument],
        leverage: Mapping[str, Decimal],
        risk: RiskManager,
        market: MarketView,
        starting_balance: Decimal,
        id_prefix: str,
        close_on_flat: bool = False,
        journal: OrderJournal | None = None,
        start_ts: int = 0,
        execution: ExecutionConfig | None = None,
    ) -> None:
        self.venue = venue
        self.instruments = dict(instruments)
        self.leverage = dict(leverage)
        self.risk = risk
        self.market = market
        self.close_on_flat = close_on_flat
        self.execution = execution or ExecutionConfig()
        self.orders = OrderManager(venue, id_prefix, journal=journal)
        self.positions = PositionBook()
        self.ledger = Ledger(starting_balance, start_ts)
        self.decisions: list[Decision] = []
        self.trades: list[Trade] = []
        self.fills: list[Fill] = []
        self.funding: list[FundingPayment] = []
        self.observers: list[Callable[[str, object], None]] = []
        self._labels: dict[str, tuple[tuple[str, ...], str]] = {}
        # each set of credited strategies once: every trade keeps one, and a run has a handful of them
        self._credited: dict[tuple[str, ...], tuple[str, ...]] = {}
        self._portfolio = _PortfolioAdapter(self.ledger, self.positions, market, self.leverage, self.instruments)
        for symbol, lev in self.leverage.items():
            venue.set_leverage(symbol, lev, start_ts)

    # ------------------------------------------------------------------ views
    def equity(self) -> Decimal:
        """Balance plus unrealised PnL at the market's last prices."""
        return _equity(self.ledger, self.positions, self.market, self.instruments)

    def equity_float(self) -> float:
        total = float(self.ledger.balance)
        for pos in self.positions.open_positions():
            total += float(pos.qty) * self.market.price(pos.symbol) - float(pos.cost if pos.qty > ZERO else -pos.cost)
        return total

    def position(self, symbol: str) -> Position:
        return self.positions.get(symbol)

    # ------------------------------------------------------------------ the cycle
    def on_intent(self, intent: Intent) -> Decision:
        """Decide what to do about one symbol's aggregated intent, and send the orders for it."""
        symbol, ts = intent.symbol, intent.ts
        in_flight = [o.client_id for o in self.orders.open_orders(symbol) if o.status in _IN_FLIGHT]
        if in_flight:
            return self._record(ts, symbol, Action.DEFERRED, intent, None, (),
                                f"orders still in flight: {', '.join(in_flight)}")
        unconfirmed = self._withdraw_resting_entries(symbol, ts)
        if unconfirmed:
            return self._record(ts, symbol, Action.DEFERRED, intent, None, (),
                                f"cancel of the resting entry not yet confirmed: {', '.join(unconfirmed)}")
        pos = self.positions.get(symbol)
        held = Direction.FLAT if not pos.qty else (Direction.LONG if pos.qty > ZERO else Direction.SHORT)
        if intent.direction is Direction.FLAT:
            if self.close_on_flat and held is not Direction.FLAT:
                closing = self._close(symbol, ts, "exit")
                return self._record(ts, symbol, Action.EXIT, intent, None, (closing,), "intent is flat")
            return self._record(ts, symbol, Action.HOLD, intent, None, (), "no view")
        if intent.direction == held:
            return self._record(ts, symbol, Action.HOLD, intent, None, (), "already positioned")
        decision = self.risk.assess(intent, self._portfolio, ts)
        side = Side.BUY if intent.direction is Direction.LONG else Side.SELL
        if held is Direction.FLAT:
            if not decision.approved:
                return self._record(ts, symbol, Action.REJECTED, intent, decision, (), "; ".join(decision.reasons))
            order = self._open(ts, symbol, side, decision.qty, intent, decision, "entry")
            return self._record(ts, symbol, Action.ENTER, intent, decision, (order.client_id,))
        # A reversal: one order closes the old side and, if approved, opens the new one.
        if decision.approved:
            qty = shared_decimal(abs(pos.qty) + decision.qty)
            order = self._open(ts, symbol, side, qty, intent, decision, "reversal")
            return self._record(ts, symbol, Action.REVERSE, intent, decision, (order.client_id,))
        client_id = self._close(symbol, ts, "reversal")
        return self._record(ts, symbol, Action.EXIT, intent, decision, (client_id,),
                            "closed; new side rejected: " + "; ".join(decision.reasons))

    def _open(self, ts: int, symbol: str, side: Side, qty: Decimal, intent: Intent, decision: RiskDecision,
              tag: str) -> Order:
        """Send an entry or reversal in the configured style, with the risk manager's stop attached."""
        style = self.execution
        if style.entry_order == "limit":
            instrument = self.instruments[symbol]
            price = entry_limit_price(instrument, side, instrument.price_of(intent.reference_price),
                                      style.limit_offset_bps)
            order = self.orders.submit(
                ts, symbol, side, qty, order_type=OrderType.LIMIT, price=price,
                time_in_force=TimeInForce.POST_ONLY if style.post_only else TimeInForce.GTC,
                stop_loss=decision.stop_price, take_profit=decision.take_profit_price, tag=tag,
            )
        else:
            order = self.orders.submit(ts, symbol, side, qty, stop_loss=decision.stop_price,
                                       take_profit=decision.take_profit_price, tag=tag)
        credited = _agreeing(intent)
        self._labels[order.client_id] = (self._credited.setdefault(credited, credited), intent.regime)
        return order

    def _withdraw_resting_entries(self, symbol: str, ts: int) -> list[str]:
        """Cancel entry or reversal limits still resting from an earlier decision, so a new decision never
        stacks a second one on top; returns those whose cancel the venue has not confirmed yet."""
        resting = [o for o in self.orders.open_orders(symbol)
                   if o.status in _RESTING and o.request.order_type is OrderType.LIMIT
                   and o.request.tag in _OPENING_TAGS]
        if not resting:
            return []
        for order in resting:
            self.orders.cancel(order.client_id, ts)
        self.process_events()
        return [o.client_id for o in resting if o.status in _RESTING or o.status in _IN_FLIGHT]

    def on_equity(self, ts: int, equity: float | None = None) -> bool:
        """Show the risk manager the current equity; on a fresh breach close everything and return True."""
        risk = self.risk
        tripped = risk.on_equity_float(ts, equity) if equity is not None else risk.on_equity(ts, self.equity())
        if tripped:
            self.close_all(ts, "risk_halt", note="; ".join(str(t) for t in tripped))
        return bool(tripped)

    def close_all(self, ts: int, tag: str, note: str = "") -> list[str]:
        """Emergency closure: cancel every live order, then close every position with reduce-only market orders."""
        ids: list[str] = []
        for symbol in self.instruments:
            self.orders.cancel_all(symbol, ts)
        for pos in self.positions.open_positions():
            client_id = self._close(pos.symbol, ts, tag)
            ids.append(client_id)
            self._record(ts, pos.symbol, Action.EMERGENCY_CLOSE, None, None, (client_id,), note or tag)
        return ids

    def process_events(self, events: list[VenueEvent] | None = None) -> int:
        """Apply venue events (by default, everything the venue has); returns how many fills were new."""
        batch = self.venue.drain_events() if events is None else events
        new_fills = 0
        for event in batch:
            if isinstance(event, OrderFilled):
                fill = self.orders.apply(event)
                if fill is not None:
                    self._on_fill(fill)
                    new_fills += 1
            elif isinstance(event, FundingSettled):
                payment = event.payment
                self.ledger.record_funding(payment.ts, payment.symbol, payment.amount)
                self.positions.apply_funding(payment.symbol, payment.amount)
                self.funding.append(payment)
            elif isinstance(event, PositionLiquidated):
                if self.orders.mark_exec_seen(event.fill.exec_id):
                    self._apply_fill(event.fill, ExitReason.LIQUIDATION, (), "")
                    new_fills += 1
            else:
                self.orders.apply(event)
                # it will never fill: its labels go (two tests: compiled, a union made a type object per event)
                if isinstance(event, OrderCancelled) or isinstance(event, OrderRejected):  # noqa: SIM101
                    self._labels.pop(event.client_id, None)
            for observer in self.observers:
                observer("venue_event", event)
        return new_fills

    # ------------------------------------------------------------------ internals
    def _close(self, symbol: str, ts: int, tag: str) -> str:
        pos = self.positions.get(symbol)
        side = Side.SELL if pos.qty > ZERO else Side.BUY
        return self.orders.submit(ts, symbol, side, abs(pos.qty), reduce_only=True, tag=tag).client_id

    def _on_fill(self, fill: Fill) -> None:
        order = self.orders.get(fill.client_id)
        tag = order.request.tag if order is not None else ""
        if order is not None and order.status in FINAL_STATUSES:  # its last fill: the labels are not read again
            strategies, regime = self._labels.pop(fill.client_id, ((), ""))
        else:
            strategies, regime = self._labels.get(fill.client_id, ((), ""))
        self._apply_fill(fill, _EXIT_REASONS.get(tag, ExitReason.SIGNAL), strategies, regime)

    def _apply_fill(self, fill: Fill, reason: ExitReason, strategies: tuple[str, ...], regime: str) -> None:
        outcome = self.positions.apply_fill(fill, exit_reason=reason, strategies=strategies, regime=regime)
        self.ledger.record_fill(fill.ts, fill.symbol, fill.exec_id, outcome.realised, fill.fee)
        self.fills.append(fill)
        for trade in outcome.trades:
            self.trades.append(trade)
            self.risk.on_trade_closed(trade.net_pnl)
            for observer in self.observers:
                observer("trade", trade)

    def _record(self, ts: int, symbol: str, action: Action, intent: Intent | None, risk_decision: RiskDecision | None,
                client_ids: tuple[str, ...], note: str = "") -> Decision:
        decision = Decision(len(self.decisions) + 1, ts, symbol, action, intent,
                            risk_decision, client_ids, note)
        self.decisions.append(decision)
        for observer in self.observers:
            observer("decision", decision)
        return decision


def _agreeing(intent: Intent) -> tuple[str, ...]:
    """The strategies whose signal points the way the intent goes and that carry weight: a trade is credited to
    them. (Tested by identity and in a loop: compiled, `int()` of the direction and a dict of the weights made
    for every decision were generic calls.)"""
    direction = intent.direction
    if direction is Direction.FLAT:
        return ()
    long = direction is Direction.LONG
    credited: list[str] = []
    for signal in intent.signals:
        value = signal.value
        if (value > 0 if long else value < 0) and _weight_of(intent.weights, signal.strategy) > 0:
            credited.append(signal.strategy)
    return tuple(credited)


def _weight_of(weights: tuple[tuple[str, float], ...], strategy: str) -> float:
    """`dict(weights).get(strategy, 0.0)`: the last weight given to `strategy`, or 0."""
    found = 0.0
    for name, weight in weights:
        if name == strategy:
            found = weight
    return found
