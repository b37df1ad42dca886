"""Vocabularies, spelled as Bybit spells them where they meet Bybit."""

from __future__ import annotations

from enum import IntEnum, StrEnum
from typing import Final


class Side(StrEnum):
    BUY = "Buy"
    SELL = "Sell"

    @property
    def sign(self) -> int:
        return 1 if self is Side.BUY else -1

    @property
    def opposite(self) -> Side:
        return Side.SELL if self is Side.BUY else Side.BUY

    @staticmethod
    def for_direction(direction: int) -> Side:
        if direction == 0:
            raise ValueError("a flat direction has no order side")
        return Side.BUY if direction > 0 else Side.SELL


class Direction(IntEnum):
    SHORT = -1
    FLAT = 0
    LONG = 1


class OrderType(StrEnum):
    MARKET = "Market"
    LIMIT = "Limit"


class TimeInForce(StrEnum):
    GTC = "GTC"
    IOC = "IOC"
    FOK = "FOK"
    POST_ONLY = "PostOnly"


class TriggerKind(StrEnum):
    """Why a conditional order exists; empty for plain orders."""

    NONE = ""
    STOP_LOSS = "StopLoss"
    TAKE_PROFIT = "TakeProfit"


class OrderStatus(StrEnum):
    """Bybit's order states plus the local ones a reliable client needs.

    CREATED: stored locally, not yet sent. SUBMITTED: sent, no answer yet. UNKNOWN: the request's
    outcome is unknown (timeout); the order must be found by its client id before anything else.
    """

    CREATED = "Created"
    SUBMITTED = "Submitted"
    UNKNOWN = "Unknown"
    NEW = "New"
    UNTRIGGERED = "Untriggered"
    PARTIALLY_FILLED = "PartiallyFilled"
    FILLED = "Filled"
    CANCELLED = "Cancelled"
    REJECTED = "Rejected"
    DEACTIVATED = "Deactivated"

    @property
    def is_open(self) -> bool:
        return self in _OPEN

    @property
    def is_final(self) -> bool:
        return self in _FINAL


_OPEN: Final = frozenset(
    {
        OrderStatus.CREATED,
        OrderStatus.SUBMITTED,
        OrderStatus.UNKNOWN,
        OrderStatus.NEW,
        OrderStatus.UNTRIGGERED,
        OrderStatus.PARTIALLY_FILLED,
    }
)
_FINAL: Final = frozenset(
    {OrderStatus.FILLED, OrderStatus.CANCELLED, OrderStatus.REJECTED, OrderStatus.DEACTIVATED}
)
# `status in FINAL_STATUSES` is `status.is_final`: compiled code reads an enum's property through a generic
# attribute lookup, five times the cost of the set lookup, on every order change.
FINAL_STATUSES: Final = _FINAL


class LiquidityRole(StrEnum):
    MAKER = "maker"
    TAKER = "taker"


class ExitReason(StrEnum):
    """Why a position (or part of it) was closed; used in the trade distribution."""

    SIGNAL = "signal"
    REVERSAL = "reversal"
    STOP_LOSS = "stop_loss"
    TAKE_PROFIT = "take_profit"
    LIQUIDATION = "liquidation"
    RISK_HALT = "risk_halt"
    END_OF_DATA = "end_of_data"
    MANUAL = "manual"


class Regime(StrEnum):
    TRENDING = "trending"
    RANGING = "ranging"
    VOLATILE = "volatile"
