"""Values that flow through one trading cycle: signals, intents, risk decisions, fills, trades.

Records made for every order or decision are dataclasses with `Final` fields (immutable: mypy rejects any
assignment outside `__init__`) and a written-out `__init__`: compiled, it is about ten times cheaper than the one
`dataclass` generates, which mypyc leaves interpreted (see `perpbot.compiled`). Records made rarely (a funding
payment, once per funding interval) stay frozen dataclasses, immutable at run time too.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Final

from perpbot.model.checks import RiskCheck
from perpbot.model.enums import Direction, ExitReason, LiquidityRole, Side


@dataclass(slots=True, init=False, unsafe_hash=True)
class Signal:
    """One strategy's view of one symbol at the close of one candle.

    `value` is in [-1, 1]: the sign is the side wanted, the magnitude the conviction; 0 means no view.
    Distances are in price units (e.g. 2 x ATR) so the same signal can be priced at any fill.
    """

    strategy: Final[str]
    symbol: Final[str]
    timeframe: Final[str]
    ts: Final[int]
    value: Final[float]
    stop_distance: Final[float | None]
    take_profit_distance: Final[float | None]

    def __init__(self, strategy: str, symbol: str, timeframe: str, ts: int, value: float,
                 stop_distance: float | None = None, take_profit_distance: float | None = None) -> None:
        self.strategy = strategy
        self.symbol = symbol
        self.timeframe = timeframe
        self.ts = ts
        self.value = value
        self.stop_distance = stop_distance
        self.take_profit_distance = take_profit_distance


@dataclass(slots=True, init=False, unsafe_hash=True)
class Intent:
    """The aggregated wish for one symbol: which way, how strongly, and everything behind it."""

    symbol: Final[str]
    ts: Final[int]
    direction: Final[Direction]
    strength: Final[float]
    reference_price: Final[float]
    stop_distance: Final[float | None]
    take_profit_distance: Final[float | None]
    regime: Final[str]
    score: Final[float]
    signals: Final[tuple[Signal, ...]]
    weights: Final[tuple[tuple[str, float], ...]]

    def __init__(self, symbol: str, ts: int, direction: Direction, strength: float, reference_price: float,
                 stop_distance: float | None, take_profit_distance: float | None, regime: str, score: float,
                 signals: tuple[Signal, ...] = (), weights: tuple[tuple[str, float], ...] = ()) -> None:
        self.symbol = symbol
        self.ts = ts
        self.direction = direction
        self.strength = strength
        self.reference_price = reference_price
        self.stop_distance = stop_distance
        self.take_profit_distance = take_profit_distance
        self.regime = regime
        self.score = score
        self.signals = signals
        self.weights = weights


@dataclass(slots=True, init=False, unsafe_hash=True)
class RiskDecision:
    """The risk manager's answer: approved or not, the size, the protective prices, and why."""

    approved: Final[bool]
    qty: Final[Decimal]
    stop_price: Final[Decimal | None]
    take_profit_price: Final[Decimal | None]
    leverage: Final[Decimal]
    reasons: Final[tuple[str, ...]]
    checks: Final[Sequence[RiskCheck]]

    def __init__(self, approved: bool, qty: Decimal, stop_price: Decimal | None, take_profit_price: Decimal | None,
                 leverage: Decimal, reasons: tuple[str, ...] = (), checks: Sequence[RiskCheck] = ()) -> None:
        self.approved = approved
        self.qty = qty
        self.stop_price = stop_price
        self.take_profit_price = take_profit_price
        self.leverage = leverage
        self.reasons = reasons
        self.checks = checks


@dataclass(slots=True, init=False, unsafe_hash=True)
class Fill:
    """One execution, identified by the venue's execution id (fills are deduplicated by it)."""

    exec_id: Final[str]
    client_id: Final[str]
    symbol: Final[str]
    side: Final[Side]
    qty: Final[Decimal]
    price: Final[Decimal]
    fee: Final[Decimal]
    role: Final[LiquidityRole]
    ts: Final[int]

    def __init__(self, exec_id: str, client_id: str, symbol: str, side: Side, qty: Decimal, price: Decimal,
                 fee: Decimal, role: LiquidityRole, ts: int) -> None:
        self.exec_id = exec_id
        self.client_id = client_id
        self.symbol = symbol
        self.side = side
        self.qty = qty
        self.price = price
        self.fee = fee
        self.role = role
        self.ts = ts


@dataclass(frozen=True, slots=True)
class FundingPayment:
    """A funding settlement on an open position; `amount` is signed from the account's view."""

    symbol: str
    ts: int
    rate: Decimal
    mark_price: Decimal
    position_qty: Decimal
    amount: Decimal


@dataclass(slots=True, init=False, unsafe_hash=True)
class Trade:
    """A closed round trip (or the closed part of one), with everything the analytics group by."""

    symbol: Final[str]
    side: Final[Side]
    qty: Final[Decimal]
    entry_price: Final[Decimal]
    exit_price: Final[Decimal]
    entry_ts: Final[int]
    exit_ts: Final[int]
    gross_pnl: Final[Decimal]
    fees: Final[Decimal]
    funding: Final[Decimal]
    exit_reason: Final[ExitReason]
    strategies: Final[tuple[str, ...]]
    regime: Final[str]

    def __init__(self, symbol: str, side: Side, qty: Decimal, entry_price: Decimal, exit_price: Decimal, entry_ts: int,
                 exit_ts: int, gross_pnl: Decimal, fees: Decimal, funding: Decimal, exit_reason: ExitReason,
                 strategies: tuple[str, ...] = (), regime: str = "") -> None:
        self.symbol = symbol
        self.side = side
        self.qty = qty
        self.entry_price = entry_price
        self.exit_price = exit_price
        self.entry_ts = entry_ts
        self.exit_ts = exit_ts
        self.gross_pnl = gross_pnl
        self.fees = fees
        self.funding = funding
        self.exit_reason = exit_reason
        self.strategies = strategies
        self.regime = regime

    @property
    def net_pnl(self) -> Decimal:
        return self.gross_pnl - self.fees + self.funding

    @property
    def direction(self) -> Direction:
        return Direction.LONG if self.side is Side.BUY else Direction.SHORT

    @property
    def duration_ms(self) -> int:
        return self.exit_ts - self.entry_ts
