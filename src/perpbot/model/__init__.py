"""Plain values shared by every layer; this package imports nothing else of perpbot's."""

from perpbot.model.enums import (
    Direction,
    ExitReason,
    LiquidityRole,
    OrderStatus,
    OrderType,
    Regime,
    Side,
    TimeInForce,
    TriggerKind,
)
from perpbot.model.instrument import Instrument
from perpbot.model.order import Order, OrderRequest
from perpbot.model.trading import Fill, FundingPayment, Intent, RiskDecision, Signal, Trade

__all__ = [
    "Direction",
    "ExitReason",
    "Fill",
    "FundingPayment",
    "Instrument",
    "Intent",
    "LiquidityRole",
    "Order",
    "OrderRequest",
    "OrderStatus",
    "OrderType",
    "Regime",
    "RiskDecision",
    "Side",
    "Signal",
    "TimeInForce",
    "Trade",
    "TriggerKind",
]
