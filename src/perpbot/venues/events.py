"""What a venue reports back. Every venue, simulated or real, speaks only in these events.

A command sent to a venue never returns its outcome directly: the outcome arrives later as one of
these, which is what lets a real exchange answer asynchronously or not at all (UNKNOWN).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Final

from perpbot.model import Fill, FundingPayment, OrderRequest, OrderStatus


# Events of every order (accepted, filled, cancelled, triggered, the attached stop) write out `__init__`; the
# rare ones stay frozen dataclasses (compiled; see perpbot.model.trading's docstring).
@dataclass(slots=True, init=False, unsafe_hash=True)
class OrderAccepted:
    ts: Final[int]
    client_id: Final[str]
    venue_order_id: Final[str]
    status: Final[OrderStatus]  # NEW for plain orders, UNTRIGGERED for conditional ones

    def __init__(self, ts: int, client_id: str, venue_order_id: str, status: OrderStatus) -> None:
        self.ts = ts
        self.client_id = client_id
        self.venue_order_id = venue_order_id
        self.status = status


@dataclass(frozen=True, slots=True)
class OrderRejected:
    ts: int
    client_id: str
    reason: str


@dataclass(slots=True, init=False, unsafe_hash=True)
class OrderCancelled:
    ts: Final[int]
    client_id: Final[str]
    reason: Final[str]

    def __init__(self, ts: int, client_id: str, reason: str) -> None:
        self.ts = ts
        self.client_id = client_id
        self.reason = reason


@dataclass(frozen=True, slots=True)
class OrderAmended:
    ts: int
    client_id: str
    qty: Decimal | None
    price: Decimal | None
    trigger_price: Decimal | None


@dataclass(slots=True, init=False, unsafe_hash=True)
class OrderTriggered:
    """A conditional order's trigger was hit: it is now a live market order."""

    ts: Final[int]
    client_id: Final[str]

    def __init__(self, ts: int, client_id: str) -> None:
        self.ts = ts
        self.client_id = client_id


@dataclass(slots=True, init=False, unsafe_hash=True)
class OrderFilled:
    ts: Final[int]
    fill: Final[Fill]

    def __init__(self, ts: int, fill: Fill) -> None:
        self.ts = ts
        self.fill = fill


@dataclass(slots=True, init=False, unsafe_hash=True)
class OrderCreatedByVenue:
    """The venue made an order itself, e.g. the stop-loss attached to an entry once it filled."""

    ts: Final[int]
    request: Final[OrderRequest]
    parent_client_id: Final[str]
    venue_order_id: Final[str]

    def __init__(self, ts: int, request: OrderRequest, parent_client_id: str, venue_order_id: str) -> None:
        self.ts = ts
        self.request = request
        self.parent_client_id = parent_client_id
        self.venue_order_id = venue_order_id


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
