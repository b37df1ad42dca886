"""The order manager: deterministic client ids, persistence before send, the state machine, fill dedup."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from decimal import Decimal
from typing import Final, Protocol

from perpbot.errors import OrderError
from perpbot.model import Fill, Order, OrderRequest, OrderStatus, OrderType, Side, TimeInForce, TriggerKind
from perpbot.model.enums import FINAL_STATUSES
from perpbot.model.order import validate_client_id
from perpbot.venues.base import Venue
from perpbot.venues.events import (
    OrderAccepted,
    OrderAmended,
    OrderCancelled,
    OrderCreatedByVenue,
    OrderFilled,
    OrderRejected,
    OrderStatusReport,
    OrderTriggered,
    OrderUnknown,
    VenueEvent,
)

_CANCELLABLE: Final = frozenset({OrderStatus.SUBMITTED, OrderStatus.UNKNOWN, OrderStatus.NEW, OrderStatus.UNTRIGGERED,
                          OrderStatus.PARTIALLY_FILLED})


class OrderJournal(Protocol):
    """Where orders are written before they are sent, so a crash can never lose one."""

    def record_order(self, order: Order) -> None: ...

    def record_transition(self, order: Order) -> None: ...


class OrderManager:
    """Owns every order of one bot: creates them, sends them, and moves them only by venue events.

    Client ids are `<prefix><sequence>`: deterministic for a given run, unique per bot, and written to
    the journal before the request leaves, so an unknown outcome can always be looked up by id.
    """

    def __init__(self, venue: Venue, id_prefix: str, *, journal: OrderJournal | None = None,
                 start_sequence: int = 0) -> None:
        validate_client_id(id_prefix + "0")
        if len(id_prefix) > 24:
            raise ValueError(f"client id prefix must be at most 24 chars, was {id_prefix!r}")
        self._venue = venue
        self._prefix = id_prefix
        self._sequence = start_sequence
        self._journal = journal
        self._orders: dict[str, Order] = {}
        self._open: dict[str, Order] = {}
        # The same open orders per symbol: a decision asks for its own symbol's, and a scan of every open order
        # would grow with the symbols traded.
        self._open_by_symbol: dict[str, dict[str, Order]] = {}
        self._seen_exec_ids: set[str] = set()
        self.on_transition: Callable[[Order], None] | None = None

    @property
    def sequence(self) -> int:
        return self._sequence

    def next_client_id(self) -> str:
        self._sequence += 1
        return f"{self._prefix}{self._sequence}"

    def get(self, client_id: str) -> Order | None:
        return self._orders.get(client_id)

    def orders(self) -> Iterator[Order]:
        return iter(self._orders.values())

    def __len__(self) -> int:
        return len(self._orders)

    def mark_exec_seen(self, exec_id: str) -> bool:
        """Remember an execution the venue made on its own (a liquidation); False if already seen."""
        if exec_id in self._seen_exec_ids:
            return False
        self._seen_exec_ids.add(exec_id)
        return True

    def open_orders(self, symbol: str | None = None) -> list[Order]:
        if symbol is None:
            return list(self._open.values())
        mine = self._open_by_symbol.get(symbol)
        return list(mine.values()) if mine else []

    def submit(
        self,
        ts: int,
        symbol: str,
        side: Side,
        qty: Decimal,
        *,
        order_type: OrderType = OrderType.MARKET,
        price: Decimal | None = None,
        reduce_only: bool = False,
        time_in_force: TimeInForce | None = None,
        stop_loss: Decimal | None = None,
        take_profit: Decimal | None = None,
        trigger: TriggerKind = TriggerKind.NONE,
        trigger_price: Decimal | None = None,
        tag: str = "",
    ) -> Order:
        """Create, journal, then send one order. The outcome arrives later as venue events."""
        if time_in_force is None:
            time_in_force = TimeInForce.IOC if order_type is OrderType.MARKET else TimeInForce.GTC
        request = OrderRequest(
            client_id=self.next_client_id(),
            symbol=symbol,
            side=side,
            order_type=order_type,
            qty=qty,
            price=price,
            trigger_price=trigger_price,
            trigger=trigger,
            reduce_only=reduce_only,
            time_in_force=time_in_force,
            tag=tag,
            stop_loss=stop_loss,
            take_profit=take_profit,
        )
        order = Order(request=request, created_ts=ts)
        self._orders[request.client_id] = order
        self._add_open(order)
        if self._journal is not None:
            self._journal.record_order(order)  # persisted before the request leaves
        self._move(order, OrderStatus.SUBMITTED, ts)
        self._venue.submit(request, ts)
        return order

    def cancel(self, client_id: str, ts: int) -> None:
        order = self._require(client_id)
        if order.status in FINAL_STATUSES:
            raise OrderError(f"order {client_id} is already {order.status.value}; nothing to cancel")
        self._venue.cancel(client_id, order.request.symbol, ts)

    def cancel_all(self, symbol: str, ts: int) -> None:
        """Cancel every order of `symbol` that may be live, including those sent but not yet acknowledged:
        an emergency must not leave one resting because its acknowledgement was still on the way."""
        for order in self.open_orders(symbol):
            if order.status in _CANCELLABLE:
                self._venue.cancel(order.client_id, symbol, ts)

    def amend(self, client_id: str, ts: int, *, qty: Decimal | None = None, price: Decimal | None = None,
              trigger_price: Decimal | None = None) -> None:
        order = self._require(client_id)
        if order.status not in (OrderStatus.NEW, OrderStatus.UNTRIGGERED, OrderStatus.PARTIALLY_FILLED):
            raise OrderError(f"order {client_id} is {order.status.value}; only live orders can be amended")
        self._venue.amend(client_id, order.request.symbol, ts, qty=qty, price=price, trigger_price=trigger_price)

    def apply(self, event: VenueEvent) -> Fill | None:
        """Apply one venue event; returns the fill it carried if it is new (duplicates return None)."""
        if isinstance(event, OrderFilled):
            fill = event.fill
            if fill.exec_id in self._seen_exec_ids:
                return None
            self._seen_exec_ids.add(fill.exec_id)
            order = self._orders.get(fill.client_id)
            if order is not None:
                if order.status in (OrderStatus.SUBMITTED, OrderStatus.UNKNOWN, OrderStatus.UNTRIGGERED):
                    self._move(order, OrderStatus.NEW, event.ts)
                order.apply_fill(fill.qty, fill.price, fill.fee, event.ts)
                self._after_change(order)
            return fill
        if isinstance(event, OrderAccepted):
            order = self._require(event.client_id)
            order.venue_order_id = event.venue_order_id
            if order.status in (OrderStatus.SUBMITTED, OrderStatus.UNKNOWN):
                self._move(order, event.status, event.ts)
        elif isinstance(event, OrderRejected):
            self._move(self._require(event.client_id), OrderStatus.REJECTED, event.ts, event.reason)
        elif isinstance(event, OrderCancelled):
            order = self._require(event.client_id)
            if order.status not in FINAL_STATUSES:
                self._move(order, OrderStatus.CANCELLED, event.ts, event.reason)
        elif isinstance(event, OrderTriggered):
            self._move(self._require(event.client_id), OrderStatus.NEW, event.ts, "triggered")
        elif isinstance(event, OrderAmended):
            order = self._require(event.client_id)
            order.amend(event.ts, qty=event.qty, price=event.price, trigger_price=event.trigger_price)
            self._after_change(order)
        elif isinstance(event, OrderCreatedByVenue):
            order = Order(request=event.request, created_ts=event.ts, venue_order_id=event.venue_order_id)
            self._orders[event.request.client_id] = order
            self._add_open(order)
            if self._journal is not None:
                self._journal.record_order(order)
            self._move(order, OrderStatus.SUBMITTED, event.ts, f"attached to {event.parent_client_id}")
            self._move(order, OrderStatus.UNTRIGGERED, event.ts)
        elif isinstance(event, OrderUnknown):
            order = self._require(event.client_id)
            if order.status not in FINAL_STATUSES:
                self._move(order, OrderStatus.UNKNOWN, event.ts, event.detail)
                self._venue.query_order(order.client_id, order.request.symbol, event.ts)
        elif isinstance(event, OrderStatusReport):
            self._reconcile(event)
        return None

    def _reconcile(self, report: OrderStatusReport) -> None:
        order = self._require(report.client_id)
        if order.status is report.status or order.status in FINAL_STATUSES:
            return
        if report.status is OrderStatus.PARTIALLY_FILLED or (
            report.status is OrderStatus.FILLED and report.filled_qty != order.filled_qty
        ):
            # Fills are accounted only from executions (deduplicated by id); a report that says more
            # filled than we have seen waits for those executions instead of inventing them.
            if order.status in (OrderStatus.UNKNOWN, OrderStatus.SUBMITTED):
                self._move(order, OrderStatus.NEW, report.ts, "found by client id")
            return
        self._move(order, report.status, report.ts, report.reason or "found by client id")

    def _require(self, client_id: str) -> Order:
        order = self._orders.get(client_id)
        if order is None:
            raise OrderError(f"venue reported on unknown order {client_id!r}")
        return order

    def _move(self, order: Order, status: OrderStatus, ts: int, reason: str = "") -> None:
        order.transition(status, ts, reason)
        self._after_change(order)

    def _add_open(self, order: Order) -> None:
        self._open[order.client_id] = order
        self._open_by_symbol.setdefault(order.request.symbol, {})[order.client_id] = order

    def _after_change(self, order: Order) -> None:
        if order.status in FINAL_STATUSES and self._open.pop(order.client_id, None) is not None:
            del self._open_by_symbol[order.request.symbol][order.client_id]
        if self._journal is not None:
            self._journal.record_transition(order)
        if self.on_transition is not None:
            self.on_transition(order)
