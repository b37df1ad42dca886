"""The account's ledger: exact Decimal entries for every realised PnL, fee and funding payment."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum
from typing import Final

ZERO: Final = Decimal(0)


class EntryKind(StrEnum):
    DEPOSIT = "deposit"
    REALISED_PNL = "realised_pnl"
    FEE = "fee"
    FUNDING = "funding"


# Records made for every order write out `__init__` (compiled; see perpbot.model.trading's docstring).
@dataclass(slots=True, init=False, unsafe_hash=True)
class LedgerEntry:
    ts: Final[int]
    kind: Final[EntryKind]
    symbol: Final[str]
    amount: Final[Decimal]  # signed, from the account's view: + credits the balance
    ref: Final[str]  # execution id, funding key or "deposit"

    def __init__(self, ts: int, kind: EntryKind, symbol: str, amount: Decimal, ref: str) -> None:
        self.ts = ts
        self.kind = kind
        self.symbol = symbol
        self.amount = amount
        self.ref = ref


class Ledger:
    """Balance = deposits + realised PnL - fees + funding, each entry kept, nothing rounded."""

    __slots__ = ("balance", "by_symbol", "deposits", "entries", "fees_paid", "funding", "realised_pnl")

    def __init__(self, starting_balance: Decimal, ts: int = 0) -> None:
        self.entries: list[LedgerEntry] = []
        # Per symbol, the running sum of each kind of entry ("realised_pnl", "fee", "funding"), kept as the
        # entries come so a summary never walks them all again.
        self.by_symbol: dict[str, dict[str, Decimal]] = {}
        self.balance = ZERO
        self.deposits = ZERO
        self.realised_pnl = ZERO
        self.fees_paid = ZERO
        self.funding = ZERO
        if starting_balance:
            self.deposit(starting_balance, ts)

    def deposit(self, amount: Decimal, ts: int) -> None:
        self.entries.append(LedgerEntry(ts, EntryKind.DEPOSIT, "", amount, "deposit"))
        self.deposits += amount
        self.balance += amount

    def record_fill(self, ts: int, symbol: str, exec_id: str, realised: Decimal, fee: Decimal) -> None:
        if realised:
            self.entries.append(LedgerEntry(ts, EntryKind.REALISED_PNL, symbol, realised, exec_id))
            self.realised_pnl += realised
            self.balance += realised
            self._row(symbol)["realised_pnl"] += realised
        if fee:
            self.entries.append(LedgerEntry(ts, EntryKind.FEE, symbol, -fee, exec_id))
            self.fees_paid += fee
            self.balance -= fee
            self._row(symbol)["fee"] -= fee

    def record_funding(self, ts: int, symbol: str, amount: Decimal) -> None:
        self.entries.append(LedgerEntry(ts, EntryKind.FUNDING, symbol, amount, f"funding-{symbol}-{ts}"))
        self.funding += amount
        self.balance += amount
        self._row(symbol)["funding"] += amount

    def _row(self, symbol: str) -> dict[str, Decimal]:
        row = self.by_symbol.get(symbol)
        if row is None:
            row = self.by_symbol[symbol] = {"realised_pnl": ZERO, "fee": ZERO, "funding": ZERO}
        return row

    def check(self) -> None:
        """Raise if the running totals disagree with the sum of entries (they never should)."""
        total = sum((e.amount for e in self.entries), ZERO)
        expected = self.deposits + self.realised_pnl - self.fees_paid + self.funding
        if total != self.balance or expected != self.balance:
            raise AssertionError(f"ledger out of balance: entries {total}, totals {expected}, balance {self.balance}")
        for symbol, row in self.by_symbol.items():
            for kind, amount in row.items():
                summed = sum((e.amount for e in self.entries if e.symbol == symbol and e.kind == kind), ZERO)
                if summed != amount:
                    raise AssertionError(f"ledger's {symbol} {kind} total {amount} disagrees with its entries {summed}")
