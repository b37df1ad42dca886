"""The console dashboard: its snapshot agrees with the engine, and it draws without touching the cycle."""

from __future__ import annotations

import io
from decimal import Decimal

from rich.console import Console

from perpbot.monitor.dashboard import ConsoleMonitor, render
from tests.engine.test_backtest_loop import _config, _source
from tests.engine.test_paper_parity import START
from tests.runtime.test_replay_runtime import _runtime


def _watched_run(end: str = "2024-01-15") -> tuple[ConsoleMonitor, object, io.StringIO]:
    config = _config(backtest={"start": START, "end": end, "close_at_end": False},
                     risk={"max_daily_loss_pct": 2, "max_drawdown_pct": 6, "max_correlation": 0.95})
    out = io.StringIO()
    monitor = ConsoleMonitor("dash-test", console=Console(file=out, width=180, force_terminal=False),
                             refresh_per_second=50)
    runtime = _runtime(config, _source())
    monitor.attach(runtime)
    monitor.start()
    runtime.run()
    return monitor, runtime, out


def test_snapshot_agrees_with_the_engine() -> None:
    monitor, runtime, _ = _watched_run()
    snap = monitor.latest
    assert snap is not None
    node = runtime.engine.node  # type: ignore[attr-defined]
    assert snap.trade_count == len(node.trades) > 0
    assert snap.balance == node.ledger.balance
    assert sum((s.net for s in snap.strategies), Decimal(0)) == sum(
        (t.net_pnl * max(1, len(t.strategies)) for t in node.trades), Decimal(0))
    assert {p.symbol for p in snap.positions} == {p.symbol for p in node.positions.open_positions()}
    for row in snap.positions:
        assert row.stop is not None, "every open position shows its protective stop"
    assert snap.risk.halted == runtime.engine.risk.halted  # type: ignore[attr-defined]


def test_the_dashboard_draws_and_stops_first_on_shutdown() -> None:
    monitor, _runtime_unused, out = _watched_run("2024-01-08")
    text = out.getvalue()
    assert "equity" in text and "open positions" in text and "recent decisions" in text
    assert monitor._thread is None  # joined during the runtime's shutdown


def test_render_shows_a_halt_in_plain_words() -> None:
    monitor, _, _ = _watched_run()
    snap = monitor.latest
    assert snap is not None
    buffer = io.StringIO()
    Console(file=buffer, width=180).print(render(snap))
    screen = buffer.getvalue()
    if snap.risk.halted:
        assert "HALTED" in screen
    else:
        assert "trading" in screen
    assert "dash-test" in screen
