"""The venue protocol: commands go in, results come back later as events (see venues.events)."""

from __future__ import annotations

from decimal import Decimal
from typing import Protocol

from perpbot.model import Instrument, OrderRequest
from perpbot.venues.events import VenueEvent


class Venue(Protocol):
    """Where orders go. No call returns an order's outcome; `drain_events` does, possibly much later."""

    def instrument(self, symbol: str) -> Instrument:
        """The exchange filters for `symbol`."""
        ...

    def set_leverage(self, symbol: str, leverage: Decimal, ts: int) -> None: ...

    def submit(self, request: OrderRequest, ts: int) -> None:
        """Send an order. It may be accepted, rejected, filled or left unknown: watch the events."""
        ...

    def cancel(self, client_id: str, symbol: str, ts: int) -> None: ...

    def amend(
        self,
        client_id: str,
        symbol: str,
        ts: int,
        *,
        qty: Decimal | None = None,
        price: Decimal | None = None,
        trigger_price: Decimal | None = None,
    ) -> None: ...

    def query_order(self, client_id: str, symbol: str, ts: int) -> None:
        """Ask for an order's state by client id; the answer is an OrderStatusReport event."""
        ...

    def drain_events(self) -> list[VenueEvent]:
        """Every event since the last call, in the order the venue produced them."""
        ...
