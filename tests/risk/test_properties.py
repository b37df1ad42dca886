"""Properties of every approved decision, whatever the account, instrument and intent.

The loss bound: with the entry at the intent's reference price, `qty * |entry - stop| <= budget x factor`
exactly (the size is computed from the distance of the stop as rounded to the tick, then rounded
down to the step). Measured from the entry rounded to the nearest tick instead, the loss is within
half a tick per unit: `<= budget x factor + qty * tick / 2`.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from hypothesis import assume, given, settings
from hypothesis import strategies as st

from perpbot.model import Direction, RiskDecision
from perpbot.model.instrument import REFERENCE_INSTRUMENTS
from perpbot.risk.config import RiskConfig
from perpbot.risk.manager import RiskManager

from .book import T0, Book, D, intent

SYMBOLS = sorted(REFERENCE_INSTRUMENTS)
# Rough price levels, so a scenario's price suits its instrument's tick and step.
LEVELS = {"BTCUSDT": 50_000, "ETHUSDT": 3_000, "SOLUSDT": 100, "BNBUSDT": 500, "DOGEUSDT": 0.1, "ADAUSDT": 0.5,
          "DOTUSDT": 7, "WIFUSDT": 2, "AVAXUSDT": 30, "AAVEUSDT": 100, "APEUSDT": 1}


@dataclass(frozen=True)
class Scenario:
    symbol: str
    price: float
    stop: float | None
    take_profit: float | None
    direction: Direction
    equity: Decimal
    risk_pct: float
    margin_pct: float
    max_leverage: int
    leverage: Decimal
    losses: int
    buffer_pct: float

    @property
    def long(self) -> bool:
        return self.direction is Direction.LONG

    @property
    def entry(self) -> Decimal:
        return Decimal(repr(self.price))


@st.composite
def scenarios(draw: st.DrawFn) -> Scenario:
    symbol = draw(st.sampled_from(SYMBOLS))
    price = LEVELS[symbol] * 10 ** draw(st.floats(min_value=-1, max_value=1))  # a tenth to ten times the level
    stop_fraction = draw(st.one_of(st.none(), st.floats(min_value=0.0005, max_value=0.3)))
    return Scenario(
        symbol=symbol,
        price=price,
        stop=None if stop_fraction is None else price * stop_fraction,
        take_profit=draw(st.one_of(st.none(), st.floats(min_value=0.0, max_value=price * 2))),
        direction=draw(st.sampled_from([Direction.LONG, Direction.SHORT])),
        equity=D(draw(st.integers(min_value=10**3, max_value=10**11))) / 100,  # 10 to 1 000 000 000
        risk_pct=draw(st.floats(min_value=0.01, max_value=10)),
        margin_pct=draw(st.floats(min_value=1, max_value=100)),
        max_leverage=draw(st.integers(min_value=1, max_value=100)),
        leverage=D(draw(st.integers(min_value=100, max_value=15_000))) / 100,
        losses=draw(st.integers(min_value=0, max_value=5)),
        buffer_pct=draw(st.floats(min_value=0, max_value=2)),
    )


def run(s: Scenario, cfg: RiskConfig) -> tuple[RiskManager, RiskDecision]:
    manager = RiskManager(cfg)
    for _ in range(s.losses):
        manager.on_trade_closed(D(-1))
    book = Book(equity_value=s.equity, default_leverage=s.leverage)
    decision = manager.assess(intent(s.symbol, s.direction, s.price, s.stop, s.take_profit), book, T0)
    return manager, decision


@settings(max_examples=600, deadline=None)
@given(scenarios())
def test_approved_risk_sized_orders_obey_filters_caps_and_the_loss_budget(s: Scenario) -> None:
    cfg = RiskConfig(
        risk_per_trade_pct=s.risk_pct, max_position_size_pct=s.margin_pct, max_leverage=s.max_leverage,
        liquidation_buffer_pct=s.buffer_pct,
    )
    manager, decision = run(s, cfg)
    if not decision.approved:
        assert decision.qty == 0
        assert len(decision.reasons) == 1
        assert not decision.checks[-1].passed
        return
    ins = REFERENCE_INSTRUMENTS[s.symbol]
    qty, stop, entry = decision.qty, decision.stop_price, s.entry
    assert stop is not None
    # Exchange filters.
    assert qty % ins.qty_step == 0
    assert qty >= ins.min_qty
    assert qty <= ins.max_market_qty
    assert qty * ins.round_price(entry) >= ins.min_notional
    # Protective prices on the tick and on the right side.
    assert stop % ins.tick_size == 0
    assert (0 < stop < entry) if s.long else (stop > entry)
    tp = decision.take_profit_price
    if tp is not None:
        assert tp % ins.tick_size == 0
        assert (tp > entry) if s.long else (0 < tp < entry)
    # The loss at the stop stays within the budget (scaled by the loss streak).
    budget = s.equity * Decimal(repr(s.risk_pct)) / 100 * manager.size_factor
    assert qty * abs(entry - stop) <= budget
    assert qty * abs(ins.round_price(entry) - stop) <= budget + qty * ins.tick_size / 2
    # Leverage clamp and margin cap.
    assert decision.leverage <= min(s.leverage, D(s.max_leverage), ins.max_leverage)
    assert qty * entry / decision.leverage <= s.equity * Decimal(repr(s.margin_pct)) / 100


@settings(max_examples=300, deadline=None)
@given(scenarios(), st.sampled_from(["fixed_qty", "fixed_notional", "equity_fraction"]),
       st.integers(min_value=1, max_value=10**7))
def test_every_sizing_mode_yields_orders_the_exchange_accepts(s: Scenario, sizing: str, amount: int) -> None:
    if sizing == "fixed_qty":
        cfg = RiskConfig(sizing="fixed_qty", fixed_qty=D(amount) / 1000, max_leverage=s.max_leverage)
    elif sizing == "fixed_notional":
        cfg = RiskConfig(sizing="fixed_notional", fixed_notional=D(amount) / 10, max_leverage=s.max_leverage)
    else:
        cfg = RiskConfig(sizing="equity_fraction", equity_fraction_pct=min(amount / 1000, 10_000),
                         max_leverage=s.max_leverage)
    _, decision = run(s, cfg)
    assume(decision.approved)
    ins = REFERENCE_INSTRUMENTS[s.symbol]
    qty, price = decision.qty, ins.round_price(s.entry)
    assert qty % ins.qty_step == 0
    assert ins.min_qty <= qty <= ins.max_market_qty
    assert qty * price >= ins.min_notional
    assert ins.check_order(qty, price, market=True, reduce_only=False) is None
