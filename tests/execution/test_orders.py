"""The order manager against the simulated exchange: ids, open orders per symbol, and their removal."""

from __future__ import annotations

from decimal import Decimal

from perpbot.execution.orders import OrderManager
from perpbot.model import OrderStatus, OrderType, Side
from perpbot.model.instrument import REFERENCE_INSTRUMENTS
from perpbot.venues.sim import SimVenue, SimVenueConfig

D = Decimal
BTC, ETH = "BTCUSDT", "ETHUSDT"


def _manager() -> tuple[OrderManager, SimVenue]:
    venue = SimVenue({s: REFERENCE_INSTRUMENTS[s] for s in (BTC, ETH)}, SimVenueConfig(), D("100000"))
    for symbol, price in ((BTC, 50000.0), (ETH, 3000.0)):
        venue.set_leverage(symbol, D(10), 0)
        venue.mark(symbol, price)
    return OrderManager(venue, "t-"), venue


def test_open_orders_are_listed_per_symbol_in_the_order_sent() -> None:
    orders, venue = _manager()
    first = orders.submit(1, BTC, Side.BUY, D("0.01"), order_type=OrderType.LIMIT, price=D(49000))
    other = orders.submit(2, ETH, Side.BUY, D("0.1"), order_type=OrderType.LIMIT, price=D(2900))
    second = orders.submit(3, BTC, Side.BUY, D("0.01"), order_type=OrderType.LIMIT, price=D(48000))
    for event in venue.drain_events():
        orders.apply(event)
    assert [o.client_id for o in orders.open_orders(BTC)] == [first.client_id, second.client_id]
    assert [o.client_id for o in orders.open_orders(ETH)] == [other.client_id]
    assert [o.client_id for o in orders.open_orders()] == [first.client_id, other.client_id, second.client_id]
    assert orders.open_orders("SOLUSDT") == []


def test_a_final_order_leaves_its_symbols_open_orders() -> None:
    orders, venue = _manager()
    resting = orders.submit(1, BTC, Side.BUY, D("0.01"), order_type=OrderType.LIMIT, price=D(49000))
    market = orders.submit(2, BTC, Side.BUY, D("0.01"))
    venue.open_bar(BTC, 3, 50000.0)
    orders.cancel(resting.client_id, 4)
    for event in venue.drain_events():
        orders.apply(event)
    assert market.status is OrderStatus.FILLED
    assert resting.status is OrderStatus.CANCELLED
    assert orders.open_orders(BTC) == []
    assert orders.open_orders() == []
