"""Entries and reversals as passive limit orders: maker fills at the limit, never two resting at once."""

from __future__ import annotations

import itertools
from decimal import Decimal
from typing import Any

import pytest

from perpbot.engine.decisions import Action
from perpbot.engine.service import run_backtest
from perpbot.errors import ConfigError
from perpbot.execution.entry import entry_limit_price
from perpbot.model import LiquidityRole, OrderStatus, OrderType, Side, TimeInForce
from perpbot.model.instrument import REFERENCE_INSTRUMENTS
from tests.engine.test_backtest_loop import _config, _source


def _limit_config(**execution: Any) -> Any:
    return _config(execution={"entry_order": "limit", **execution})


def _opening_orders(result: Any) -> list[Any]:
    return [o for o in result.orders if o.request.tag in ("entry", "reversal")]


def test_limit_entries_fill_as_maker_at_their_price() -> None:
    result = run_backtest(_limit_config(limit_offset_bps="5"), _source())
    opening = _opening_orders(result)
    assert opening and all(o.request.order_type is OrderType.LIMIT for o in opening)
    filled = {o.client_id: o for o in opening if o.status is OrderStatus.FILLED}
    assert len(filled) > 5
    maker_fee = Decimal("0.0002")
    for fill in result.fills:
        order = filled.get(fill.client_id)
        if order is None:
            continue
        assert fill.role is LiquidityRole.MAKER
        assert fill.price == order.request.price
        assert fill.fee == fill.qty * fill.price * maker_fee


def test_limit_prices_sit_the_offset_away_on_the_passive_side() -> None:
    result = run_backtest(_limit_config(limit_offset_bps="5"), _source())
    by_id = {d.client_ids[0]: d for d in result.decisions if d.action in (Action.ENTER, Action.REVERSE)}
    checked = 0
    for order in _opening_orders(result):
        decision = by_id[order.client_id]
        assert decision.intent is not None
        close = Decimal(repr(decision.intent.reference_price))
        price = order.request.price
        assert price is not None
        if order.request.side is Side.BUY:
            assert price <= close * (1 - Decimal("0.0005"))
        else:
            assert price >= close * (1 + Decimal("0.0005"))
        checked += 1
    assert checked > 5


def test_a_new_decision_withdraws_the_unfilled_limit_first() -> None:
    # Far from the market, most limits never fill: each must be cancelled before the next goes out.
    result = run_backtest(_limit_config(limit_offset_bps="200"), _source())
    opening = sorted(_opening_orders(result), key=lambda o: o.created_ts)
    cancelled = [o for o in opening if o.status is OrderStatus.CANCELLED]
    assert cancelled, "a 2% offset leaves limits unfilled for the next decision to withdraw"
    for symbol in {o.symbol for o in opening}:
        mine = [o for o in opening if o.symbol == symbol]
        for earlier, later in itertools.pairwise(mine):
            ended = max(ts for ts, status, _ in earlier.history if status in (
                OrderStatus.FILLED, OrderStatus.CANCELLED, OrderStatus.REJECTED))
            assert ended <= later.created_ts, f"{later.client_id} was sent while {earlier.client_id} still rested"


def test_limit_entries_step_equivalence_and_ledger() -> None:
    config = _limit_config(limit_offset_bps="3")
    fast = run_backtest(config, _source())
    slow = run_backtest(config, _source(), step_every_bar=True)
    assert fast.trades == slow.trades
    assert fast.ledger.balance == slow.ledger.balance
    fast.ledger.check()


def test_post_only_orders_are_post_only() -> None:
    result = run_backtest(_limit_config(post_only=True, limit_offset_bps="1"), _source())
    assert all(o.request.time_in_force is TimeInForce.POST_ONLY for o in _opening_orders(result))


@pytest.mark.parametrize("execution", [{"post_only": True}, {"limit_offset_bps": "5"}])
def test_limit_options_without_limit_entries_are_refused(execution: dict[str, Any]) -> None:
    with pytest.raises(ConfigError, match="entry_order='limit'"):
        _config(execution=execution)


def test_offset_out_of_range_names_the_field() -> None:
    with pytest.raises(ConfigError, match="limit_offset_bps"):
        _config(execution={"entry_order": "limit", "limit_offset_bps": "900"})


def test_entry_limit_price_rounds_away_from_the_market() -> None:
    btc = REFERENCE_INSTRUMENTS["BTCUSDT"]
    assert entry_limit_price(btc, Side.BUY, Decimal("60000.05"), Decimal(0)) == Decimal("60000.0")
    assert entry_limit_price(btc, Side.SELL, Decimal("60000.05"), Decimal(0)) == Decimal("60000.1")
    assert entry_limit_price(btc, Side.BUY, Decimal("60000"), Decimal(10)) == Decimal("59940.0")


@pytest.mark.parametrize("execution", [{}, {"entry_order": "limit", "limit_offset_bps": "200"}])
def test_the_end_of_data_leaves_no_live_order(execution: dict[str, Any]) -> None:
    # A limit sent at the last decision is still unacknowledged when the run closes out; it must go too.
    result = run_backtest(_config(execution=execution), _source())
    live = [o.client_id for o in result.orders if not o.status.is_final]
    assert live == []
