from decimal import Decimal

from perpbot.execution.ledger import EntryKind, Ledger


def test_ledger_totals_match_entries() -> None:
    ledger = Ledger(Decimal("1000"), ts=0)
    ledger.record_fill(1, "BTCUSDT", "e1", Decimal("12.5"), Decimal("0.55"))
    ledger.record_funding(2, "BTCUSDT", Decimal("-0.1"))
    assert ledger.balance == Decimal("1011.85")
    assert [e.kind for e in ledger.entries] == [EntryKind.DEPOSIT, EntryKind.REALISED_PNL, EntryKind.FEE,
                                                EntryKind.FUNDING]
    ledger.check()
