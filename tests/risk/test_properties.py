"""Properties of every approved decision, whatever the account, instrument and intent.

The loss bound: with the entry at the intent's reference price, `qty * |entry - stop| <= budget x factor`
exactly (the stop is rounded toward entry and the size is computed from that rounded stop, then
rounded down). Measured from the entry rounded to the nearest tick, the loss is within one tick:
`<= budget x factor + qty * tick / 2`.
"""

from __future__ import annotations

from decimal import Decimal

from hypothesis import assume, given, settings
from hypothesis import strategies as st

from perpbot.model import Direction
from perpbot.model.instrument import REFERENCE_INSTRUMENTS
from perpbot.risk.config import RiskConfig
from perpbot.risk.manager import RiskManager

from .book import T0, Book, D, intent

SYMBOLS = sorted(REFERENCE_INSTRUMENTS)
# Rough price levels, so a scenario's price suits its instrument's tick and step.
LEVELS = {"BTCUSDT": 50_000, "ETHUSDT": 3_000, "SOLUSDT": 100, "BNBUSDT": 500, "DOGEUSDT": 0.1, "ADAUSDT": 0.5,
          "DOTUSDT": 7, "WIFUSDT": 2, "AVAXUSDT": 30, "AAVEUSDT": 100, "APEUSDT": 1}


@st.composite
def scenarios(draw: st.DrawFn) -> dict[str, object]:
    symbol = draw(st.sampled_from(SYMBOLS))
    price = LEVELS[symbol] * 10 ** draw(st.floats(min_value=-1, max_value=1))  # a tenth to ten times the level
    stop_fraction = draw(st.one_of(st.none(), st.floats(min_value=0.0005, max_value=0.3)))
    return {
        "symbol": symbol,
        "price": price,
        "stop": None if stop_fraction is None else price * stop_fraction,
        "take_profit": draw(st.one_of(st.none(), st.floats(min_value=0.0, max_value=price * 2))),
        "direction": draw(st.sampled_from([Direction.LONG, Direction.SHORT])),
        "equity": D(draw(st.integers(min_value=10**3, max_value=10**11))) / 100,  # 10 to 1 000 000 000
        "risk_pct": draw(st.floats(min_value=0.01, max_value=10)),
        "margin_pct": draw(st.floats(min_value=1, max_value=100)),
        "max_leverage": draw(st.integers(min_value=1, max_value=100)),
        "leverage": D(draw(st.integers(min_value=100, max_value=15_000))) / 100,
        "losses": draw(st.integers(min_value=0, max_value=5)),
        "buffer_pct": draw(st.floats(min_value=0, max_value=2)),
    }


def run(s: dict[str, object], cfg: RiskConfig) -> tuple[RiskManager, object]:
    manager = RiskManager(cfg)
    for _ in range(int(s["losses"])):  # type: ignore[call-overload]
        manager.on_trade_closed(D(-1))
    book = Book(equity_value=s["equity"], default_leverage=s["leverage"])  # type: ignore[arg-type]
    decision = manager.assess(
        intent(str(s["symbol"]), s["direction"], s["price"], s["stop"], s["take_profit"]),  # type: ignore[arg-type]
        book, T0,
    )
    return manager, decision


@settings(max_examples=600, deadline=None)
@given(scenarios())
def test_approved_risk_sized_orders_obey_filters_caps_and_the_loss_budget(s: dict[str, object]) -> None:
    cfg = RiskConfig(
        risk_per_trade_pct=s["risk_pct"], max_position_size_pct=s["margin_pct"],  # type: ignore[arg-type]
        max_leverage=s["max_leverage"], liquidation_buffer_pct=s["buffer_pct"],  # type: ignore[arg-type]
    )
    manager, decision = run(s, cfg)
    if not decision.approved:  # type: ignore[attr-defined]
        assert decision.qty == 0  # type: ignore[attr-defined]
        assert len(decision.reasons) == 1  # type: ignore[attr-defined]
        assert not decision.checks[-1].passed  # type: ignore[attr-defined]
        return
    ins = REFERENCE_INSTRUMENTS[str(s["symbol"])]
    qty: Decimal = decision.qty  # type: ignore[attr-defined]
    stop: Decimal = decision.stop_price  # type: ignore[attr-defined]
    leverage: Decimal = decision.leverage  # type: ignore[attr-defined]
    entry = Decimal(repr(s["price"]))
    long = s["direction"] is Direction.LONG
    # Exchange filters.
    assert qty % ins.qty_step == 0
    assert qty >= ins.min_qty
    assert qty <= ins.max_market_qty
    assert qty * ins.round_price(entry) >= ins.min_notional
    # Protective prices on the tick and on the right side.
    assert stop % ins.tick_size == 0
    assert (0 < stop < entry) if long else (stop > entry)
    tp = decision.take_profit_price  # type: ignore[attr-defined]
    if tp is not None:
        assert tp % ins.tick_size == 0
        assert (tp > entry) if long else (0 < tp < entry)
    # The loss at the stop stays within the budget (scaled by the loss streak).
    budget = s["equity"] * Decimal(repr(s["risk_pct"])) / 100 * manager.size_factor  # type: ignore[operator]
    assert qty * abs(entry - stop) <= budget
    assert qty * abs(ins.round_price(entry) - stop) <= budget + qty * ins.tick_size / 2
    # Leverage clamp and margin cap.
    assert leverage <= min(s["leverage"], D(s["max_leverage"]), ins.max_leverage)  # type: ignore[call-overload]
    margin = qty * entry / leverage
    assert margin <= s["equity"] * Decimal(repr(s["margin_pct"])) / 100  # type: ignore[operator]


@settings(max_examples=300, deadline=None)
@given(scenarios(), st.sampled_from(["fixed_qty", "fixed_notional", "equity_fraction"]),
       st.integers(min_value=1, max_value=10**7))
def test_every_sizing_mode_yields_orders_the_exchange_accepts(s: dict[str, object], sizing: str, amount: int) -> None:
    extra: dict[str, object] = {
        "fixed_qty": {"fixed_qty": D(amount) / 1000},
        "fixed_notional": {"fixed_notional": D(amount) / 10},
        "equity_fraction": {"equity_fraction_pct": min(amount / 1000, 10_000)},
    }[sizing]
    cfg = RiskConfig(sizing=sizing, max_leverage=s["max_leverage"], **extra)  # type: ignore[arg-type]
    _, decision = run(s, cfg)
    assume(decision.approved)  # type: ignore[attr-defined]
    ins = REFERENCE_INSTRUMENTS[str(s["symbol"])]
    qty: Decimal = decision.qty  # type: ignore[attr-defined]
    assert qty % ins.qty_step == 0
    assert ins.min_qty <= qty <= ins.max_market_qty
    assert qty * ins.round_price(Decimal(repr(s["price"]))) >= ins.min_notional
    assert ins.check_order(qty, ins.round_price(Decimal(repr(s["price"]))), market=True, reduce_only=False) is None
