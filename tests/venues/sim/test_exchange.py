"""The simulated exchange against hand-worked numbers (fees, funding both ways, a stop, a liquidation)."""

from decimal import Decimal

import pytest

from perpbot.model import OrderRequest, OrderStatus, OrderType, Side, TimeInForce, TriggerKind
from perpbot.model.instrument import REFERENCE_INSTRUMENTS
from perpbot.venues.events import (
    FundingSettled,
    OrderAccepted,
    OrderCancelled,
    OrderCreatedByVenue,
    OrderFilled,
    OrderRejected,
    OrderStatusReport,
    PositionLiquidated,
)
from perpbot.venues.sim import SimVenue, SimVenueConfig

D = Decimal
BTC = "BTCUSDT"


def venue(balance: str = "10000", **config: object) -> SimVenue:
    v = SimVenue({BTC: REFERENCE_INSTRUMENTS[BTC]}, SimVenueConfig(**config), D(balance))  # type: ignore[arg-type]
    v.set_leverage(BTC, D(10), 0)
    return v


def market(cid: str, side: Side, qty: str, **kw: object) -> OrderRequest:
    return OrderRequest(cid, BTC, side, OrderType.MARKET, D(qty), **kw)  # type: ignore[arg-type]


def fills(events: list) -> list:
    return [e.fill for e in events if isinstance(e, OrderFilled)]


def test_hand_worked_ledger_to_the_cent() -> None:
    v = venue()
    v.mark(BTC, 50000.0)
    v.submit(market("a1", Side.BUY, "0.1", stop_loss=D(49000), take_profit=D(52000)), 0)
    v.open_bar(BTC, 1, 50000.0)
    v.intrabar(BTC, 1, 50000.0, 50400.0, 49800.0, 50300.0)
    events = v.drain_events()
    assert isinstance(events[0], OrderAccepted)
    (entry,) = fills(events)
    assert entry.price == D(50000) and entry.fee == D("2.75000")
    children = [e.request for e in events if isinstance(e, OrderCreatedByVenue)]
    assert {c.trigger for c in children} == {TriggerKind.STOP_LOSS, TriggerKind.TAKE_PROFIT}
    assert all(c.reduce_only for c in children)

    v.settle_funding(BTC, 2, D("0.0001"), 50500.0)  # long pays 0.1 x 50500 x 0.0001
    v.open_bar(BTC, 2, 50500.0)
    v.intrabar(BTC, 2, 50500.0, 51000.0, 48900.0, 49100.0)  # the stop at 49000 is hit inside the bar
    events = v.drain_events()
    funding = [e.payment for e in events if isinstance(e, FundingSettled)]
    assert funding[0].amount == D("-0.50500")
    (stop,) = fills(events)
    assert stop.client_id == "a1s" and stop.price == D(49000) and stop.fee == D("2.69500")
    assert any(isinstance(e, OrderCancelled) and e.client_id == "a1t" for e in events)  # OCO
    assert v.balance == D("9894.05")

    v.submit(market("a2", Side.SELL, "0.2", stop_loss=D(50000), take_profit=D(47000)), 3)
    v.open_bar(BTC, 3, 49000.0)
    v.intrabar(BTC, 3, 49000.0, 49200.0, 48500.0, 48600.0)
    v.settle_funding(BTC, 4, D("0.0001"), 48000.0)  # short receives 0.2 x 48000 x 0.0001
    v.open_bar(BTC, 4, 48000.0)
    v.intrabar(BTC, 4, 48000.0, 48100.0, 46900.0, 47100.0)  # take-profit at 47000
    events = v.drain_events()
    assert [e.payment.amount for e in events if isinstance(e, FundingSettled)] == [D("0.96000")]
    assert [f.price for f in fills(events)] == [D(49000), D(47000)]
    assert v.balance == D("10284.45")

    v.set_leverage(BTC, D(50), 5)
    v.mark(BTC, 20000.0)
    v.submit(market("a3", Side.BUY, "1"), 5)
    v.open_bar(BTC, 6, 20000.0)
    assert v.liquidation_price(BTC) == D(19700)  # help-centre example: 20000 x (1 - 1/50 + 0.005)
    v.intrabar(BTC, 6, 20000.0, 20100.0, 19650.0, 19800.0)
    events = v.drain_events()
    (liq,) = [e for e in events if isinstance(e, PositionLiquidated)]
    assert liq.fill.price == D(19600) and liq.fill.fee == 0  # closed at the bankruptcy price
    assert v.balance == D("9873.45")
    assert v.position_qty(BTC) == 0 and v.stats.liquidations == 1


def test_stop_and_take_profit_in_one_bar_counts_as_stop_and_is_counted() -> None:
    v = venue()
    v.mark(BTC, 50000.0)
    v.submit(market("b1", Side.BUY, "0.1", stop_loss=D(49500), take_profit=D(50500)), 0)
    v.open_bar(BTC, 1, 50000.0)
    v.intrabar(BTC, 1, 50000.0, 50600.0, 49400.0, 50550.0)
    (_entry, exit_) = fills(v.drain_events())
    assert exit_.client_id == "b1s" and exit_.price == D(49500)
    assert v.stats.ambiguous_bars == 1


def test_gap_through_the_stop_fills_at_the_open() -> None:
    v = venue()
    v.mark(BTC, 50000.0)
    v.submit(market("c1", Side.BUY, "0.1", stop_loss=D(49500)), 0)
    v.open_bar(BTC, 1, 50000.0)
    v.intrabar(BTC, 1, 50000.0, 50100.0, 49900.0, 50000.0)
    v.drain_events()
    v.intrabar(BTC, 2, 49000.0, 49100.0, 48800.0, 49000.0)
    (stop,) = fills(v.drain_events())
    assert stop.price == D(49000)


def test_slippage_is_adverse_and_on_the_tick() -> None:
    v = venue(slippage_bps=D(3))
    v.mark(BTC, 50000.0)
    v.submit(market("d1", Side.BUY, "0.1"), 0)
    v.open_bar(BTC, 1, 50000.0)
    (buy,) = fills(v.drain_events())
    assert buy.price == D("50015.0")


def test_limit_orders_fill_only_through_the_price_as_maker() -> None:
    v = venue()
    v.mark(BTC, 50000.0)
    v.submit(OrderRequest("l1", BTC, Side.BUY, OrderType.LIMIT, D("0.1"), price=D(49000)), 0)
    v.intrabar(BTC, 1, 50000.0, 50100.0, 49000.0, 49500.0)  # touches, does not trade through
    assert fills(v.drain_events()) == []
    v.intrabar(BTC, 2, 49500.0, 49600.0, 48900.0, 49200.0)
    (f,) = fills(v.drain_events())
    assert f.price == D(49000) and f.fee == D("0.1") * D(49000) * D("0.0002")


def test_rejections_name_the_rule() -> None:
    v = venue(balance="100")
    v.mark(BTC, 50000.0)
    v.submit(market("r1", Side.BUY, "0.5"), 0)
    v.submit(market("r2", Side.SELL, "0.1", reduce_only=True), 0)
    v.submit(market("r3", Side.BUY, "0.0015"), 0)
    v.submit(market("r4", Side.BUY, "0.001", stop_loss=D(51000)), 0)
    reasons = {e.client_id: e.reason for e in v.drain_events() if isinstance(e, OrderRejected)}
    assert reasons["r1"].startswith("110007")
    assert reasons["r2"].startswith("110017")
    assert "qtyStep" in reasons["r3"]
    assert "stop loss" in reasons["r4"]


def test_prices_off_the_tick_are_refused_by_name() -> None:
    v = venue()
    v.mark(BTC, 50000.0)
    v.submit(market("p1", Side.BUY, "0.01", stop_loss=D("49000.05")), 0)
    v.submit(market("p2", Side.BUY, "0.01", stop_loss=D(49000), take_profit=D("52000.01")), 0)
    v.submit(OrderRequest("p3", BTC, Side.BUY, OrderType.LIMIT, D("0.01"), price=D("40000.07")), 0)
    v.submit(market("p4", Side.BUY, "0.01", stop_loss=D("49000.1"), take_profit=D("52000.0")), 0)
    events = v.drain_events()
    reasons = {e.client_id: e.reason for e in events if isinstance(e, OrderRejected)}
    assert reasons == {
        "p1": "10001: stop_loss 49000.05 is not a multiple of tickSize 0.1",
        "p2": "10001: take_profit 52000.01 is not a multiple of tickSize 0.1",
        "p3": "10001: price 40000.07 is not a multiple of tickSize 0.1",
    }
    assert [e.client_id for e in events if isinstance(e, OrderAccepted)] == ["p4"]


def test_reduce_only_is_truncated_to_the_position() -> None:
    v = venue()
    v.mark(BTC, 50000.0)
    v.submit(market("t1", Side.BUY, "0.1"), 0)
    v.open_bar(BTC, 1, 50000.0)
    v.submit(market("t2", Side.SELL, "0.1", reduce_only=True), 1)
    v.submit(market("t3", Side.SELL, "0.1", reduce_only=True), 1)
    v.open_bar(BTC, 2, 50000.0)
    events = v.drain_events()
    assert [f.client_id for f in fills(events)] == ["t1", "t2"]
    assert any(isinstance(e, OrderCancelled) and e.client_id == "t3" and e.reason == "CancelByReduceOnly"
               for e in events)


def test_cancel_and_query_unknown_order() -> None:
    v = venue()
    v.mark(BTC, 50000.0)
    v.submit(OrderRequest("q1", BTC, Side.BUY, OrderType.LIMIT, D("0.1"), price=D(40000)), 0)
    v.cancel("q1", BTC, 1)
    v.query_order("nope", BTC, 2)
    events = v.drain_events()
    assert isinstance(events[1], OrderCancelled)
    report = events[2]
    assert isinstance(report, OrderStatusReport) and report.reason == "EC_OrderNotExist"
    assert report.status is OrderStatus.REJECTED


def test_orders_with_nothing_filled_share_one_record_and_queries_report_each_as_it_stands() -> None:
    v = venue()
    v.mark(BTC, 50000.0)
    for cid in ("c1", "c2"):
        v.submit(OrderRequest(cid, BTC, Side.BUY, OrderType.LIMIT, D("0.1"), price=D(40000)), 0)
        v.cancel(cid, BTC, 1)
    v.submit(market("m1", Side.BUY, "0.1"), 1)
    v.open_bar(BTC, 2, 50000.0)
    assert v._status["c1"] is v._status["c2"]  # a run keeps one per order it ever placed
    v.drain_events()
    for cid in ("c1", "c2", "m1"):
        v.query_order(cid, BTC, 3)
    reports = v.drain_events()
    assert [(r.status, r.filled_qty) for r in reports] == [  # type: ignore[attr-defined]
        (OrderStatus.CANCELLED, D(0)), (OrderStatus.CANCELLED, D(0)), (OrderStatus.FILLED, D("0.1"))]


def test_take_changed_names_each_symbol_a_call_may_have_changed_once() -> None:
    eth = "ETHUSDT"
    v = SimVenue({BTC: REFERENCE_INSTRUMENTS[BTC], eth: REFERENCE_INSTRUMENTS[eth]}, SimVenueConfig(), D("10000"))
    v.set_leverage(BTC, D(10), 0)
    assert v.take_changed() == {BTC}
    assert v.take_changed() == set()  # asked again with nothing changed
    v.mark(BTC, 50000.0)
    v.mark(eth, 3000.0)
    v.query_order("nope", eth, 1)
    v.drain_events()
    assert v.take_changed() == set()  # marks, queries and reading events change no book
    v.submit(market("a1", Side.BUY, "0.1", stop_loss=D(49000)), 2)
    assert v.take_changed() == {BTC}
    v.open_bar(BTC, 3, 50000.0)
    v.settle_funding(eth, 4, D("0.0001"), 3000.0)
    assert v.take_changed() == {BTC, eth}
    v.amend("a1s", BTC, 5, trigger_price=D(49500))
    assert v.take_changed() == {BTC}
    v.intrabar(eth, 6, 3000.0, 3010.0, 2990.0, 3005.0)
    v.cancel("a1s", BTC, 7)
    assert v.take_changed() == {BTC, eth}


def test_leverage_bounds() -> None:
    v = venue()
    with pytest.raises(ValueError, match="leverage must be in"):
        v.set_leverage(BTC, D(500), 0)


def test_activation_levels_follow_every_change_to_the_book() -> None:
    inf = float("inf")
    v = venue()
    assert v.activation_levels(BTC) == (inf, inf, -inf, -inf)
    v.mark(BTC, 50000.0)
    v.submit(market("a1", Side.BUY, "0.1", stop_loss=D(49000)), 0)
    v.open_bar(BTC, 1, 50000.0)  # the fill places the stop and sets a liquidation price below it
    first = v.activation_levels(BTC)
    assert first[0] == inf and first[2] == 49000.0
    assert v.activation_levels(BTC) == first  # asked again with nothing changed: the same answer
    v.amend("a1s", BTC, 2, trigger_price=D(49500))
    assert v.activation_levels(BTC)[2] == 49500.0
    v.submit(OrderRequest("l1", BTC, Side.SELL, OrderType.LIMIT, D("0.1"), price=D(51000), reduce_only=True), 3)
    assert 51000.0 in v.activation_levels(BTC)[:2]  # high >= or > the limit, by the fill model
    v.cancel("l1", BTC, 4)
    assert v.activation_levels(BTC)[:2] == (inf, inf)
    v.submit(market("x1", Side.SELL, "0.1"), 5)
    v.open_bar(BTC, 6, 50000.0)  # flat again: the stop is cleared with the position
    assert v.activation_levels(BTC) == (inf, inf, -inf, -inf)


def test_the_margin_check_counts_every_open_position_at_its_current_cost_and_leverage() -> None:
    # Each position's margin is kept while its cost stands; a fill that changes the cost, or a new leverage,
    # must be what the next order's check sees.
    eth = "ETHUSDT"
    v = SimVenue({BTC: REFERENCE_INSTRUMENTS[BTC], eth: REFERENCE_INSTRUMENTS[eth]}, SimVenueConfig(), D(3000))
    v.set_leverage(BTC, D(10), 0)
    v.set_leverage(eth, D(5), 0)
    v.mark(BTC, 50000.0)
    v.mark(eth, 3000.0)

    def free_for_a_large_eth_order(ts: int) -> str:
        v.submit(OrderRequest(f"e{ts}", eth, Side.BUY, OrderType.MARKET, D(100)), ts)
        (rejected,) = [e for e in v.drain_events() if isinstance(e, OrderRejected)]
        return rejected.reason.split("available balance ")[1].split(" ")[0]

    def fill(cid: str, side: Side, qty: str, ts: int, **kw: object) -> None:
        v.submit(market(cid, side, qty, **kw), ts)
        v.open_bar(BTC, ts, 50000.0)
        assert len(fills(v.drain_events())) == 1

    fill("b1", Side.BUY, "0.1", 1)  # fee 2.75; margin 5000 / 10
    assert free_for_a_large_eth_order(2) == str(D(3000) - D("2.75") - D(500))
    fill("b2", Side.BUY, "0.1", 3)  # another 2.75; the cost doubles, and so does the margin
    assert free_for_a_large_eth_order(4) == str(D(3000) - 2 * D("2.75") - D(1000))
    fill("b3", Side.SELL, "0.2", 5, reduce_only=True)  # flat: no margin (fees 5.5, PnL 0)
    v.set_leverage(BTC, D(2), 6)
    fill("b4", Side.BUY, "0.02", 7)  # fee 0.55; margin 1000 / 2 at the new leverage
    assert free_for_a_large_eth_order(8) == str(D(3000) - 4 * D("2.75") - D("0.55") - D(500))


def test_filled_orders_of_the_same_size_share_the_venues_record_and_report_their_own_status() -> None:
    # The venue remembers every order for status queries; orders that filled the same qty object share one record
    # (a run fills the same few sizes all year), and each still reports what happened to it.
    v = venue()
    v.mark(BTC, 50000.0)
    size = D("0.1")
    v.submit(market("q1", Side.BUY, "0.1"), 0)
    v.open_bar(BTC, 1, 50000.0)
    v.submit(OrderRequest("q2", BTC, Side.SELL, OrderType.MARKET, size), 1)
    v.submit(OrderRequest("q3", BTC, Side.BUY, OrderType.MARKET, size), 1)
    v.open_bar(BTC, 2, 50000.0)
    v.submit(OrderRequest("q4", BTC, Side.BUY, OrderType.LIMIT, size, price=D(40000)), 2)
    v.cancel("q4", BTC, 3)
    v.drain_events()
    for cid in ("q1", "q2", "q3", "q4", "never"):
        v.query_order(cid, BTC, 4)
    reports = {e.client_id: (e.status, e.filled_qty, e.reason) for e in v.drain_events()
               if isinstance(e, OrderStatusReport)}
    assert reports == {"q1": (OrderStatus.FILLED, size, ""), "q2": (OrderStatus.FILLED, size, ""),
                       "q3": (OrderStatus.FILLED, size, ""), "q4": (OrderStatus.CANCELLED, D(0), ""),
                       "never": (OrderStatus.REJECTED, D(0), "EC_OrderNotExist")}
    assert v._status["q2"] is v._status["q3"]  # the same qty object: one record


def test_rejection_texts_in_full() -> None:
    # Every admission rule's text, byte for byte: the margin of an order that adds, reverses or only closes (its
    # taker fee counted either way), post-only, a trigger off the tick, the take-profit's side, the notional.
    v = venue(balance="1000")
    v.mark(BTC, 50000.0)
    v.submit(market("a", Side.BUY, "0.25"), 0)
    v.submit(market("b", Side.BUY, "0.1"), 0)
    v.open_bar(BTC, 1, 50000.0)
    v.mark(BTC, 50000.0)
    v.submit(market("c", Side.SELL, "0.3"), 1)  # reverses: 0.2 adds exposure, 0.1 closes
    v.submit(market("d", Side.SELL, "0.15"), 1)  # reverses: 0.05 adds
    v.submit(market("e", Side.SELL, "0.1"), 1)  # only closes: no margin
    v.submit(market("f", Side.BUY, "0.2"), 1)  # adds on the position's side
    v.submit(OrderRequest("g", BTC, Side.BUY, OrderType.LIMIT, D("0.01"), price=D(50001),
                          time_in_force=TimeInForce.POST_ONLY), 1)
    v.submit(OrderRequest("h", BTC, Side.SELL, OrderType.MARKET, D("0.01"), trigger_price=D("48000.01"),
                          trigger=TriggerKind.STOP_LOSS, reduce_only=True), 1)
    v.submit(market("i", Side.BUY, "0.001", take_profit=D(49000)), 1)
    v.submit(OrderRequest("j", BTC, Side.BUY, OrderType.LIMIT, D("0.001"), price=D(1000)), 1)
    events = v.drain_events()
    reasons = {e.client_id: e.reason for e in events if isinstance(e, OrderRejected)}
    assert reasons == {
        "a": "110007: available balance 1000.00 is below the 1256.88 this order needs",
        "c": "110007: available balance 494.50 is below the 1005.50 this order needs",
        "f": "110007: available balance 497.25 is below the 1005.50 this order needs",
        "g": "EC_PostOnlyWillTakeLiquidity",
        "h": "10001: price 48000.01 is not a multiple of tickSize 0.1",
        "i": "10001: take profit 49000 must be on the winning side of 50000.0",
        "j": "10001: notional 1.000 is below minNotionalValue 5",
    }
    assert [e.client_id for e in events if isinstance(e, OrderAccepted)] == ["b", "d", "e"]


def test_a_closed_position_cancels_its_reduce_only_orders_in_order() -> None:
    # The stop, the take-profit and a reduce-only limit go, in the order they rest; an opening limit stays.
    v = venue()
    v.mark(BTC, 50000.0)
    v.submit(market("o1", Side.BUY, "0.1", stop_loss=D(49000), take_profit=D(52000)), 0)
    v.open_bar(BTC, 1, 50000.0)
    v.submit(OrderRequest("x1", BTC, Side.SELL, OrderType.LIMIT, D("0.05"), price=D(53000), reduce_only=True), 1)
    v.submit(OrderRequest("b1", BTC, Side.BUY, OrderType.LIMIT, D("0.05"), price=D(45000)), 1)
    v.submit(OrderRequest("x2", BTC, Side.SELL, OrderType.LIMIT, D("0.05"), price=D(54000), reduce_only=True), 1)
    v.submit(market("c1", Side.SELL, "0.1", reduce_only=True), 1)
    v.open_bar(BTC, 2, 50100.0)
    events = v.drain_events()
    cancelled = [(e.client_id, e.reason) for e in events if isinstance(e, OrderCancelled)]
    assert cancelled == [("o1s", "CancelByTpSlTsClear"), ("o1t", "CancelByTpSlTsClear"),
                         ("x1", "CancelByTpSlTsClear"), ("x2", "CancelByTpSlTsClear")]
    assert v.has_resting(BTC) and not v.has_pending_market(BTC)
    for cid in ("o1s", "x2", "b1", "c1"):
        v.query_order(cid, BTC, 3)
    status = {e.client_id: (e.status, e.filled_qty) for e in v.drain_events() if isinstance(e, OrderStatusReport)}
    assert status == {"o1s": (OrderStatus.CANCELLED, D(0)), "x2": (OrderStatus.CANCELLED, D(0)),
                      "b1": (OrderStatus.NEW, D(0)), "c1": (OrderStatus.FILLED, D("0.1"))}


def test_a_qty_that_passed_before_is_still_checked_against_the_price() -> None:
    # The same qty object passes the quantity rules once for all; the rules of the price and the notional are
    # checked again for every order, and a limit order checks everything.
    v = venue()
    qty = D("0.001")
    v.mark(BTC, 50000.0)
    v.submit(market("q1", Side.BUY, "0.001"), 0)
    v.submit(OrderRequest("q2", BTC, Side.BUY, OrderType.MARKET, qty), 0)
    v.mark(BTC, 1000.0)
    v.submit(OrderRequest("q3", BTC, Side.BUY, OrderType.MARKET, qty), 0)
    v.submit(OrderRequest("q4", BTC, Side.BUY, OrderType.LIMIT, qty, price=D("1000.05")), 0)
    events = v.drain_events()
    assert [e.client_id for e in events if isinstance(e, OrderAccepted)] == ["q1", "q2"]
    assert {e.client_id: e.reason for e in events if isinstance(e, OrderRejected)} == {
        "q3": "10001: notional 1.0000 is below minNotionalValue 5",
        "q4": "10001: price 1000.05 is not a multiple of tickSize 0.1",
    }
