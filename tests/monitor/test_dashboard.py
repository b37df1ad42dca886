"""The console dashboard: its snapshot agrees with the engine, and it draws without touching the cycle."""

from __future__ import annotations

import io
import math
from dataclasses import replace
from decimal import Decimal
from typing import Any

from rich.console import Console

from perpbot.engine.paper import CloseReport
from perpbot.monitor.alert_config import AlertsConfig
from perpbot.monitor.alerts import Alert, AlertEngine
from perpbot.monitor.dashboard import ConsoleMonitor, render
from perpbot.monitor.snapshot import CloseFacts, FeedRow, MonitorSnapshot, RunningTotals, build_snapshot, capture
from perpbot.runtime.paper import PaperRuntime, RuntimeNotice
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


class _Twice:
    """At each close: the facts the monitor would be handed, and the snapshot built from them at once
    (written out in full, so that nothing it shows can change afterwards)."""

    def __init__(self, totals: RunningTotals) -> None:
        self.totals = totals
        self.kept: list[tuple[CloseFacts, MonitorSnapshot, str]] = []

    def on_close(self, report: CloseReport, runtime: PaperRuntime) -> None:
        facts = capture(runtime.engine, report, totals=self.totals, feed=FeedRow(None, 0, 0, 0, 0, 0, ""))
        snap = build_snapshot(facts)
        self.kept.append((facts, snap, repr(snap)))

    def on_notice(self, notice: RuntimeNotice) -> None:
        pass


def test_facts_stay_as_they_were_at_their_close() -> None:
    """The monitor's thread builds a snapshot after the engine has moved on: the facts a close handed over
    must not follow the engine (no live position, order or list inside them)."""
    config = _config(backtest={"start": START, "end": "2024-01-15", "close_at_end": False})
    totals = RunningTotals()
    twice = _Twice(totals)
    runtime = _runtime(config, _source(), observers=[twice])
    totals.attach(runtime.engine)
    runtime.run()
    assert len(twice.kept) > 100
    assert sum(bool(snap.positions) for _, snap, _ in twice.kept) > 20
    assert len({snap.trade_count for _, snap, _ in twice.kept}) > 3
    for facts, snap, at_close in twice.kept:
        assert repr(build_snapshot(facts)) == at_close, f"the close at {facts.close_ts} changed after it"
        light = build_snapshot(facts, positions=False)  # what the alert rules get for closes not drawn
        assert light.positions == () and math.isnan(light.unrealised)
        assert replace(light, positions=snap.positions, unrealised=snap.unrealised) == snap


class _Recording(AlertEngine):
    def __init__(self) -> None:
        super().__init__(AlertsConfig(min_interval_s=0), exec_step_ms=900_000)
        self.seen: list[int] = []

    def on_snapshot(self, snap: MonitorSnapshot) -> list[Alert]:
        self.seen.append(snap.close_ts)
        return super().on_snapshot(snap)


def test_alert_rules_see_every_close_in_order() -> None:
    config = _config(backtest={"start": START, "end": "2024-01-15", "close_at_end": False},
                     risk={"max_daily_loss_pct": 2, "max_drawdown_pct": 6, "max_correlation": 0.95})
    engine = _Recording()
    monitor = ConsoleMonitor("alerts", console=Console(file=io.StringIO()), alerts=engine)
    closes: list[int] = []

    class Closes:
        def on_close(self, report: CloseReport, runtime: Any) -> None:
            closes.append(report.close_ts)

        def on_notice(self, notice: RuntimeNotice) -> None:
            pass

    runtime = _runtime(config, _source(), observers=[Closes()])
    monitor.attach(runtime)
    runtime.run()  # the monitor's thread handles closes as it can; shutdown hands it the rest
    assert engine.seen == closes and len(closes) > 100
    assert monitor.latest is not None and monitor.latest.close_ts == closes[-1]
    assert not monitor.failures
