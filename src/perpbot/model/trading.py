"""Values that flow through one trading cycle: signals, intents, risk decisions, fills, trades."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from perpbot.model.checks import RiskCheck
from perpbot.model.enums import Direction, ExitReason, LiquidityRole, Side


@dataclass(frozen=True, slots=True)
class Signal:
    """One strategy's view of one symbol at the close of one candle.

    `value` is in [-1, 1]: the sign is the side wanted, the magnitude the conviction; 0 means no view.
    Distances are in price units (e.g. 2 x ATR) so the same signal can be priced at any fill.
    """

    strategy: str
    symbol: str
    timeframe: str
    ts: int
    value: float
    stop_distance: float | None = None
    take_profit_distance: float | None = None


@dataclass(frozen=True, slots=True)
class Intent:
    """The aggregated wish for one symbol: which way, how strongly, and everything behind it."""

    symbol: str
    ts: int
    direction: Direction
    strength: float
    reference_price: float
    stop_distance: float | None
    take_profit_distance: float | None
    regime: str
    score: float
    signals: tuple[Signal, ...] = ()
    weights: tuple[tuple[str, float], ...] = ()


@dataclass(frozen=True, slots=True)
class RiskDecision:
    """The risk manager's answer: approved or not, the size, the protective prices, and why."""

    approved: bool
    qty: Decimal
    stop_price: Decimal | None
    take_profit_price: Decimal | None
    leverage: Decimal
    reasons: tuple[str, ...] = ()
    checks: Sequence[RiskCheck] = ()


@dataclass(frozen=True, slots=True)
class Fill:
    """One execution, identified by the venue's execution id (fills are deduplicated by it)."""

    exec_id: str
    client_id: str
    symbol: str
    side: Side
    qty: Decimal
    price: Decimal
    fee: Decimal
    role: LiquidityRole
    ts: int


@dataclass(frozen=True, slots=True)
class FundingPayment:
    """A funding settlement on an open position; `amount` is signed from the account's view."""

    symbol: str
    ts: int
    rate: Decimal
    mark_price: Decimal
    position_qty: Decimal
    amount: Decimal


@dataclass(frozen=True, slots=True)
class Trade:
    """A closed round trip (or the closed part of one), with everything the analytics group by."""

    symbol: str
    side: Side
    qty: Decimal
    entry_price: Decimal
    exit_price: Decimal
    entry_ts: int
    exit_ts: int
    gross_pnl: Decimal
    fees: Decimal
    funding: Decimal
    exit_reason: ExitReason
    strategies: tuple[str, ...] = ()
    regime: str = ""

    @property
    def net_pnl(self) -> Decimal:
        return self.gross_pnl - self.fees + self.funding

    @property
    def direction(self) -> Direction:
        return Direction.LONG if self.side is Side.BUY else Direction.SHORT

    @property
    def duration_ms(self) -> int:
        return self.exit_ts - self.entry_ts
