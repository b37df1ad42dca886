from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from perpbot.errors import IllegalTransition
from perpbot.model import Order, OrderRequest, OrderStatus, OrderType, Side
from perpbot.model.order import CLIENT_ID_ALPHABET, TRANSITIONS, validate_client_id


def _order(qty: str = "1") -> Order:
    return Order(OrderRequest("pb-1", "BTCUSDT", Side.BUY, OrderType.MARKET, Decimal(qty)), created_ts=0)


def test_happy_path_records_history() -> None:
    order = _order("2")
    order.transition(OrderStatus.SUBMITTED, 1)
    order.transition(OrderStatus.NEW, 2)
    order.apply_fill(Decimal("0.5"), Decimal("100"), Decimal("0.01"), 3)
    assert order.status is OrderStatus.PARTIALLY_FILLED
    order.apply_fill(Decimal("1.5"), Decimal("102"), Decimal("0.03"), 4)
    assert order.status is OrderStatus.FILLED
    assert order.avg_price == Decimal("101.5")
    assert [h[1] for h in order.history] == [
        OrderStatus.SUBMITTED, OrderStatus.NEW, OrderStatus.PARTIALLY_FILLED, OrderStatus.FILLED]
    assert order.filled_qty == Decimal(2) and order.filled_value == Decimal(203) and order.fees == Decimal("0.04")


@given(created=st.integers(0, 2**41), steps=st.lists(st.integers(0, 10**9), min_size=3, max_size=3),
       amend=st.booleans())
def test_history_keeps_each_changes_own_time_and_reason(created: int, steps: list[int], amend: bool) -> None:
    order = Order(OrderRequest("pb-1", "BTCUSDT", Side.BUY, OrderType.LIMIT, Decimal(2), price=Decimal(10)),
                  created_ts=created)
    times = [created + sum(steps[:i + 1]) for i in range(3)]
    order.transition(OrderStatus.SUBMITTED, times[0], "sent")
    order.transition(OrderStatus.NEW, times[1])
    if amend:
        order.amend(times[1], price=Decimal(11))
    order.apply_fill(Decimal(2), Decimal(11), Decimal("0.1"), times[2])
    expected = [(times[0], OrderStatus.SUBMITTED, "sent"), (times[1], OrderStatus.NEW, "")]
    expected += [(times[1], OrderStatus.NEW, "amended")] if amend else []
    assert list(order.history) == [*expected, (times[2], OrderStatus.FILLED, "")]


def test_orders_filled_at_once_share_one_history_yet_read_their_own_times() -> None:
    orders = [_order() for _ in range(2)]
    for created, order in zip((1_700_000_000_000, 1_700_000_060_000), orders, strict=True):
        order.created_ts = created
        order.transition(OrderStatus.SUBMITTED, created)
        order.transition(OrderStatus.NEW, created)
        qty, fee = Decimal(1), Decimal("0.055")
        order.apply_fill(qty, Decimal(100), fee, created)
        assert order.filled_qty is qty and order.fees is fee  # a first fill's own Decimals, not equal new ones
    assert orders[0]._changes is orders[1]._changes
    assert [h[0] for h in orders[1].history] == [1_700_000_060_000] * 3


def test_illegal_transition_raises_and_names_states() -> None:
    order = _order()
    with pytest.raises(IllegalTransition, match="cannot go from Created to Filled"):
        order.transition(OrderStatus.FILLED, 1)


def test_overfill_is_refused() -> None:
    order = _order("1")
    order.transition(OrderStatus.SUBMITTED, 1)
    order.transition(OrderStatus.NEW, 1)
    with pytest.raises(ValueError, match="fill qty 2"):
        order.apply_fill(Decimal(2), Decimal(1), Decimal(0), 2)


def test_final_states_have_no_exit() -> None:
    for status in OrderStatus:
        if status.is_final:
            assert TRANSITIONS[status] == frozenset()


@given(st.lists(st.sampled_from(list(OrderStatus)), max_size=12))
def test_state_machine_only_moves_along_the_table(moves: list[OrderStatus]) -> None:
    order = _order()
    for target in moves:
        before = order.status
        if target in TRANSITIONS[before]:
            order.transition(target, 0)
            assert order.status is target
        else:
            with pytest.raises(IllegalTransition):
                order.transition(target, 0)
            assert order.status is before


@pytest.mark.parametrize("bad", ["", "x" * 37, "has space", "ümlaut", "a/b", "pb-1\n", "\u0661", "K\u212a"])
def test_client_id_rule(bad: str) -> None:
    with pytest.raises(ValueError, match="client id"):
        validate_client_id(bad)


@given(st.text(alphabet=st.sampled_from([*sorted(CLIENT_ID_ALPHABET), "\n", " ", "é", "\u0661", "\u212a"]),
               max_size=40))
def test_client_id_rule_is_length_and_alphabet(client_id: str) -> None:
    allowed = 0 < len(client_id) <= 36 and set(client_id) <= CLIENT_ID_ALPHABET
    try:
        validate_client_id(client_id)
        accepted = True
    except ValueError:
        accepted = False
    assert accepted == allowed


def test_request_rules() -> None:
    with pytest.raises(ValueError, match="limit order needs a price"):
        OrderRequest("a", "BTCUSDT", Side.BUY, OrderType.LIMIT, Decimal(1))
    with pytest.raises(ValueError, match="reduce-only order cannot carry"):
        OrderRequest("a", "BTCUSDT", Side.BUY, OrderType.MARKET, Decimal(1), reduce_only=True,
                     stop_loss=Decimal(1))
    with pytest.raises(ValueError, match="qty must be positive"):
        OrderRequest("a", "BTCUSDT", Side.BUY, OrderType.MARKET, Decimal(0))
