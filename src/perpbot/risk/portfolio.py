"""What the risk manager may read of the account: a read-only view the engine implements."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Protocol

import numpy as np

from perpbot.model import Instrument
from perpbot.risk.correlation import WindowSums


class PositionView(Protocol):
    """One open position. `qty` is signed: positive long, negative short."""

    @property
    def symbol(self) -> str: ...

    @property
    def qty(self) -> Decimal: ...

    @property
    def entry_price(self) -> Decimal: ...

    @property
    def leverage(self) -> Decimal: ...

    @property
    def liquidation_price(self) -> Decimal | None: ...


class PortfolioView(Protocol):
    """The account as the risk manager sees it at the moment of a decision; it never writes to it."""

    def equity(self) -> Decimal:
        """Balance plus unrealised PnL at the current marks."""
        ...

    def balance(self) -> Decimal:
        """Wallet balance: deposits plus realised PnL, fees and funding."""
        ...

    def positions(self) -> Mapping[str, PositionView]:
        """Open positions by symbol; a flat symbol may be absent or have qty 0."""
        ...

    def instrument(self, symbol: str) -> Instrument: ...

    def returns(self, symbol: str, lookback: int) -> np.ndarray:
        """Up to `lookback` recent close-to-close returns on the symbol's execution timeframe, most recent last."""
        ...

    def returns_sums(self, symbols: Sequence[str], lookback: int) -> WindowSums | None:
        """The sums the correlations of the first symbol against the others are made of, over their `returns`
        (`correlation.block_sums` of them, bit for bit), or None when those are not equally long: the
        correlation gate then measures pair by pair."""
        ...

    def leverage(self, symbol: str) -> Decimal:
        """The leverage configured for the symbol (before the risk manager's clamp)."""
        ...
