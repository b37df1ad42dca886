"""The account's ledger: exact Decimal entries for every realised PnL, fee and funding payment."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum

ZERO = Decimal(0)


class EntryKind(StrEnum):
    DEPOSIT = "deposit"
    REALISED_PNL = "realised_pnl"
    FEE = "fee"
    FUNDING = "funding"


@dataclass(frozen=True, slots=True)
class LedgerEntry:
    ts: int
    kind: EntryKind
    symbol: str
    amount: Decimal  # signed, from the account's view: + credits the balance
    ref: str  # execution id, funding key or "deposit"


class Ledger:
    """Balance = deposits + realised PnL - fees + funding, each entry kept, nothing rounded."""

    __slots__ = ("balance", "deposits", "entries", "fees_paid", "funding", "realised_pnl")

    def __init__(self, starting_balance: Decimal, ts: int = 0) -> None:
        self.entries: list[LedgerEntry] = []
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
        if fee:
            self.entries.append(LedgerEntry(ts, EntryKind.FEE, symbol, -fee, exec_id))
            self.fees_paid += fee
            self.balance -= fee

    def record_funding(self, ts: int, symbol: str, amount: Decimal) -> None:
        self.entries.append(LedgerEntry(ts, EntryKind.FUNDING, symbol, amount, f"funding-{symbol}-{ts}"))
        self.funding += amount
        self.balance += amount

    def check(self) -> None:
        """Raise if the running totals disagree with the sum of entries (they never should)."""
        total = sum((e.amount for e in self.entries), ZERO)
        expected = self.deposits + self.realised_pnl - self.fees_paid + self.funding
        if total != self.balance or expected != self.balance:
            raise AssertionError(f"ledger out of balance: entries {total}, totals {expected}, balance {self.balance}")
