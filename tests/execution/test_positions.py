from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from perpbot.execution.positions import PositionBook
from perpbot.model import ExitReason, Fill, LiquidityRole, Side

D = Decimal


def fill(side: Side, qty: str, price: str, fee: str = "0", ts: int = 0, n: int = 0) -> Fill:
    return Fill(f"e{n}-{ts}", "c", "BTCUSDT", side, D(qty), D(price), D(fee), LiquidityRole.TAKER, ts)


def test_open_add_and_close_exactly() -> None:
    book = PositionBook()
    book.apply_fill(fill(Side.BUY, "1", "100", "0.055"))
    book.apply_fill(fill(Side.BUY, "1", "110", "0.0605", ts=1))
    pos = book.get("BTCUSDT")
    assert pos.qty == 2 and pos.entry_price == 105
    out = book.apply_fill(fill(Side.SELL, "2", "120", "0.132", ts=2), exit_reason=ExitReason.SIGNAL)
    (trade,) = out.trades
    assert out.realised == D(30)
    assert trade.fees == D("0.2475")
    assert trade.net_pnl == D("29.7525")
    assert not book.get("BTCUSDT").is_open


def test_partial_close_shares_fees_and_funding() -> None:
    book = PositionBook()
    book.apply_fill(fill(Side.SELL, "4", "50", "0.4"))
    book.apply_funding("BTCUSDT", D("0.8"))
    out = book.apply_fill(fill(Side.BUY, "1", "40", "0.1", ts=1))
    (trade,) = out.trades
    assert trade.side is Side.SELL and trade.gross_pnl == D(10)
    assert trade.fees == D("0.2") and trade.funding == D("0.2")
    pos = book.get("BTCUSDT")
    assert pos.qty == -3 and pos.open_fees == D("0.3") and pos.open_funding == D("0.6")


def test_flip_closes_then_opens_the_rest() -> None:
    book = PositionBook()
    book.apply_fill(fill(Side.BUY, "1", "100", "1"))
    out = book.apply_fill(fill(Side.SELL, "3", "90", "3", ts=5), exit_reason=ExitReason.REVERSAL,
                          strategies=("ema",), regime="trending")
    (trade,) = out.trades
    assert trade.gross_pnl == D(-10) and trade.fees == D(2) and trade.exit_reason is ExitReason.REVERSAL
    pos = book.get("BTCUSDT")
    assert pos.qty == -2 and pos.entry_price == 90 and pos.open_fees == D(2)
    assert pos.strategies == ("ema",) and pos.opened_ts == 5


@given(st.lists(st.tuples(st.booleans(), st.integers(1, 50), st.integers(50, 150)), min_size=1, max_size=30))
def test_realised_plus_unrealised_equals_cash_flow(fills: list[tuple[bool, int, int]]) -> None:
    """Conservation: the book's PnL always equals the net cash that traded (no fees here)."""
    book = PositionBook()
    cash = D(0)
    realised = D(0)
    last = D(100)
    for i, (buy, qty, price) in enumerate(fills):
        side = Side.BUY if buy else Side.SELL
        out = book.apply_fill(fill(side, str(qty), str(price), ts=i, n=i))
        realised += out.realised
        cash += (-1 if buy else 1) * qty * D(price)
        last = D(price)
    pos = book.get("BTCUSDT")
    assert realised + pos.unrealised_pnl(last) == cash + pos.qty * last


@given(st.lists(st.tuples(st.booleans(), st.integers(1, 50), st.integers(50, 150)), min_size=1, max_size=30))
def test_a_book_without_trade_records_folds_fills_the_same(fills: list[tuple[bool, int, int]]) -> None:
    """The simulated exchange's book skips trade records and their fee attribution: its positions (size, cost,
    entry) and realised PnL must not differ."""
    full, bare = PositionBook(), PositionBook()
    for i, (buy, qty, price) in enumerate(fills):
        side = Side.BUY if buy else Side.SELL
        with_trades = full.apply_fill(fill(side, str(qty), str(price), fee="0.01", ts=i, n=i))
        without = bare.apply_fill(fill(side, str(qty), str(price), fee="0.01", ts=i, n=i), with_trades=False)
        assert without.realised == with_trades.realised
        assert without.trades == ()
        kept, bare_pos = full.get("BTCUSDT"), bare.get("BTCUSDT")
        assert (bare_pos.qty, bare_pos.cost, bare_pos.opened_ts) == (kept.qty, kept.cost, kept.opened_ts)
        assert bare_pos.entry_price == kept.entry_price and bare_pos.open_fees == 0
