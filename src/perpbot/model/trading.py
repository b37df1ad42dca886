"""Values that flow through one trading cycle: signals, intents, risk decisions, fills, trades."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import overload

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
class RiskCheck:
    """One rule the risk manager applied, and what it found."""

    name: str
    passed: bool
    detail: str


# Risk messages are names, numbers and words, never this control character; a CheckLog whose texts hold it
# anyway keeps them apart instead of joined.
_SEPARATOR = "\x1f"
# Every (name, passed) sequence a CheckLog has seen, shared: the risk manager's paths make a few dozen.
_SHAPES: dict[tuple[tuple[str, bool], ...], tuple[tuple[str, bool], ...]] = {}


class CheckLog(Sequence[RiskCheck]):
    """The checks of one risk decision, read as a sequence of `RiskCheck`, kept in two objects: the (name, passed)
    sequence, shared by every decision that took the same path, and the texts joined into one string.

    A year's backtest records about ten checks for each of tens of thousands of decisions; an object and a
    string per check cost about 1 KB per decision more. The checks are made again when read, equal to the
    ones given.
    """

    __slots__ = ("_shape", "_texts")

    def __init__(self, entries: Iterable[tuple[str, bool, str]]) -> None:
        entries = list(entries)
        shape = tuple([(name, passed) for name, passed, _ in entries])
        self._shape = _SHAPES.setdefault(shape, shape)
        texts = [text for _, _, text in entries]
        joined = _SEPARATOR.join(texts)
        self._texts: str | tuple[str, ...] = joined if texts and joined.count(_SEPARATOR) == len(texts) - 1 \
            else tuple(texts)

    @classmethod
    def of(cls, checks: Iterable[RiskCheck]) -> CheckLog:
        return cls((c.name, c.passed, c.detail) for c in checks)

    def _details(self) -> Sequence[str]:
        texts = self._texts
        return texts.split(_SEPARATOR) if isinstance(texts, str) else texts

    def __len__(self) -> int:
        return len(self._shape)

    @overload
    def __getitem__(self, index: int) -> RiskCheck: ...

    @overload
    def __getitem__(self, index: slice) -> tuple[RiskCheck, ...]: ...

    def __getitem__(self, index: int | slice) -> RiskCheck | tuple[RiskCheck, ...]:
        if isinstance(index, slice):
            return tuple(self)[index]
        name, passed = self._shape[index]
        return RiskCheck(name, passed, self._details()[index])

    def __iter__(self) -> Iterator[RiskCheck]:
        for name, passed, detail in self.entries():
            yield RiskCheck(name, passed, detail)

    def entries(self) -> Iterator[tuple[str, bool, str]]:
        """(name, passed, detail) of each check, without making the RiskCheck objects (for writers)."""
        for (name, passed), detail in zip(self._shape, self._details(), strict=True):
            yield name, passed, detail

    def __eq__(self, other: object) -> bool:
        if isinstance(other, CheckLog):
            return self._shape == other._shape and tuple(self._details()) == tuple(other._details())
        if isinstance(other, tuple | list):
            return tuple(self) == tuple(other)
        return NotImplemented

    def __hash__(self) -> int:
        return hash(tuple(self))

    def __repr__(self) -> str:
        return repr(tuple(self))


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
