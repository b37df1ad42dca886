"""The event-skipping loop must equal stepping every bar, and runs must be byte-identical."""

from __future__ import annotations

import itertools
from decimal import Decimal
from typing import Any

import pandas as pd
import pytest

from perpbot.config import parse_config
from perpbot.data.memory import InMemorySource
from perpbot.engine.backtest import LoopTuning
from perpbot.engine.prepare import prepare
from perpbot.engine.service import build_loop, run_backtest
from perpbot.model import OrderRequest, OrderType, Side, TriggerKind
from perpbot.strategies.registry import StrategyRegistry
from tests.conftest import make_candles

D = Decimal
INF = float("inf")


def _config(**overrides: Any) -> Any:
    raw: dict[str, Any] = {
        "name": "loop-test",
        "symbols": [{"symbol": "BTCUSDT", "leverage": 5}, {"symbol": "ETHUSDT", "leverage": 3}],
        "strategies": [
            {"name": "ema_cross", "timeframe": "15m", "params": {"fast": 8, "slow": 21}},
            {"name": "rsi_reversion", "timeframe": "1h"},
        ],
        "aggregation": {"threshold": 0.3},
        "regime": {"enabled": False},
        "risk": {"risk_per_trade_pct": 2, "max_daily_loss_pct": 4, "max_drawdown_pct": 15, "max_correlation": 0.95},
        "venue": {"slippage_bps": 2},
    }
    raw.update(overrides)
    return parse_config(raw)


def _source() -> InMemorySource:
    step15, step1h = 900_000, 3_600_000
    btc15 = make_candles(4000, seed=3, step_ms=step15, price=60000.0)
    eth15 = make_candles(4000, seed=4, step_ms=step15, price=3000.0)
    candles = {("BTCUSDT", "15m"): btc15, ("ETHUSDT", "15m"): eth15}
    for sym, frame in (("BTCUSDT", btc15), ("ETHUSDT", eth15)):
        hourly = frame.groupby(frame["ts"] // step1h).agg(
            ts=("ts", "first"), open=("open", "first"), high=("high", "max"), low=("low", "min"),
            close=("close", "last"), volume=("volume", "sum")).reset_index(drop=True)
        candles[(sym, "1h")] = hourly
    start = int(btc15["ts"].iloc[0])
    funding_ts = [start + i * 8 * step1h for i in range(1, 40)]
    funding = {s: pd.DataFrame({"ts": funding_ts, "rate": [0.0001 * (-1) ** i for i in range(len(funding_ts))]})
               for s in ("BTCUSDT", "ETHUSDT")}
    return InMemorySource(candles, funding)


@pytest.mark.parametrize("risk_enabled", [True, False])
def test_skipping_bars_equals_stepping_every_bar(risk_enabled: bool) -> None:
    config = _config(risk={"enabled": risk_enabled, "max_daily_loss_pct": 3, "max_drawdown_pct": 10})
    fast = run_backtest(config, _source())
    slow = run_backtest(config, _source(), step_every_bar=True)
    assert len(fast.trades) > 10
    assert fast.trades == slow.trades
    assert fast.ledger.balance == slow.ledger.balance
    assert [e.amount for e in fast.ledger.entries] == [e.amount for e in slow.ledger.entries]
    assert (fast.equity == slow.equity).all()
    assert fast.bars_visited < slow.bars_visited


def test_same_inputs_same_bytes() -> None:
    first = run_backtest(_config(), _source()).to_json()
    second = run_backtest(_config(), _source()).to_json()
    assert first == second


def test_ledger_reconciles_with_trades_and_funding() -> None:
    result = run_backtest(_config(), _source())
    result.ledger.check()
    assert result.funding, "the scenario crosses funding times with positions open"
    trade_net = sum((t.net_pnl for t in result.trades), start=result.ledger.deposits - result.ledger.deposits)
    assert not result.open_positions
    assert result.ledger.balance - result.ledger.deposits == trade_net
    assert float(result.equity[-1]) == pytest.approx(float(result.ledger.balance), abs=1e-6)


def test_orders_fill_no_earlier_than_the_next_open() -> None:
    result = run_backtest(_config(), _source())
    decided = {d.client_ids[0]: d.ts for d in result.decisions if d.client_ids}
    for fill in result.fills:
        if fill.client_id in decided:
            assert fill.ts >= decided[fill.client_id]


@pytest.mark.parametrize(("daily", "drawdown", "halt"), [(2, 99, "daily_loss"), (99, 4, "drawdown"), (99, 99, None)])
def test_breaker_search_in_plain_floats_equals_the_vectorised_one(daily: float, drawdown: float,
                                                                   halt: str | None) -> None:
    # Short stretches are searched for a breach in plain floats, long ones with numpy: forcing every stretch
    # down either path must give the same run, halts and peaks included.
    config = _config(risk={"max_daily_loss_pct": daily, "max_drawdown_pct": drawdown})
    vectorised_loop = build_loop(config, prepare(config, _source(), StrategyRegistry()),
                                 tuning=LoopTuning(short_stretch=0))
    vectorised_loop.run()
    assert vectorised_loop.searches.plain == 0 and vectorised_loop.searches.vectorised > 30
    plain_loop = build_loop(config, prepare(config, _source(), StrategyRegistry()),
                            tuning=LoopTuning(short_stretch=10**9))
    plain_loop.run()
    assert plain_loop.searches.vectorised == 0 and plain_loop.searches.plain > 30

    vectorised = run_backtest(config, _source(), tuning=LoopTuning(short_stretch=0))
    plain = run_backtest(config, _source(), tuning=LoopTuning(short_stretch=10**9))
    assert plain.to_json() == vectorised.to_json()
    assert plain.decisions == vectorised.decisions
    assert [e.amount for e in plain.ledger.entries] == [e.amount for e in vectorised.ledger.entries]
    halts = {d.note.split(" ")[0] for d in plain.decisions if d.action.value == "emergency_close"} - {"end_of_data"}
    assert halts == ({halt} if halt else set())


@pytest.mark.parametrize("limit_fill", ["touch", "through"])
def test_activation_search_in_plain_floats_equals_the_vectorised_one(limit_fill: str) -> None:
    # The first bar that reaches a stop, a take-profit, a resting limit or the liquidation price: short searches
    # scan bars in plain floats, long ones use numpy. Either path for every search must give the same run.
    config = _config(venue={"slippage_bps": 2, "limit_fill": limit_fill},
                     execution={"entry_order": "limit", "limit_offset_bps": 5})
    runs = {}
    for name, threshold in (("vectorised", 0), ("plain", 10**9)):
        loop = build_loop(config, prepare(config, _source(), StrategyRegistry()),
                          tuning=LoopTuning(short_search=threshold))
        loop.run()
        counts = loop.searches
        taken, other = ((counts.vectorised_activation, counts.plain_activation) if name == "vectorised" else
                        (counts.plain_activation, counts.vectorised_activation))
        assert other == 0 and taken > 30
        runs[name] = run_backtest(config, _source(), tuning=LoopTuning(short_search=threshold))
    assert runs["plain"].to_json() == runs["vectorised"].to_json()
    assert [f.ts for f in runs["plain"].fills] == [f.ts for f in runs["vectorised"].fills]
    assert any(f.role.value == "maker" for f in runs["plain"].fills), "resting limits must be searched too"
    assert any(t.exit_reason.value == "stop_loss" for t in runs["plain"].trades), "and stops"


def test_an_activation_search_answers_for_the_stretches_after_it() -> None:
    # With two symbols acting, each one's events cut the other's stretches short; a search looks past its stretch
    # and its answer stands until the symbol's own levels change. Stepping every bar, a search per symbol per bar
    # would make thousands of them; the run must make a few dozen, and the same run as skipping bars.
    config = _config()
    loop = build_loop(config, prepare(config, _source(), StrategyRegistry()), step_every_bar=True)
    out = loop.run()
    searches = loop.searches.plain_activation + loop.searches.vectorised_activation
    assert out.bars_visited == 4000 and len(out.node.fills) > 20
    assert 0 < searches < out.bars_visited / 20
    assert run_backtest(config, _source(), step_every_bar=True).to_json() == run_backtest(config, _source()).to_json()


@pytest.mark.parametrize("symbols", [2, 9])
def test_equity_curve_built_in_blocks_equals_the_curve_built_at_once(symbols: int) -> None:
    # The curve is built a block of bars at a time to bound its temporaries; each bar's sum over the symbols
    # must come out bit for bit as in one block (9 symbols reach numpy's unrolled sum over 8 or more).
    from perpbot.model.instrument import REFERENCE_INSTRUMENTS

    names = list(REFERENCE_INSTRUMENTS)[:symbols]
    step = 900_000
    candles = {(name, "15m"): make_candles(1500, seed=20 + i, step_ms=step, price=100.0 * (i + 1))
               for i, name in enumerate(names)}
    config = _config(symbols=[{"symbol": name, "leverage": 3} for name in names],
                     strategies=[{"name": "ema_cross", "timeframe": "15m", "params": {"fast": 5, "slow": 13}}],
                     risk={"enabled": False, "sizing": "fixed_notional", "fixed_notional": "500"})
    whole = run_backtest(config, InMemorySource(candles, {}), tuning=LoopTuning(curve_block=10**9))
    # many blocks, the last one partial
    blocks = run_backtest(config, InMemorySource(candles, {}), tuning=LoopTuning(curve_block=97))
    assert len(whole.trades) > 50
    assert whole.equity.tobytes() == blocks.equity.tobytes()
    assert whole.exposure.tobytes() == blocks.exposure.tobytes()


def test_the_loop_state_is_freed_by_reference_counting_when_the_run_ends() -> None:
    # The result keeps the records; the node, the exchange and their books must go as soon as the run has
    # taken what it needs (before the metrics' temporaries), which a reference cycle would prevent until the
    # cyclic collector ran: here it never runs. Counted by type, as the compiled core's objects take no
    # weak references.
    import gc

    from perpbot.engine.node import TradingNode
    from perpbot.execution.orders import OrderManager
    from perpbot.venues.sim import SimVenue

    def alive() -> dict[str, int]:
        kinds = {TradingNode: "node", SimVenue: "venue", OrderManager: "orders"}
        counts = dict.fromkeys(kinds.values(), 0)
        for obj in gc.get_objects():
            kind = kinds.get(type(obj))
            if kind is not None:
                counts[kind] += 1
        return counts

    gc.collect()
    assert alive() == {"node": 0, "venue": 0, "orders": 0}
    gc.disable()
    try:
        loop = build_loop(_config(), prepare(_config(), _source(), StrategyRegistry()))
        assert alive() == {"node": 1, "venue": 1, "orders": 1}  # the count sees them while they live
        del loop
        result = run_backtest(_config(), _source())
        assert len(result.orders) > 10
        assert alive() == {"node": 0, "venue": 0, "orders": 0}
    finally:
        gc.enable()


@pytest.mark.parametrize("entry_order", ["market", "limit"])
def test_an_orders_labels_are_dropped_when_it_is_done(entry_order: str) -> None:
    # The strategies and regime an entry is credited to are read when it fills; kept after its last fill, or
    # after a cancel of an entry limit that never filled, they would grow with every order of the run.
    execution = {"entry_order": "limit", "limit_offset_bps": "40"} if entry_order == "limit" else {}
    config = _config(execution=execution)
    out = build_loop(config, prepare(config, _source(), StrategyRegistry())).run()
    orders = list(out.node.orders.orders())
    assert len(out.node.trades) > 10
    assert all(t.strategies for t in out.node.trades if t.exit_reason.value != "end_of_data")
    if entry_order == "limit":
        assert any(o.status.value == "Cancelled" and o.request.tag in ("entry", "reversal") and not o.filled_qty
                   for o in orders), "the scenario withdraws an entry limit that never filled"
    assert set(out.node._labels) <= {o.client_id for o in orders if not o.status.is_final}


@pytest.mark.parametrize("active", list(itertools.product((0, 1), repeat=4)))
def test_the_activation_search_finds_the_first_bar_any_level_reaches(active: tuple[int, int, int, int]) -> None:
    """Every combination of the four kinds of level (a rise to or through one, a fall to or through one): the
    search returns the first bar in the window that a plain scan of the candles finds, cached or not."""
    config = _config(venue={"limit_fill": "through"})
    prepared = prepare(config, _source(), StrategyRegistry())
    loop = build_loop(config, prepared)
    sym = prepared.data.symbols[0]
    inst, venue = sym.instrument, loop.venue
    start = float(sym.close[0])
    venue.mark(sym.symbol, start)
    orders = [  # (side, limit price, trigger, trigger kind): rise to, rise through, fall to, fall through
        (Side.BUY, None, 1.02, TriggerKind.STOP_LOSS), (Side.SELL, 1.01, None, TriggerKind.NONE),
        (Side.SELL, None, 0.985, TriggerKind.STOP_LOSS), (Side.BUY, 0.975, None, TriggerKind.NONE),
    ]
    for n, (on, (side, limit, trigger, kind)) in enumerate(zip(active, orders, strict=True)):
        if on:
            venue.submit(OrderRequest(
                f"t{n}", sym.symbol, side, OrderType.MARKET if limit is None else OrderType.LIMIT, D("0.001"),
                price=None if limit is None else inst.round_price(start * limit),
                trigger_price=None if trigger is None else inst.round_price(start * trigger), trigger=kind,
            ), 0)
    rise_ge, rise_gt, fall_le, fall_lt = venue.activation_levels(sym.symbol)
    assert [rise_ge != INF, rise_gt != INF, fall_le != -INF, fall_lt != -INF] == [bool(a) for a in active]

    def scan(k: int, limit: int) -> int | None:
        return next((j for j in range(k, limit + 1) if sym.high[j] >= rise_ge or sym.high[j] > rise_gt
                     or sym.low[j] <= fall_le or sym.low[j] < fall_lt), None)

    n = len(sym.high)
    for k, limit in [(0, n - 1), (0, 40), (5, 600), (30, 31), (300, n - 1), (1200, 1500), (n - 3, n - 1)]:
        assert loop._next_hit(0, k, limit) == scan(k, limit), (k, limit)
