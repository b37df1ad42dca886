"""The event-skipping loop must equal stepping every bar, and runs must be byte-identical."""

from __future__ import annotations

from typing import Any

import pandas as pd
import pytest

from perpbot.config import parse_config
from perpbot.data.memory import InMemorySource
from perpbot.engine.service import run_backtest
from tests.conftest import make_candles


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
def test_breaker_search_in_plain_floats_equals_the_vectorised_one(monkeypatch: pytest.MonkeyPatch, daily: float,
                                                                   drawdown: float, halt: str | None) -> None:
    # Short stretches are searched for a breach in plain floats, long ones with numpy: forcing every stretch
    # down either path must give the same run, halts and peaks included.
    import perpbot.engine.backtest as loop_module

    config = _config(risk={"max_daily_loss_pct": daily, "max_drawdown_pct": drawdown})
    calls = {"short": 0}
    short = loop_module.BacktestLoop._check_breakers_short

    def counted(self: Any, *args: Any) -> Any:
        calls["short"] += 1
        return short(self, *args)

    monkeypatch.setattr(loop_module.BacktestLoop, "_check_breakers_short", counted)
    monkeypatch.setattr(loop_module, "_SHORT_STRETCH", 0)
    vectorised = run_backtest(config, _source())
    assert calls["short"] == 0
    monkeypatch.setattr(loop_module, "_SHORT_STRETCH", 10**9)
    plain = run_backtest(config, _source())
    assert calls["short"] > 30
    assert plain.to_json() == vectorised.to_json()
    assert plain.decisions == vectorised.decisions
    assert [e.amount for e in plain.ledger.entries] == [e.amount for e in vectorised.ledger.entries]
    halts = {d.note.split(" ")[0] for d in plain.decisions if d.action.value == "emergency_close"} - {"end_of_data"}
    assert halts == ({halt} if halt else set())


@pytest.mark.parametrize("symbols", [2, 9])
def test_equity_curve_built_in_blocks_equals_the_curve_built_at_once(monkeypatch: pytest.MonkeyPatch,
                                                                      symbols: int) -> None:
    # The curve is built a block of bars at a time to bound its temporaries; each bar's sum over the symbols
    # must come out bit for bit as in one block (9 symbols reach numpy's unrolled sum over 8 or more).
    import perpbot.engine.backtest as loop_module
    from perpbot.model.instrument import REFERENCE_INSTRUMENTS

    names = list(REFERENCE_INSTRUMENTS)[:symbols]
    step = 900_000
    candles = {(name, "15m"): make_candles(1500, seed=20 + i, step_ms=step, price=100.0 * (i + 1))
               for i, name in enumerate(names)}
    config = _config(symbols=[{"symbol": name, "leverage": 3} for name in names],
                     strategies=[{"name": "ema_cross", "timeframe": "15m", "params": {"fast": 5, "slow": 13}}],
                     risk={"enabled": False, "sizing": "fixed_notional", "fixed_notional": "500"})
    monkeypatch.setattr(loop_module, "_CURVE_BLOCK", 10**9)
    whole = run_backtest(config, InMemorySource(candles, {}))
    monkeypatch.setattr(loop_module, "_CURVE_BLOCK", 97)  # many blocks, the last one partial
    blocks = run_backtest(config, InMemorySource(candles, {}))
    assert len(whole.trades) > 50
    assert whole.equity.tobytes() == blocks.equity.tobytes()
    assert whole.exposure.tobytes() == blocks.exposure.tobytes()


def test_the_loop_state_is_freed_by_reference_counting_when_the_run_ends(monkeypatch: pytest.MonkeyPatch) -> None:
    # The result keeps the records; the node, the exchange and their books must go as soon as the run has
    # taken what it needs (before the metrics' temporaries), which a reference cycle would prevent until the
    # cyclic collector ran: here it never runs.
    import gc
    import weakref

    import perpbot.engine.backtest as loop_module

    kept: dict[str, weakref.ref[Any]] = {}
    run = loop_module.BacktestLoop.run

    def watched(self: Any) -> Any:
        out = run(self)
        kept.update(node=weakref.ref(out.node), venue=weakref.ref(out.venue), orders=weakref.ref(out.node.orders))
        return out

    monkeypatch.setattr(loop_module.BacktestLoop, "run", watched)
    gc.disable()
    try:
        result = run_backtest(_config(), _source())
        assert len(result.orders) > 10
        assert {name: ref() is None for name, ref in kept.items()} == {"node": True, "venue": True, "orders": True}
    finally:
        gc.enable()


@pytest.mark.parametrize("entry_order", ["market", "limit"])
def test_an_orders_labels_are_dropped_when_it_is_done(monkeypatch: pytest.MonkeyPatch, entry_order: str) -> None:
    # The strategies and regime an entry is credited to are read when it fills; kept after its last fill, or
    # after a cancel of an entry limit that never filled, they would grow with every order of the run.
    import perpbot.engine.backtest as loop_module

    seen: dict[str, Any] = {}
    run = loop_module.BacktestLoop.run

    def watched(self: Any) -> Any:
        out = run(self)
        seen["labels"] = dict(out.node._labels)
        seen["live"] = {o.client_id for o in out.node.orders.orders() if not o.status.is_final}
        return out

    monkeypatch.setattr(loop_module.BacktestLoop, "run", watched)
    execution = {"entry_order": "limit", "limit_offset_bps": "40"} if entry_order == "limit" else {}
    result = run_backtest(_config(execution=execution), _source())
    assert len(result.trades) > 10
    assert all(t.strategies for t in result.trades if t.exit_reason.value != "end_of_data")
    if entry_order == "limit":
        assert any(o.status.value == "Cancelled" and o.request.tag in ("entry", "reversal") and not o.filled_qty
                   for o in result.orders), "the scenario withdraws an entry limit that never filled"
    assert set(seen["labels"]) <= seen["live"]
