"""A small, real PortfolioView for the risk tests: an account held in plain dataclasses."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Protocol

import numpy as np

from perpbot.model import Direction, Instrument, Intent
from perpbot.model.instrument import REFERENCE_INSTRUMENTS
from perpbot.risk.correlation import WindowSums, block_sums, stack_equal

D = Decimal
BTC = REFERENCE_INSTRUMENTS["BTCUSDT"]
ETH = REFERENCE_INSTRUMENTS["ETHUSDT"]
DOGE = REFERENCE_INSTRUMENTS["DOGEUSDT"]

TEN = D(10)
TEN_THOUSAND = D(10_000)
DAY_MS = 86_400_000
T0 = 1_704_067_200_000  # 2024-01-01T00:00:00Z


@dataclass(frozen=True, slots=True)
class Pos:
    """An open position as the risk manager reads it."""

    symbol: str
    qty: Decimal
    entry_price: Decimal
    leverage: Decimal = TEN
    liquidation_price: Decimal | None = None


@dataclass
class Book:
    """Equity, positions, instruments, leverage and return series, all set by the test."""

    equity_value: Decimal = TEN_THOUSAND
    balance_value: Decimal | None = None
    open: dict[str, Pos] = field(default_factory=dict)
    instruments: dict[str, Instrument] = field(default_factory=lambda: dict(REFERENCE_INSTRUMENTS))
    leverage_by_symbol: dict[str, Decimal] = field(default_factory=dict)
    default_leverage: Decimal = TEN
    series: dict[str, np.ndarray] = field(default_factory=dict)

    def equity(self) -> Decimal:
        return self.equity_value

    def balance(self) -> Decimal:
        return self.equity_value if self.balance_value is None else self.balance_value

    def positions(self) -> Mapping[str, Pos]:
        return self.open

    def instrument(self, symbol: str) -> Instrument:
        return self.instruments[symbol]

    def returns(self, symbol: str, lookback: int) -> np.ndarray:
        data = self.series.get(symbol, np.zeros(0))
        return data[-lookback:]

    def returns_sums(self, symbols: Sequence[str], lookback: int) -> WindowSums | None:
        block = stack_equal([self.returns(s, lookback) for s in symbols])
        return None if block is None else block_sums(block)

    def leverage(self, symbol: str) -> Decimal:
        return self.leverage_by_symbol.get(symbol, self.default_leverage)

    def hold(self, symbol: str, qty: str, entry: str) -> Book:
        self.open[symbol] = Pos(symbol, D(qty), D(entry), self.leverage(symbol))
        return self


class _Haltable(Protocol):
    @property
    def halted(self) -> bool: ...


def is_halted(gate: _Haltable) -> bool:
    """Read `halted` afresh (a plain `assert x.halted` makes mypy treat later reads as still True)."""
    return gate.halted


def intent(
    symbol: str = "BTCUSDT",
    direction: Direction = Direction.LONG,
    price: float = 50_000.0,
    stop: float | None = 500.0,
    take_profit: float | None = None,
    ts: int = T0,
) -> Intent:
    return Intent(
        symbol=symbol, ts=ts, direction=direction, strength=1.0, reference_price=price,
        stop_distance=stop, take_profit_distance=take_profit, regime="trending", score=1.0,
    )
