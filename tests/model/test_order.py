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
