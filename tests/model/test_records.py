"""Records that write out their `__init__` (for the compiled core) must still take and keep every field."""

from __future__ import annotations

import dataclasses
from decimal import Decimal
from typing import Any

import pytest
from tests.store.support import small_result

from perpbot.model import Fill, FundingPayment, LiquidityRole, OrderRequest, OrderStatus, OrderType, Side
from perpbot.venues import events


def _event_args() -> list[tuple[type, tuple[Any, ...]]]:
    fill = Fill("e1", "c1", "BTCUSDT", Side.BUY, Decimal("0.1"), Decimal("50000.5"), Decimal("2.75"),
                LiquidityRole.TAKER, 1)
    payment = FundingPayment("BTCUSDT", 2, Decimal("0.0001"), Decimal("50000"), Decimal("0.1"), Decimal("-0.5"))
    request = OrderRequest("c2", "BTCUSDT", Side.SELL, OrderType.MARKET, Decimal("0.1"), reduce_only=True)
    return [
        (events.OrderAccepted, (3, "c1", "v1", OrderStatus.NEW)),
        (events.OrderRejected, (4, "c1", "10001: why")),
        (events.OrderCancelled, (5, "c1", "by the user")),
        (events.OrderAmended, (6, "c1", Decimal("0.2"), None, Decimal("49000"))),
        (events.OrderTriggered, (7, "c1")),
        (events.OrderFilled, (8, fill)),
        (events.OrderCreatedByVenue, (9, request, "c1", "v2")),
        (events.OrderUnknown, (10, "c1", "timeout")),
        (events.OrderStatusReport, (11, "c1", OrderStatus.FILLED, Decimal("0.1"), "done")),
        (events.FundingSettled, (payment,)),
        (events.PositionLiquidated, (12, fill, Decimal("45000"))),
        (Fill, ("e2", "c3", "ETHUSDT", Side.SELL, Decimal("2"), Decimal("3000.25"), Decimal("-0.6"),
                LiquidityRole.MAKER, 13)),
        (FundingPayment, ("ETHUSDT", 14, Decimal("-0.0002"), Decimal("3000"), Decimal("-2"), Decimal("1.2"))),
    ]


@pytest.mark.parametrize(("kind", "args"), _event_args(), ids=lambda v: getattr(v, "__name__", ""))
def test_a_record_keeps_each_argument_in_its_field(kind: type, args: tuple[Any, ...]) -> None:
    record = kind(*args)
    assert [getattr(record, f.name) for f in dataclasses.fields(record)] == list(args)


def _records() -> list[Any]:
    result = small_result()
    decisions = [d for d in result.decisions if d.intent is not None and d.risk is not None][:3]
    found: list[Any] = [*decisions, *(d.intent for d in decisions), *(d.risk for d in decisions)]
    found += [s for d in decisions if d.intent is not None for s in d.intent.signals][:3]
    found += [*result.orders[:3], *(o.request for o in result.orders[:3]), *result.fills[:3], *result.trades[:3],
              *result.ledger.entries[:3], *result.funding[:3]]
    return found + [kind(*args) for kind, args in _event_args()]


@pytest.mark.parametrize("record", _records(), ids=lambda r: type(r).__name__)
def test_a_record_is_made_again_from_its_fields_equal(record: Any) -> None:
    # Every field goes through __init__ by name and is kept: a field missed by the written-out __init__ would
    # raise here (unknown keyword, or unset when read) or come back unequal.
    fields = {f.name: getattr(record, f.name) for f in dataclasses.fields(record) if f.init}
    for again in (type(record)(**fields), dataclasses.replace(record)):
        assert {name: getattr(again, name) for name in fields} == fields
        if all(f.init for f in dataclasses.fields(record)):  # an order's history is not an argument
            assert again == record
            assert repr(again) == repr(record)
