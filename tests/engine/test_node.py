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
