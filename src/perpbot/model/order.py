"""Orders: the immutable request and the mutable order that moves through an explicit state machine."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Final, cast

from perpbot.errors import IllegalTransition
from perpbot.model.enums import OrderStatus, OrderType, Side, TimeInForce, TriggerKind

ZERO: Final = Decimal(0)  # compared with as a Decimal: against the int 0, every comparison converted it

S = OrderStatus

# Every legal move. Self-moves on live states are amends or further partial fills.
TRANSITIONS: Final[dict[OrderStatus, frozenset[OrderStatus]]] = {
    S.CREATED: frozenset({S.SUBMITTED, S.REJECTED}),
    S.SUBMITTED: frozenset(
        {S.NEW, S.UNTRIGGERED, S.PARTIALLY_FILLED, S.FILLED, S.CANCELLED, S.REJECTED, S.UNKNOWN}
    ),
    # An UNKNOWN order is resolved by finding it (any live or final state) or proving it never arrived.
    S.UNKNOWN: frozenset({S.NEW, S.UNTRIGGERED, S.PARTIALLY_FILLED, S.FILLED, S.CANCELLED, S.REJECTED}),
    S.NEW: frozenset({S.NEW, S.PARTIALLY_FILLED, S.FILLED, S.CANCELLED, S.UNKNOWN}),
    S.UNTRIGGERED: frozenset(
        {S.UNTRIGGERED, S.NEW, S.PARTIALLY_FILLED, S.FILLED, S.CANCELLED, S.DEACTIVATED, S.UNKNOWN}
    ),
    S.PARTIALLY_FILLED: frozenset({S.PARTIALLY_FILLED, S.FILLED, S.CANCELLED, S.UNKNOWN}),
    S.FILLED: frozenset(),
    S.CANCELLED: frozenset(),
    S.REJECTED: frozenset(),
    S.DEACTIVATED: frozenset(),
}

# An order's changes (see `Order._changes`) when it was submitted, accepted and filled in the bar it was made.
_FILLED_AT_ONCE: Final[tuple[int | OrderStatus | str, ...]] = (0, S.SUBMITTED, "", 0, S.NEW, "", 0, S.FILLED, "")

CLIENT_ID_ALPHABET: Final = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-")
_CLIENT_ID: Final = re.compile(r"[A-Za-z0-9_-]{1,36}")


def validate_client_id(client_id: str) -> str:
    """Bybit's orderLinkId rule: 1 to 36 characters of [A-Za-z0-9_-]."""
    # String methods first: compiled, the regular expression was a tenth of an order's submission. ASCII letters
    # and digits are what `isalnum` accepts of an ASCII string; the rest is left to the expression.
    plain = client_id.replace("-", "").replace("_", "")
    if 0 < len(client_id) <= 36 and client_id.isascii() and (plain.isalnum() or not plain):
        return client_id
    if _CLIENT_ID.fullmatch(client_id) is None:
        raise ValueError(f"client id must be 1-36 chars of [A-Za-z0-9_-], was {client_id!r}")
    return client_id


# Records made for every order write out `__init__` (compiled; see perpbot.model.trading's docstring).
@dataclass(slots=True, init=False, unsafe_hash=True)
class OrderRequest:
    """What the bot asks the venue for. `trigger_price` makes it a conditional (stop/take-profit) order."""

    client_id: Final[str]
    symbol: Final[str]
    side: Final[Side]
    order_type: Final[OrderType]
    qty: Final[Decimal]
    price: Final[Decimal | None]
    trigger_price: Final[Decimal | None]
    trigger: Final[TriggerKind]
    reduce_only: Final[bool]
    time_in_force: Final[TimeInForce]
    tag: Final[str]
    # Protective prices attached to an entry, as Bybit's create accepts them: the venue places
    # them as reduce-only conditional orders the moment the entry fills.
    stop_loss: Final[Decimal | None]
    take_profit: Final[Decimal | None]

    def __init__(self, client_id: str, symbol: str, side: Side, order_type: OrderType, qty: Decimal,
                 price: Decimal | None = None, trigger_price: Decimal | None = None,
                 trigger: TriggerKind = TriggerKind.NONE, reduce_only: bool = False,
                 time_in_force: TimeInForce = TimeInForce.GTC, tag: str = "", stop_loss: Decimal | None = None,
                 take_profit: Decimal | None = None) -> None:
        self.client_id = client_id
        self.symbol = symbol
        self.side = side
        self.order_type = order_type
        self.qty = qty
        self.price = price
        self.trigger_price = trigger_price
        self.trigger = trigger
        self.reduce_only = reduce_only
        self.time_in_force = time_in_force
        self.tag = tag
        self.stop_loss = stop_loss
        self.take_profit = take_profit
        self._validate()

    def _validate(self) -> None:
        validate_client_id(self.client_id)
        if self.qty <= ZERO:
            raise ValueError(f"order {self.client_id}: qty must be positive, was {self.qty}")
        if self.order_type is OrderType.LIMIT and self.price is None:
            raise ValueError(f"order {self.client_id}: a limit order needs a price")
        if (self.trigger is TriggerKind.NONE) != (self.trigger_price is None):
            raise ValueError(f"order {self.client_id}: trigger kind and trigger price go together")
        if self.reduce_only and (self.stop_loss is not None or self.take_profit is not None):
            raise ValueError(f"order {self.client_id}: a reduce-only order cannot carry a stop or take-profit")

    @property
    def is_conditional(self) -> bool:
        return self.trigger_price is not None


@dataclass(slots=True, init=False)
class Order:
    """An order's life: its request, where it stands, and what has filled. Changes only via `transition`."""

    request: OrderRequest
    created_ts: int
    status: OrderStatus
    venue_order_id: str
    filled_qty: Decimal
    filled_value: Decimal
    fees: Decimal
    reason: str
    # Every change as (ms after `created_ts`, status, reason), flattened into one tuple: a year's backtest keeps
    # tens of thousands of orders, and a list of 3-tuples cost 170 bytes an order more. Most changes happen in
    # the bar the order was made, and an offset of 0 is Python's shared small int, where a timestamp was a new
    # int each time. Read it as `history`.
    _changes: tuple[int | OrderStatus | str, ...] = field(default=(), init=False, repr=False)

    def __init__(self, request: OrderRequest, created_ts: int, status: OrderStatus = OrderStatus.CREATED,
                 venue_order_id: str = "", filled_qty: Decimal = Decimal(0), filled_value: Decimal = Decimal(0),
                 fees: Decimal = Decimal(0), reason: str = "") -> None:
        self.request = request
        self.created_ts = created_ts
        self.status = status
        self.venue_order_id = venue_order_id
        self.filled_qty = filled_qty
        self.filled_value = filled_value
        self.fees = fees
        self.reason = reason
        self._changes = ()

    @property
    def history(self) -> tuple[tuple[int, OrderStatus, str], ...]:
        """The order's state changes, oldest first: (ts in ms, the status it moved to, why)."""
        flat, created = self._changes, self.created_ts
        return tuple((created + cast(int, flat[i]), cast(OrderStatus, flat[i + 1]), cast(str, flat[i + 2]))
                     for i in range(0, len(flat), 3))

    @property
    def client_id(self) -> str:
        return self.request.client_id

    @property
    def symbol(self) -> str:
        return self.request.symbol

    @property
    def remaining_qty(self) -> Decimal:
        return self.request.qty - self.filled_qty

    @property
    def avg_price(self) -> Decimal | None:
        return self.filled_value / self.filled_qty if self.filled_qty else None

    def transition(self, new_status: OrderStatus, ts: int, reason: str = "") -> None:
        """Move to `new_status` or raise IllegalTransition; the move is kept in `history`."""
        if new_status not in TRANSITIONS[self.status]:
            raise IllegalTransition(
                f"order {self.client_id}: cannot go from {self.status.value} to {new_status.value}"
            )
        self.status = new_status
        if reason:
            self.reason = reason
        changes = self._changes
        changes += (ts - self.created_ts, new_status, reason)
        # the commonest whole life (a market order placed, accepted and filled in one bar) is kept once for all
        # (the lengths first: compiled, comparing tuples is a generic call)
        once = len(changes) == len(_FILLED_AT_ONCE) and changes == _FILLED_AT_ONCE
        self._changes = _FILLED_AT_ONCE if once else changes

    def amend(self, ts: int, *, qty: Decimal | None = None, price: Decimal | None = None,
              trigger_price: Decimal | None = None) -> None:
        """Change qty, price or trigger of a live order, as Bybit's amend does."""
        if self.status not in (OrderStatus.NEW, OrderStatus.UNTRIGGERED, OrderStatus.PARTIALLY_FILLED):
            raise IllegalTransition(f"order {self.client_id}: cannot amend in state {self.status.value}")
        if qty is not None and qty <= self.filled_qty:
            raise ValueError(f"order {self.client_id}: amended qty {qty} must exceed filled {self.filled_qty}")
        req = self.request
        self.request = OrderRequest(
            client_id=req.client_id,
            symbol=req.symbol,
            side=req.side,
            order_type=req.order_type,
            qty=qty if qty is not None else req.qty,
            price=price if price is not None else req.price,
            trigger_price=trigger_price if trigger_price is not None else req.trigger_price,
            trigger=req.trigger,
            reduce_only=req.reduce_only,
            time_in_force=req.time_in_force,
            tag=req.tag,
            stop_loss=req.stop_loss,
            take_profit=req.take_profit,
        )
        self._changes += (ts - self.created_ts, self.status, "amended")

    def apply_fill(self, qty: Decimal, price: Decimal, fee: Decimal, ts: int) -> None:
        """Account a fill; the status follows from what remains."""
        if qty <= ZERO or qty > self.remaining_qty:
            raise ValueError(
                f"order {self.client_id}: fill qty {qty} must be in (0, {self.remaining_qty}]"
            )
        # The first fill's own Decimals, not sums equal to them: a run keeps every order (the same exponents too,
        # as a fill's qty and fee never have a positive one).
        first = not self.filled_qty
        self.filled_qty = qty if first else self.filled_qty + qty
        self.filled_value = qty * price if first else self.filled_value + qty * price
        self.fees = fee if first and not self.fees else self.fees + fee
        done = self.filled_qty == self.request.qty
        self.transition(OrderStatus.FILLED if done else OrderStatus.PARTIALLY_FILLED, ts)
