"""Positions as the fold of fills, in exact Decimal.

A position keeps its exact cost basis (sum of qty x price of the open part), so a full close
realises exactly; a partial close takes a proportional share of cost, fees and funding.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Final

from perpbot.model import ExitReason, Fill, Side, Trade
from perpbot.model.instrument import shared_decimal

ZERO: Final = Decimal(0)
# Shares of cost, fees and funding taken by a partial close are rounded to this grid so that every
# later sum stays exact; what one part loses to rounding the other keeps, so nothing is lost.
ALLOCATION_QUANTUM: Final = Decimal("1e-10")


def entry_price_of(qty: Decimal, cost: Decimal) -> Decimal:
    """The average entry price of a position holding signed `qty` at cost basis `cost` (0 when flat)."""
    return cost / abs(qty) if qty else ZERO


@dataclass(slots=True)
class Position:
    """One symbol's open exposure. `qty` is signed: positive long, negative short, zero flat."""

    symbol: str
    qty: Decimal = ZERO
    cost: Decimal = ZERO  # sum of |qty| x price over the open part, always >= 0
    opened_ts: int = 0
    open_fees: Decimal = ZERO  # entry fees not yet attributed to a closed trade
    open_funding: Decimal = ZERO  # funding (signed, + received) not yet attributed
    strategies: tuple[str, ...] = ()
    regime: str = ""

    @property
    def is_open(self) -> bool:
        return self.qty != ZERO

    @property
    def side(self) -> Side | None:
        if self.qty == ZERO:
            return None
        return Side.BUY if self.qty > ZERO else Side.SELL

    @property
    def entry_price(self) -> Decimal:
        return entry_price_of(self.qty, self.cost)

    def unrealised_pnl(self, mark: Decimal) -> Decimal:
        if not self.qty:
            return ZERO
        return mark * self.qty - (self.cost if self.qty > ZERO else -self.cost)


@dataclass(slots=True, init=False, unsafe_hash=True)
class FillOutcome:
    """What a fill did to the book: the realised gross PnL and the trades it closed."""

    realised: Final[Decimal]
    trades: Final[tuple[Trade, ...]]

    def __init__(self, realised: Decimal, trades: tuple[Trade, ...]) -> None:
        self.realised = realised
        self.trades = trades


class PositionBook:
    """All positions of one account, updated only by fills and funding."""

    __slots__ = ("_positions",)

    def __init__(self) -> None:
        self._positions: dict[str, Position] = {}

    def get(self, symbol: str) -> Position:
        pos = self._positions.get(symbol)
        if pos is None:
            pos = self._positions[symbol] = Position(symbol)
        return pos

    def open_positions(self) -> list[Position]:
        return [p for p in self._positions.values() if p.qty]

    def all(self) -> list[Position]:
        return list(self._positions.values())

    def apply_funding(self, symbol: str, amount: Decimal) -> None:
        self.get(symbol).open_funding += amount

    def apply_fill(
        self,
        fill: Fill,
        *,
        exit_reason: ExitReason = ExitReason.SIGNAL,
        strategies: tuple[str, ...] = (),
        regime: str = "",
        with_trades: bool = True,
    ) -> FillOutcome:
        """Fold one fill into the position; returns the realised PnL and any closed trade.

        `strategies`/`regime` label a position the fill opens or flips into; `exit_reason` labels
        the part it closes. A book that needs only the realised PnL (the simulated exchange's) passes
        `with_trades=False`: it gets no trade records, and its positions attribute no fees or funding
        to trades (`open_fees` is not kept; a partial close leaves `open_funding` whole).
        """
        pos = self.get(fill.symbol)
        signed = fill.qty if fill.side is Side.BUY else -fill.qty
        if pos.qty == ZERO or (pos.qty > ZERO) == (signed > ZERO):
            if pos.qty == ZERO:
                pos.opened_ts = fill.ts
                pos.strategies = strategies
                pos.regime = regime
            pos.qty += signed
            if with_trades:  # the decisions made while it is open keep it
                pos.qty = shared_decimal(pos.qty)
            pos.cost += fill.qty * fill.price
            if with_trades:
                pos.open_fees += fill.fee
            return FillOutcome(ZERO, ())

        held = abs(pos.qty)
        closed = min(fill.qty, held)
        if with_trades:  # the trade keeps it
            closed = shared_decimal(closed)
        if closed == held:
            cost_part, fee_part, funding_part = pos.cost, pos.open_fees, pos.open_funding
        elif with_trades:
            cost_part = _share(pos.cost, closed, held)
            fee_part = _share(pos.open_fees, closed, held)
            funding_part = _share(pos.open_funding, closed, held)
        else:  # no trade to give fees and funding to
            cost_part, fee_part, funding_part = _share(pos.cost, closed, held), ZERO, ZERO
        # the exit's share of the fill's fee, for the trade (the rest is the new side's entry fee)
        exit_fee = ZERO if not with_trades else fill.fee if closed == fill.qty else _share(fill.fee, closed, fill.qty)
        long = pos.qty > ZERO
        gross = (closed * fill.price - cost_part) if long else (cost_part - closed * fill.price)
        if with_trades:  # a small PnL recurs: a few ticks on the same size
            gross = shared_decimal(gross)
        trades = (Trade(
            symbol=fill.symbol,
            side=Side.BUY if long else Side.SELL,
            qty=closed,
            entry_price=(cost_part / closed).quantize(ALLOCATION_QUANTUM),
            exit_price=fill.price,
            entry_ts=pos.opened_ts,
            exit_ts=fill.ts,
            gross_pnl=gross,
            fees=fee_part + exit_fee,
            funding=funding_part,
            exit_reason=exit_reason,
            strategies=pos.strategies,
            regime=pos.regime,
        ),) if with_trades else ()
        remainder = fill.qty - closed
        if remainder:  # the fill closed it all and flipped it: the rest opens the other side
            pos.qty = remainder if fill.side is Side.BUY else -remainder
            if with_trades:  # the decisions made while it is open keep it
                pos.qty = shared_decimal(pos.qty)
            pos.cost = remainder * fill.price
            if with_trades:
                pos.open_fees = fill.fee - exit_fee
            pos.open_funding = ZERO
            pos.opened_ts = fill.ts
            pos.strategies = strategies
            pos.regime = regime
            return FillOutcome(gross, trades)
        pos.qty += closed if not long else -closed
        if pos.qty == ZERO:
            pos.cost = ZERO
            pos.open_fees = ZERO
            pos.open_funding = ZERO
        else:
            pos.cost -= cost_part
            pos.open_fees -= fee_part
            pos.open_funding -= funding_part
        return FillOutcome(gross, trades)


def _share(amount: Decimal, part: Decimal, whole: Decimal) -> Decimal:
    """`amount x part / whole`, multiplied first and rounded to the allocation grid."""
    return (amount * part / whole).quantize(ALLOCATION_QUANTUM)
