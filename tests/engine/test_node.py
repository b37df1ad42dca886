"""The node's portfolio view: what the risk manager reads of its positions."""

from __future__ import annotations

from decimal import Decimal

from perpbot.engine.node import PositionSnapshot
from perpbot.execution.positions import Position


def test_a_snapshot_gives_the_positions_own_entry_price_long_short_and_flat() -> None:
    for qty, cost in ((Decimal("0.003"), Decimal("181.6095")), (Decimal("-7"), Decimal("20.9993")),
                      (Decimal(0), Decimal(0))):
        position = Position("BTCUSDT", qty=qty, cost=cost)
        snapshot = PositionSnapshot("BTCUSDT", qty, cost, Decimal(5), None)
        assert snapshot.entry_price == position.entry_price
    assert PositionSnapshot("X", Decimal("0.003"), Decimal("181.6095"), Decimal(5), None).entry_price == Decimal(
        "60536.5")


def test_the_portfolio_view_rebuilds_only_the_snapshots_of_positions_that_moved() -> None:
    import numpy as np

    from perpbot.engine.market import ArrayMarket
    from perpbot.engine.node import TradingNode
    from perpbot.model import Side
    from perpbot.model.instrument import REFERENCE_INSTRUMENTS
    from perpbot.risk.manager import RiskManager
    from perpbot.venues.sim import SimVenue, SimVenueConfig

    symbols = ("BTCUSDT", "ETHUSDT")
    instruments = {s: REFERENCE_INSTRUMENTS[s] for s in symbols}
    venue = SimVenue(instruments, SimVenueConfig(), Decimal(100000))
    market = ArrayMarket({"BTCUSDT": np.full(10, 50000.0), "ETHUSDT": np.full(10, 3000.0)})
    node = TradingNode(venue=venue, instruments=instruments, leverage={s: Decimal(5) for s in symbols},
                       risk=RiskManager(), market=market, starting_balance=Decimal(100000), id_prefix="n-")

    def buy(symbol: str, qty: str, price: float, ts: int) -> None:
        venue.mark(symbol, price)
        node.orders.submit(ts, symbol, Side.BUY, Decimal(qty))
        venue.open_bar(symbol, ts + 1, price)
        node.process_events()

    buy("BTCUSDT", "0.01", 50000.0, 1)
    buy("ETHUSDT", "0.1", 3000.0, 3)
    view = node._portfolio.positions()
    assert {s: (p.qty, p.entry_price, p.leverage) for s, p in view.items()} == {
        "BTCUSDT": (Decimal("0.01"), Decimal(50000), Decimal(5)),
        "ETHUSDT": (Decimal("0.1"), Decimal(3000), Decimal(5)),
    }
    again = node._portfolio.positions()
    assert again["BTCUSDT"] is view["BTCUSDT"] and again["ETHUSDT"] is view["ETHUSDT"]
    buy("BTCUSDT", "0.01", 52000.0, 5)
    after = node._portfolio.positions()
    assert after["ETHUSDT"] is view["ETHUSDT"]
    assert (after["BTCUSDT"].qty, after["BTCUSDT"].entry_price) == (Decimal("0.02"), Decimal(51000))


def test_a_trade_is_credited_to_the_weighted_strategies_that_point_its_way() -> None:
    from perpbot.engine.node import _agreeing
    from perpbot.model import Direction, Intent, Signal

    signals = tuple(Signal(name, "BTCUSDT", "1m", 0, value) for name, value in
                    (("trend", 0.8), ("revert", -0.5), ("quiet", 0.0), ("muted", 0.9), ("late", 0.4),
                     ("nan", float("nan"))))
    # "muted" has no weight in this regime, "late" had one that a later entry set to 0; "nan" points nowhere
    weights = (("trend", 1.0), ("revert", 2.0), ("quiet", 1.0), ("muted", 0.0), ("late", 1.0), ("late", 0.0),
               ("nan", 1.0))

    def credited(direction: Direction) -> tuple[str, ...]:
        return _agreeing(Intent("BTCUSDT", 0, direction, 1.0, 100.0, None, None, "trending", 1.0, signals,
                                weights))

    assert credited(Direction.LONG) == ("trend",)
    assert credited(Direction.SHORT) == ("revert",)
    assert credited(Direction.FLAT) == ()
