from __future__ import annotations

import copy
import dataclasses
import json
import pickle
from decimal import Decimal
from typing import Any

import numpy as np
import pytest

from perpbot.model import Direction, RiskDecision
from perpbot.model.checks import CheckLog, DeferredCheckLog, RiskCheck
from perpbot.risk.config import RiskConfig
from perpbot.risk.manager import RiskManager

from .book import DAY_MS, T0, Book, D, intent, is_halted

HOUR = 3_600_000
ALL_CHECKS = [
    "halt", "max_open_positions", "correlation", "stop", "sizing", "loss_streak", "leverage", "margin_cap",
    "liquidation", "exchange_filters",
]
RNG = np.random.default_rng(5)
BASE = RNG.normal(0, 0.01, 150)
NOISE = RNG.normal(0, 0.01, 150)


def names(decision: RiskDecision) -> list[str]:
    return [c.name for c in decision.checks]


def detail(decision: RiskDecision, name: str) -> str:
    return next(c.detail for c in decision.checks if c.name == name)


def rejected(decision: RiskDecision, check: str) -> str:
    """Assert a rejection by `check` and return its reason."""
    assert not decision.approved
    assert decision.qty == 0
    assert len(decision.reasons) == 1
    last = decision.checks[-1]
    assert last.name == check and not last.passed
    assert all(c.passed for c in decision.checks[:-1])
    assert last.detail == decision.reasons[0]
    return decision.reasons[0]


# ---------------------------------------------------------------------- approvals and sizing
def test_the_worked_example() -> None:
    # 10 000 equity, 1 % risk, stop 500 below 50 000 -> 0.2 BTC; margin 0.2 * 50 000 / 10 = 1 000 < 2 000 cap.
    decision = RiskManager().assess(intent(), Book(), T0)
    assert decision.approved
    assert decision.qty == D("0.200")
    assert str(decision.qty) == "0.200"  # on the step, as Bybit wants it
    assert decision.stop_price == D("49500.0")
    assert decision.take_profit_price is None
    assert decision.leverage == 10
    assert decision.reasons == ()
    assert names(decision) == ALL_CHECKS
    assert all(c.passed for c in decision.checks)
    assert detail(decision, "sizing") == "risk 100.00 USDT (1% of equity 10000) / 500.0 per unit = 0.2"
    assert detail(decision, "liquidation") == "stop 49500.0 inside the liquidation price 45250 with the buffer"


def test_the_worked_example_capped_by_margin() -> None:
    # At 2x the 20 % margin cap is 2 000 USDT of margin = 4 000 notional = 0.08 BTC.
    decision = RiskManager().assess(intent(), Book(default_leverage=D(2)), T0)
    assert decision.approved
    assert decision.qty == D("0.080")
    assert decision.leverage == 2
    assert detail(decision, "margin_cap") == "qty 0.2 capped to 0.08: margin at most 20% of equity at 2x"


def test_quantised_down_to_the_step() -> None:
    # 100 / 333.3 = 0.30003... -> 0.300 (down): loss at the stop 99.99 <= 100.
    decision = RiskManager().assess(intent(stop=333.3), Book(), T0)
    assert decision.qty == D("0.300")
    assert decision.stop_price == D("49666.7")
    assert decision.qty * (D(50_000) - decision.stop_price) <= 100


def test_short_mirror() -> None:
    decision = RiskManager().assess(intent(direction=Direction.SHORT, take_profit=1_000.0), Book(), T0)
    assert decision.approved
    assert decision.qty == D("0.200")
    assert decision.stop_price == D("50500.0")
    assert decision.take_profit_price == D("49000.0")


def test_stop_on_the_tick_rounds_toward_entry_and_size_follows_the_rounded_stop() -> None:
    # Long: 50 000 - 123.456 = 49 876.544 -> 49 876.6, 123.4 from entry; 100 / 123.4 = 0.8103... -> 0.810.
    decision = RiskManager(RiskConfig(max_position_size_pct=100)).assess(intent(stop=123.456), Book(), T0)
    assert decision.stop_price == D("49876.6")
    assert decision.qty == D("0.810")
    assert decision.qty * D("123.4") <= 100
    short = RiskManager(RiskConfig(max_position_size_pct=100)).assess(
        intent(direction=Direction.SHORT, stop=123.456), Book(), T0
    )
    assert short.stop_price == D("50123.4")


def test_take_profit() -> None:
    long = RiskManager().assess(intent(take_profit=1_234.56), Book(), T0)
    assert long.take_profit_price == D("51234.5")  # toward entry
    assert "take-profit 51234.5" in detail(long, "stop")
    silly = RiskManager().assess(intent(direction=Direction.SHORT, take_profit=60_000.0), Book(), T0)
    assert silly.approved
    assert silly.take_profit_price is None
    assert "take-profit distance 60000.0 gives no usable price (-10000.0), ignored" in detail(silly, "stop")
    nan = RiskManager().assess(intent(take_profit=float("nan")), Book(), T0)
    assert nan.take_profit_price is None
    assert "take-profit distance nan ignored" in detail(nan, "stop")


@pytest.mark.parametrize("stop", [None, float("nan"), 0.0, -5.0])
def test_default_stop_when_the_intent_has_none(stop: float | None) -> None:
    decision = RiskManager().assess(intent(stop=stop), Book(), T0)
    # 2 % of 50 000 = 1 000 -> stop 49 000, qty 100 / 1 000 = 0.1.
    assert decision.approved
    assert decision.stop_price == D("49000.0")
    assert decision.qty == D("0.100")
    assert "default 2% of entry" in detail(decision, "stop")


def test_fixed_qty_sizing() -> None:
    cfg = RiskConfig(sizing="fixed_qty", fixed_qty=D("0.0123"))
    decision = RiskManager(cfg).assess(intent(), Book(), T0)
    assert decision.qty == D("0.012")
    assert detail(decision, "sizing") == "fixed qty 0.0123"


def test_fixed_notional_sizing() -> None:
    decision = RiskManager(RiskConfig(sizing="fixed_notional", fixed_notional=D(1_000))).assess(intent(), Book(), T0)
    assert decision.qty == D("0.020")


def test_equity_fraction_sizing_and_its_cap() -> None:
    half = RiskManager(RiskConfig(sizing="equity_fraction", equity_fraction_pct=50)).assess(intent(), Book(), T0)
    assert half.qty == D("0.100")
    # 300 % of equity = 0.6 BTC, but the margin cap at 10x is 0.4 BTC.
    levered = RiskManager(RiskConfig(sizing="equity_fraction", equity_fraction_pct=300)).assess(intent(), Book(), T0)
    assert levered.qty == D("0.400")


# ---------------------------------------------------------------------- each rejection path
def test_flat_intent_is_rejected() -> None:
    reason = rejected(RiskManager().assess(intent(direction=Direction.FLAT), Book(), T0), "intent")
    assert reason == "BTCUSDT: the intent is flat, there is nothing to size"


def test_halted_rejects_everything_until_reset() -> None:
    manager = RiskManager()
    assert manager.on_equity(T0, D(10_000)) == []
    events = manager.on_equity(T0 + HOUR, D(9_000))
    assert [e.kind for e in events] == ["daily_loss"]
    assert manager.halted and manager.halt_reason == "daily_loss"
    decision = manager.assess(intent(), Book(equity_value=D(9_000)), T0 + 2 * HOUR)
    assert rejected(decision, "halt") == "trading halted: daily_loss since 2024-01-01T01:00:00Z"
    # Still halted the next day.
    manager.on_equity(T0 + DAY_MS, D(9_000))
    assert not manager.assess(intent(), Book(), T0 + DAY_MS).approved
    manager.reset("alice", T0 + DAY_MS + 1)
    assert not is_halted(manager)
    assert manager.assess(intent(), Book(equity_value=D(9_000)), T0 + DAY_MS + 2).approved


def test_drawdown_halt_reason() -> None:
    manager = RiskManager(RiskConfig(max_daily_loss_pct=50))
    manager.on_equity(T0, D(10_000))
    manager.on_equity(T0 + HOUR, D(7_000))
    decision = manager.assess(intent(), Book(), T0 + 2 * HOUR)
    assert rejected(decision, "halt") == "trading halted: drawdown since 2024-01-01T01:00:00Z"


def test_manual_halt() -> None:
    manager = RiskManager()
    manager.halt(T0 + HOUR, "reconciliation mismatch on ETHUSDT")
    assert rejected(manager.assess(intent(), Book(), T0 + 2 * HOUR), "halt") == (
        "trading halted: manual since 2024-01-01T01:00:00Z"
    )


def test_max_open_positions() -> None:
    book = Book().hold("ETHUSDT", "1", "3000").hold("SOLUSDT", "-10", "100").hold("DOGEUSDT", "1000", "0.1")
    reason = rejected(RiskManager().assess(intent(), book, T0), "max_open_positions")
    assert reason == "max open positions reached: 3 of 3 open (DOGEUSDT, ETHUSDT, SOLUSDT)"


def test_a_flat_entry_in_the_positions_does_not_count() -> None:
    book = Book().hold("ETHUSDT", "1", "3000").hold("SOLUSDT", "-10", "100").hold("DOGEUSDT", "0", "0.1")
    decision = RiskManager().assess(intent(), book, T0)
    assert decision.approved
    assert detail(decision, "max_open_positions") == "2 of 3 open before this one"


def test_a_reversal_or_add_is_not_a_new_position() -> None:
    book = Book().hold("ETHUSDT", "1", "3000").hold("SOLUSDT", "-10", "100").hold("BTCUSDT", "-0.1", "51000")
    reversal = RiskManager().assess(intent(), book, T0)
    assert reversal.approved
    assert reversal.qty == D("0.200")  # the new side alone; the engine adds the 0.1 it closes
    assert detail(reversal, "max_open_positions") == "BTCUSDT is already open (reversal): not a new position"
    book.hold("BTCUSDT", "0.1", "49000")
    add = RiskManager().assess(intent(), book, T0)
    assert add.approved
    assert detail(add, "max_open_positions") == "BTCUSDT is already open (add): not a new position"


def test_correlated_same_side_is_rejected_naming_the_other_symbol() -> None:
    book = Book(series={"BTCUSDT": BASE, "ETHUSDT": 1.5 * BASE + 0.2 * NOISE}).hold("ETHUSDT", "1", "3000")
    reason = rejected(RiskManager().assess(intent(), book, T0), "correlation")
    assert reason.startswith("BTCUSDT is correlated with ETHUSDT at 0.99")
    assert "over 100 returns (limit 0.8), same side as the open ETHUSDT position" in reason


def test_correlated_opposite_side_is_a_hedge_and_passes() -> None:
    book = Book(series={"BTCUSDT": BASE, "ETHUSDT": 1.5 * BASE}).hold("ETHUSDT", "-1", "3000")
    decision = RiskManager().assess(intent(), book, T0)
    assert decision.approved
    assert detail(decision, "correlation") == "BTCUSDT vs ETHUSDT: correlation 1.000 over 100 returns"


def test_negatively_correlated_opposite_side_is_rejected() -> None:
    book = Book(series={"BTCUSDT": BASE, "ETHUSDT": -BASE}).hold("ETHUSDT", "-1", "3000")
    reason = rejected(RiskManager().assess(intent(), book, T0), "correlation")
    assert "at -1.000" in reason and "the same exposure" in reason


def test_correlation_with_too_little_history_passes_with_a_note() -> None:
    book = Book(series={"BTCUSDT": BASE[:15], "ETHUSDT": BASE[:15]}).hold("ETHUSDT", "1", "3000")
    decision = RiskManager().assess(intent(), book, T0)
    assert decision.approved
    assert "not measured (15 aligned returns, need 20" in detail(decision, "correlation")


def test_correlation_measures_every_open_position_whether_or_not_histories_are_equally_long() -> None:
    # equally long series are measured as one block; one shorter series sends the gate pair by pair: the
    # verdict and its note are the same either way, and each pair is cut to its shorter series
    doge = BASE[-60:] * 0.5 + NOISE[-60:] * 0.5
    equal = Book(series={"BTCUSDT": BASE, "ETHUSDT": NOISE, "DOGEUSDT": 0.5 * BASE + 0.5 * NOISE})
    unequal = Book(series={"BTCUSDT": BASE, "ETHUSDT": NOISE, "DOGEUSDT": doge})
    notes = []
    for book in (equal, unequal):
        book.hold("ETHUSDT", "1", "3000").hold("DOGEUSDT", "-100", "0.1")
        decision = RiskManager().assess(intent(), book, T0)
        assert decision.approved
        notes.append(detail(decision, "correlation"))
    def note(other: str, a: np.ndarray, b: np.ndarray) -> str:
        return f"BTCUSDT vs {other}: correlation {np.corrcoef(a, b)[0, 1]:.3f} over {len(a)} returns"

    eth = note("ETHUSDT", BASE[-100:], NOISE[-100:])
    assert notes[0] == f"{eth}; {note('DOGEUSDT', BASE[-100:], (0.5 * BASE + 0.5 * NOISE)[-100:])}"
    assert notes[1] == f"{eth}; {note('DOGEUSDT', BASE[-60:], doge)}"
    assert equal.returns_sums(["BTCUSDT", "ETHUSDT"], 100) is not None
    assert unequal.returns_sums(["BTCUSDT", "DOGEUSDT"], 100) is None


def test_correlation_ignores_the_symbols_own_position() -> None:
    book = Book(series={"BTCUSDT": BASE}).hold("BTCUSDT", "-0.1", "50000")
    decision = RiskManager().assess(intent(), book, T0)
    assert decision.approved
    assert detail(decision, "correlation") == "no other open positions"


def test_bad_reference_price() -> None:
    for price in (float("nan"), 0.0, -1.0, float("inf")):
        reason = rejected(RiskManager().assess(intent(price=price), Book(), T0), "price")
        assert reason == f"BTCUSDT: reference price must be a positive finite number, was {price}"


def test_a_stop_beyond_zero_is_rejected() -> None:
    reason = rejected(RiskManager().assess(intent(stop=60_000.0), Book(), T0), "stop")
    assert reason == (
        "BTCUSDT: stop distance 60000 (intent) gives no usable stop from entry 50000 on tick 0.1 (stop -10000.0)"
    )


def test_a_stop_inside_one_tick_is_rejected() -> None:
    reason = rejected(RiskManager().assess(intent(stop=0.05), Book(), T0), "stop")
    assert "gives no usable stop from entry 50000 on tick 0.1 (stop 50000.0)" in reason


def test_non_positive_equity_is_rejected() -> None:
    decision = RiskManager().assess(intent(), Book(equity_value=D(0)), T0)
    assert rejected(decision, "sizing") == "equity must be positive to size a position, was 0"
    assert decision.stop_price == D("49500.0")  # computed before the rejection, kept for the record


def test_loss_streak_scales_the_size() -> None:
    manager = RiskManager()
    manager.on_trade_closed(D(-50))
    manager.on_trade_closed(D(-50))
    assert manager.size_factor == D("0.5")
    decision = manager.assess(intent(), Book(), T0)
    assert decision.qty == D("0.100")
    assert detail(decision, "loss_streak") == "2 consecutive losses: size x 0.5 = 0.1"
    manager.on_trade_closed(D(80))
    assert manager.assess(intent(), Book(), T0).qty == D("0.150")


def test_leverage_is_clamped_to_the_config_and_the_exchange() -> None:
    decision = RiskManager().assess(intent(), Book(default_leverage=D(25)), T0)
    assert decision.leverage == 10
    assert detail(decision, "leverage") == "10x (configured 25x clamped to the maximum)"
    # SOLUSDT allows at most 50x on the exchange.
    wide = RiskManager(RiskConfig(max_leverage=200, max_position_size_pct=100))
    sol = wide.assess(intent("SOLUSDT", price=100.0, stop=0.5), Book(default_leverage=D(75)), T0)
    assert sol.approved
    assert sol.leverage == 50


def test_stop_beyond_liquidation_is_rejected_with_stop_liquidation_and_buffer() -> None:
    # 50x long at 50 000 (MMR 0.5 %): liquidation 49 250, buffer 250 -> the stop must be >= 49 500.
    manager = RiskManager(RiskConfig(max_leverage=50))
    decision = manager.assess(intent(stop=1_000.0), Book(default_leverage=D(50)), T0)
    reason = rejected(decision, "liquidation")
    assert reason == (
        "BTCUSDT: stop 49000.0 of the long is not safely inside the liquidation price 49250: it must be at or above "
        "49500 (buffer 250 = 0.5% of entry 50000); lower the leverage or tighten the stop"
    )
    assert decision.leverage == 50
    assert decision.stop_price == D("49000.0")
    tight = manager.assess(intent(stop=500.0), Book(default_leverage=D(50)), T0)
    assert tight.approved


def test_a_symbols_new_leverage_is_used_at_once() -> None:
    # The gate keeps a symbol's clamped leverage and liquidation factors while the same leverage comes in; a new
    # leverage (another Decimal) must be clamped and priced afresh, each side with its own factor.
    manager = RiskManager(RiskConfig(max_leverage=50))
    book = Book(default_leverage=D(5))
    assert manager.assess(intent(stop=1_000.0), book, T0).approved
    book.default_leverage = D(50)  # 50x: liquidation 49 250, the stop at 49 000 is beyond it
    assert "liquidation price 49250" in rejected(manager.assess(intent(stop=1_000.0), book, T0), "liquidation")
    short = manager.assess(intent(direction=Direction.SHORT, stop=1_000.0), book, T0)
    assert "liquidation price 50750" in rejected(short, "liquidation")
    book.default_leverage = D(5)
    assert manager.assess(intent(stop=1_000.0), book, T0).leverage == 5
    book.default_leverage = D(75)  # above the config's 50: clamped
    clamped = manager.assess(intent(stop=100.0), book, T0)
    assert detail(clamped, "leverage") == "50x (configured 75x clamped to the maximum)"


def test_short_stop_beyond_liquidation_is_rejected() -> None:
    manager = RiskManager(RiskConfig(max_leverage=50))
    decision = manager.assess(intent(direction=Direction.SHORT, stop=1_000.0), Book(default_leverage=D(50)), T0)
    reason = rejected(decision, "liquidation")
    assert "stop 51000.0 of the short" in reason and "liquidation price 50750" in reason


def test_liquidation_of_an_add_uses_the_combined_entry() -> None:
    # Held 0.1 long at 40 000; add 0.1 at 50 000 -> combined entry 45 000, 20x liquidation 45 000 * 0.955 = 42 975.
    cfg = RiskConfig(max_leverage=20, max_position_size_pct=100, sizing="fixed_qty", fixed_qty=D("0.1"))
    book = Book(default_leverage=D(20)).hold("BTCUSDT", "0.1", "40000")
    ok = RiskManager(cfg).assess(intent(stop=5_000.0), book, T0)  # stop 45 000 > 42 975 + 225
    assert ok.approved
    assert "liquidation price 42975" in detail(ok, "liquidation")
    fresh = RiskManager(cfg).assess(intent(stop=5_000.0), Book(default_leverage=D(20)), T0)
    assert not fresh.approved  # alone at 50 000 the liquidation is 47 750: the same stop is beyond it


def test_add_is_capped_by_the_margin_already_used() -> None:
    # Cap at 10x: 0.4 BTC; 0.3 already held -> room 0.1.
    book = Book().hold("BTCUSDT", "0.3", "48000")
    assert RiskManager().assess(intent(), book, T0).qty == D("0.100")
    book.hold("BTCUSDT", "0.4", "48000")
    reason = rejected(RiskManager().assess(intent(), book, T0), "margin_cap")
    assert reason == (
        "BTCUSDT: the open position of 0.4 already uses the margin cap of 20% of equity (qty 0.4 at 10x)"
    )


def test_below_min_qty_is_rejected_not_rounded_up() -> None:
    decision = RiskManager().assess(intent(), Book(equity_value=D(10)), T0)
    assert rejected(decision, "exchange_filters") == (
        "BTCUSDT: sized qty 0.0002 rounds down to 0.000 at qtyStep 0.001, below minOrderQty 0.001"
    )


def test_below_min_notional_is_rejected() -> None:
    cfg = RiskConfig(sizing="fixed_qty", fixed_qty=D("0.001"))
    decision = RiskManager(cfg).assess(intent(price=4_000.0, stop=None), Book(), T0)
    assert rejected(decision, "exchange_filters") == "BTCUSDT: notional 4.0000 is below minNotionalValue 5"


def test_capped_at_the_market_order_maximum() -> None:
    # 1 % of 100 M = 1 M risk / 500 = 2 000 BTC; the exchange takes at most 500 BTC per market order.
    decision = RiskManager().assess(intent(), Book(equity_value=D(100_000_000)), T0)
    assert decision.approved
    assert decision.qty == D("500.000")
    assert detail(decision, "exchange_filters") == (
        "qty 500.000 passes the filters; capped 2000 to the market-order maximum 500"
    )


def test_a_reversal_keeps_the_whole_order_within_the_market_maximum() -> None:
    book = Book(equity_value=D(100_000_000)).hold("BTCUSDT", "-300", "50000")
    decision = RiskManager().assess(intent(), book, T0)
    assert decision.qty == D("200.000")  # 300 closed + 200 opened = 500 in one order
    book.hold("BTCUSDT", "-500", "50000")
    reason = rejected(RiskManager().assess(intent(), book, T0), "exchange_filters")
    assert reason == "BTCUSDT: the reversal's closing qty alone reaches the market-order maximum 500"


# ---------------------------------------------------------------------- enabled=False
def test_disabled_sizes_only() -> None:
    manager = RiskManager(RiskConfig(enabled=False, max_leverage=10))
    manager.restore({**manager.state(), "breakers": _halted_breakers_state()})
    assert manager.halted
    manager.on_trade_closed(D(-1))
    manager.on_trade_closed(D(-1))
    book = Book(default_leverage=D(50), series={"BTCUSDT": BASE, "ETHUSDT": BASE}).hold(
        "ETHUSDT", "1", "3000").hold("SOLUSDT", "1", "100").hold("DOGEUSDT", "1", "0.1")
    # Halted, 3 open, perfectly correlated, 50x with a stop beyond liquidation, loss streak: all ignored.
    decision = manager.assess(intent(stop=1_000.0), book, T0)
    assert decision.approved
    assert names(decision) == ["stop", "sizing", "leverage", "exchange_filters"]
    assert decision.qty == D("0.100")  # full size, no margin cap
    assert decision.leverage == 50  # not clamped by the config
    assert manager.on_equity(T0 + DAY_MS, D(1)) == []


def test_disabled_still_clamps_to_the_exchange_and_applies_filters() -> None:
    manager = RiskManager(RiskConfig(enabled=False))
    assert manager.assess(intent(), Book(default_leverage=D(150)), T0).leverage == 100
    reason = rejected(manager.assess(intent(), Book(equity_value=D(10)), T0), "exchange_filters")
    assert "below minOrderQty 0.001" in reason


def test_disabled_fixed_qty_needs_no_equity() -> None:
    manager = RiskManager(RiskConfig(enabled=False, sizing="fixed_qty", fixed_qty=D("0.01")))
    assert manager.assess(intent(), Book(equity_value=D(-5)), T0).qty == D("0.010")


def test_disabled_fixed_sizes_never_mark_the_portfolio() -> None:
    # equity marks every open position to market: a fixed size with the gate off must not pay for it
    class Unmarked(Book):
        def equity(self) -> D:
            raise AssertionError("equity was read")

    book = Unmarked().hold("ETHUSDT", "1", "3000")
    for config in (RiskConfig(enabled=False, sizing="fixed_qty", fixed_qty=D("0.01")),
                   RiskConfig(enabled=False, sizing="fixed_notional", fixed_notional=D("1000"))):
        assert RiskManager(config).assess(intent(), book, T0).approved
    with pytest.raises(AssertionError, match="equity was read"):
        RiskManager(RiskConfig(sizing="fixed_qty", fixed_qty=D("0.01"))).assess(intent(), book, T0)


# ---------------------------------------------------------------------- persistence
def _halted_breakers_state() -> dict[str, object]:
    manager = RiskManager()
    manager.on_equity(T0, D(10_000))
    manager.on_equity(T0 + HOUR, D(9_000))
    return manager.breakers.state()


def test_state_round_trip_through_json() -> None:
    manager = RiskManager()
    manager.on_equity(T0, D(10_000))
    manager.on_trade_closed(D(-1))
    manager.on_trade_closed(D(-1))
    manager.on_trade_closed(D(-1))
    manager.on_equity(T0 + HOUR, D(9_400))
    text = json.dumps(manager.state())
    restarted = RiskManager()
    restarted.restore(json.loads(text))
    assert restarted.halted and restarted.halt_reason == "daily_loss"
    assert restarted.size_factor == D("0.25")
    assert restarted.state() == manager.state()
    assert rejected(restarted.assess(intent(), Book(), T0 + DAY_MS), "halt").startswith("trading halted: daily_loss")


def test_restore_refuses_bad_state() -> None:
    manager = RiskManager()
    with pytest.raises(ValueError, match="risk state version must be 1, was None"):
        manager.restore({})
    with pytest.raises(ValueError, match="risk state needs 'breakers' and 'streak'"):
        manager.restore({"version": 1})


def test_assess_does_not_change_the_manager() -> None:
    manager = RiskManager()
    before = manager.state()
    for _ in range(3):
        manager.assess(intent(), Book(), T0)
    assert manager.state() == before


def test_default_config() -> None:
    assert RiskManager().config == RiskConfig()
    assert isinstance(RiskManager().size_factor, Decimal)


def test_numpy_floats_in_the_intent() -> None:
    # Strategies compute distances with numpy; np.float64's repr is "np.float64(...)" in numpy 2.
    decision = RiskManager().assess(
        intent(price=np.float64(50_000.0), stop=np.float64(500.0), take_profit=np.float64(1_000.0)), Book(), T0
    )
    assert decision.approved
    assert decision.qty == D("0.200")
    assert decision.take_profit_price == D("51000.0")


def test_floors_for_a_vectorised_backtest() -> None:
    manager = RiskManager(RiskConfig(max_daily_loss_pct=5, max_drawdown_pct=20))
    assert manager.daily_floor(10_000.0) == pytest.approx(9_500.0)
    assert manager.drawdown_floor(12_000.0) == pytest.approx(9_600.0)


# ---------------------------------------------------------------------- limits by regime
def test_an_intent_is_sized_with_its_regimes_limits() -> None:
    cfg = RiskConfig(by_regime={"volatile": {"risk_per_trade_pct": 0.5, "max_leverage": 5}})  # type: ignore[dict-item]
    gate = RiskManager(cfg)
    trending = gate.assess(intent(), Book(), T0)  # intent() is in the trending regime: base limits
    assert trending.qty == D("0.200") and trending.leverage == 10
    assert "regime_limits" not in names(trending)
    volatile = gate.assess(dataclasses.replace(intent(), regime="volatile"), Book(), T0)
    assert volatile.approved
    assert volatile.qty == D("0.100")  # half the risk budget
    assert volatile.leverage == 5  # the configured 10x clamped to the regime's maximum
    assert detail(volatile, "regime_limits").startswith("volatile regime limits: ")
    assert "max_leverage 5" in detail(volatile, "regime_limits")
    assert gate.limits_for("volatile")["risk_per_trade_pct"] == 0.5
    assert gate.limits_for("ranging")["regime"] == "base"


def test_a_regime_can_allow_fewer_open_positions() -> None:
    gate = RiskManager(RiskConfig(max_correlation=1.0,
                                  by_regime={"trending": {"max_open_positions": 1}}))  # type: ignore[dict-item]
    book = Book().hold("ETHUSDT", "1", "3000")
    reason = rejected(gate.assess(intent(), book, T0), "max_open_positions")
    assert reason.startswith("max open positions reached: 1 of 1 open (ETHUSDT)")


# ---------------------------------------------------------------------- checks written when read
def _as_read(decision: RiskDecision) -> list[tuple[str, bool, str]]:
    return [(c.name, c.passed, c.detail) for c in decision.checks]


@pytest.mark.parametrize("sizing", ["risk", "fixed_qty", "fixed_notional", "equity_fraction"])
def test_an_approved_decisions_checks_read_later_are_those_of_its_time(sizing: str) -> None:
    """The texts are written when read, from what the decision saw: a later account, loss streak, leverage or
    halt changes none of them. Every check that reads the account or the manager's state is on this path."""
    amounts: dict[str, Any] = {"fixed_qty": {"fixed_qty": D("0.05")}, "fixed_notional": {"fixed_notional": D("2500")},
                               "equity_fraction": {"equity_fraction_pct": 10.0}}.get(sizing, {})
    config = RiskConfig(sizing=sizing, by_regime={"trending": {"risk_per_trade_pct": 0.5}}, loss_streak_start=1,
                        max_position_size_pct=5, **amounts)
    manager = RiskManager(config)
    manager.on_trade_closed(D(-10))  # one loss: size x 0.5
    book = Book(series={"BTCUSDT": BASE, "ETHUSDT": 1.5 * BASE}, leverage_by_symbol={"BTCUSDT": D(25)})
    book.hold("ETHUSDT", "-1", "3000").hold("BTCUSDT", "0.01", "49000")  # an add, and a hedge to measure
    decision = manager.assess(intent(), book, T0)
    assert decision.approved
    assert type(decision.checks) is DeferredCheckLog
    at_the_time = _as_read(decision)
    assert [name for name, _, _ in at_the_time] == ["halt", "regime_limits", *ALL_CHECKS[1:]]
    assert "1 consecutive losses: size x 0.5" in detail(decision, "loss_streak")
    assert "configured 25x clamped" in detail(decision, "leverage")
    assert detail(decision, "correlation").startswith("BTCUSDT vs ETHUSDT: correlation")

    manager.on_trade_closed(D(10))
    manager.on_trade_closed(D(-5))
    manager.on_trade_closed(D(-5))
    manager.halt(T0 + HOUR, "a test halt")
    book.equity_value = D(7_500)
    book.leverage_by_symbol["BTCUSDT"] = D(3)
    book.open.clear()
    book.series.clear()
    assert _as_read(decision) == at_the_time
    assert decision.checks == CheckLog.of(RiskCheck(*check) for check in at_the_time)


def test_a_rejection_writes_its_checks_at_once() -> None:
    decision = RiskManager().assess(intent(price=float("nan")), Book(), T0)
    assert type(decision.checks) is CheckLog
    assert rejected(decision, "price").startswith("BTCUSDT: reference price must be a positive finite number")


def test_checks_written_when_read_copy_and_pickle_as_a_written_log() -> None:
    decision = RiskManager().assess(intent(), Book(), T0)
    written = CheckLog.of(decision.checks)
    for copied in (copy.copy(decision.checks), pickle.loads(pickle.dumps(decision.checks))):
        assert type(copied) is CheckLog
        assert copied == written == decision.checks
    assert len(decision.checks) == len(ALL_CHECKS) and decision.checks[3] == written[3]
    assert dataclasses.replace(decision) == decision and hash(dataclasses.replace(decision)) == hash(decision)
