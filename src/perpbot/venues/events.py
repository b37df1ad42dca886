"""What a venue reports back. Every venue, simulated or real, speaks only in these events.

A command sent to a venue never returns its outcome directly: the outcome arrives later as one of
these, which is what lets a real exchange answer asynchronously or not at all (UNKNOWN).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from perpbot.model import Fill, FundingPayment, OrderRequest, OrderStatus


@dataclass(frozen=True, slots=True)
class OrderAccepted:
    ts: int
    client_id: str
    venue_order_id: str
    status: OrderStatus  # NEW for plain orders, UNTRIGGERED for conditional ones


@dataclass(frozen=True, slots=True)
class OrderRejected:
    ts: int
    client_id: str
    reason: str


@dataclass(frozen=True, slots=True)
class OrderCancelled:
    ts: int
    client_id: str
    reason: str


@dataclass(frozen=True, slots=True)
class OrderAmended:
    ts: int
    client_id: str
    qty: Decimal | None
    price: Decimal | None
    trigger_price: Decimal | None


@dataclass(frozen=True, slots=True)
class OrderTriggered:
    """A conditional order's trigger was hit: it is now a live market order."""

    ts: int
    client_id: str


@dataclass(frozen=True, slots=True)
class OrderFilled:
    ts: int
    fill: Fill


@dataclass(frozen=True, slots=True)
class OrderCreatedByVenue:
    """The venue made an order itself, e.g. the stop-loss attached to an entry once it filled."""

    ts: int
    request: OrderRequest
    parent_client_id: str
    venue_order_id: str


@dataclass(frozen=True, slots=True)
class OrderUnknown:
    """The venue did not say what happened (timeout, dropped connection): find the order by client id."""

    ts: int
    client_id: str
    detail: str


@dataclass(frozen=True, slots=True)
class OrderStatusReport:
    """An answer to a query by client id: how the venue sees the order now."""

    ts: int
    client_id: str
    status: OrderStatus
    filled_qty: Decimal
    reason: str = ""


@dataclass(frozen=True, slots=True)
class FundingSettled:
    payment: FundingPayment


@dataclass(frozen=True, slots=True)
class PositionLiquidated:
    """The venue closed a position at its bankruptcy price; `fill` is that forced execution."""

    ts: int
    fill: Fill
    liquidation_price: Decimal


VenueEvent = (
    OrderAccepted
    | OrderRejected
    | OrderCancelled
    | OrderAmended
    | OrderTriggered
    | OrderFilled
    | OrderCreatedByVenue
    | OrderUnknown
    | OrderStatusReport
    | FundingSettled
    | PositionLiquidated
)
