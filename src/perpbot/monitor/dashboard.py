"""The live console dashboard: rich, redrawn in place from the latest snapshot on its own thread.

The trading thread only hands over each close's facts (`snapshot.capture`); the monitor's thread builds
the snapshots from them, runs the alert rules on each in order, and redraws when something changed.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from datetime import UTC, datetime
from decimal import Decimal

from rich.console import Console, Group, RenderableType
from rich.layout import Layout
from rich.live import Live
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from perpbot.engine.paper import CloseReport
from perpbot.monitor.alerts import AlertEngine
from perpbot.monitor.snapshot import CloseFacts, FeedRow, MonitorSnapshot, RunningTotals, build_snapshot, capture
from perpbot.runtime.paper import PaperRuntime, RuntimeNotice

log = logging.getLogger(__name__)

MAX_ALERTS = 6
QUIET_S = 0.2  # the trading thread handed nothing over this long: no close is under way, redraw now
REDRAW_AT_LEAST_S = 5.0  # while closes come without a pause, redraw this often all the same


def _when(ts: int | None) -> str:
    return "-" if ts is None else datetime.fromtimestamp(ts / 1000, tz=UTC).strftime("%Y-%m-%d %H:%M")


def _money(value: Decimal | float) -> Text:
    number = float(value)
    return Text(f"{number:,.2f}", style="green" if number > 0 else "red" if number < 0 else "")


def render(snap: MonitorSnapshot) -> RenderableType:
    """One screen: account, positions, risk and feed on top; trades, decisions and strategies below."""
    account = Table.grid(padding=(0, 2))
    account.add_row("equity", _money(snap.equity), "balance", _money(snap.balance))
    account.add_row("realised", _money(snap.realised), "unrealised", _money(snap.unrealised))
    account.add_row("fees", _money(-snap.fees), "funding", _money(snap.funding))
    account.add_row("trades", str(snap.trade_count), "rejected orders", str(snap.rejected_orders))

    risk = snap.risk
    risk_table = Table.grid(padding=(0, 2))
    state = Text("HALTED: " + (risk.halt_reason or ""), style="bold red") if risk.halted else Text("trading", "green")
    risk_table.add_row("state", state if risk.enabled else Text("risk manager off", "yellow"))
    risk_table.add_row("daily loss used", f"{risk.daily_loss_used_pct:.0f}% of {risk.daily_limit_pct:g}%")
    risk_table.add_row("drawdown", f"{risk.drawdown_pct:.2f}% (limit {risk.drawdown_limit_pct:g}%)")

    feed = snap.feed
    feed_table = Table.grid(padding=(0, 2))
    feed_table.add_row("last close", _when(feed.last_close_ts))
    feed_table.add_row("closes", f"{feed.closes} ({feed.untraded} untraded)")
    feed_table.add_row("gaps / dup / late", f"{feed.gaps} / {feed.duplicates} / {feed.late}")
    feed_table.add_row("waiting for", feed.waiting_for or "-")

    positions = Table("symbol", "side", "qty", "entry", "mark", "uPnL", "stop", "liq", expand=True)
    for p in snap.positions:
        positions.add_row(p.symbol, p.side, str(p.qty), str(p.entry.quantize(Decimal("0.0001"))), f"{p.mark:g}",
                          _money(p.unrealised), str(p.stop or "-"), str(p.liquidation or "-"))
    trades = Table("exit", "symbol", "side", "qty", "net", "reason", expand=True)
    for t in reversed(snap.trades):
        trades.add_row(_when(t.exit_ts), t.symbol, t.side.value, str(t.qty), _money(t.net_pnl), t.exit_reason.value)
    decisions = Table("time", "symbol", "action", "regime", "note", expand=True)
    for d in reversed(snap.decisions):
        decisions.add_row(_when(d.ts), d.symbol, d.action.value, d.intent.regime if d.intent else "",
                          (d.note or "")[:60])
    strategies = Table("strategy", "trades", "win %", "net", expand=True)
    for s in snap.strategies:
        strategies.add_row(s.strategy, str(s.trades), f"{100 * s.wins / s.trades:.0f}" if s.trades else "-",
                           _money(s.net))
    alerts = Text("\n".join(snap.alerts[-MAX_ALERTS:]) or "none", style="yellow" if snap.alerts else "dim")

    layout = Layout()
    layout.split_column(Layout(name="top", size=7), Layout(name="middle"), Layout(name="bottom"))
    layout["top"].split_row(Layout(Panel(account, title=f"{snap.name} ({snap.mode}) at {_when(snap.close_ts)}")),
                            Layout(Panel(risk_table, title="risk")), Layout(Panel(feed_table, title="feed")))
    layout["middle"].split_row(Layout(Panel(positions, title="open positions"), ratio=3),
                               Layout(Panel(strategies, title="per strategy"), ratio=2))
    layout["bottom"].split_row(Layout(Panel(Group(trades), title="recent trades")),
                               Layout(Panel(decisions, title="recent decisions")),
                               Layout(Panel(alerts, title="alerts")))
    return layout


class ConsoleMonitor:
    """A runtime observer: hands each close's facts to a thread of its own, which builds the snapshots,
    runs the alert rules and redraws the dashboard (once `start`ed), so the cycle never waits for any of it."""

    def __init__(self, name: str, *, console: Console | None = None, refresh_per_second: float = 4.0,
                 mode: str = "paper", alerts: AlertEngine | None = None) -> None:
        self.name = name
        self.alert_engine = alerts
        self.mode = mode
        self.console = console or Console()
        self.refresh_per_second = refresh_per_second
        self.totals = RunningTotals()
        self.alerts: list[str] = []
        self.failures = 0  # snapshots or alert rules that raised (logged)
        self.busy_s = 0.0  # CPU seconds the monitor's thread has used: all it can take from trading
        self._pending: deque[CloseFacts] = deque()  # appended by the trading thread, consumed by `process`
        self._latest: MonitorSnapshot | None = None
        self._building = threading.Lock()  # one consumer at a time: snapshots and alerts stay in close order
        self._changed = False
        self._handed_at = self._drawn_at = 0.0  # monotonic seconds of the last hand-over and redraw
        self._live: Live | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def attach(self, runtime: PaperRuntime) -> None:
        self.totals.attach(runtime.engine)
        runtime.observers.append(self)
        runtime.on_shutdown.insert(0, self.stop)  # the monitor stops first

    def on_close(self, report: CloseReport, runtime: PaperRuntime) -> None:
        """On the trading thread: copy this close's facts and hand them over; nothing is built here."""
        stats, health = runtime.barrier.stats, runtime.health
        waiting = runtime.barrier.waiting_for()
        feed = FeedRow(health.last_close_ts, health.closes, health.untraded_closes, health.gaps, stats.duplicates,
                       stats.late, ", ".join(f"{s} {tf}" for s, tf in waiting[1]) if waiting else "")
        self._pending.append(capture(runtime.engine, report, totals=self.totals, feed=feed))
        self._handed_at = time.monotonic()
        if self._thread is None and not self._stop.is_set():
            self._start_thread()

    @property
    def latest(self) -> MonitorSnapshot | None:
        """The snapshot of the latest close handed over (built now if the thread has not got to it yet)."""
        self.process()
        return self._latest

    def process(self) -> None:
        """Build the snapshot of every close handed over, in order, and run the alert rules on each.

        Only the last one can be drawn, so the others are built without their position rows (the
        alert rules do not read them): a replay hands over closes far faster than anyone looks.
        """
        with self._building:
            while self._pending:
                facts = self._pending.popleft()
                last = not self._pending  # for now: the trading thread may hand over more meanwhile
                try:
                    snap = build_snapshot(facts, alerts=tuple(self.alerts[-MAX_ALERTS:]), name=self.name,
                                          mode=self.mode, positions=last)
                    if last:
                        self._latest = snap
                        self._changed = True
                    if self.alert_engine is not None:
                        for fired in self.alert_engine.on_snapshot(snap):
                            self.alert(f"{_when(fired.ts)} {fired.severity}: {fired.message}")
                except Exception:  # a broken rule or delivery must not stop the monitor (nor trading)
                    self.failures += 1
                    log.exception("monitor failed on the close at %s", facts.close_ts)

    def on_notice(self, notice: RuntimeNotice) -> None:
        self.alert(f"{_when(notice.ts)} {notice.kind}: {notice.message}")

    def alert(self, line: str) -> None:
        self.alerts.append(line)  # shown from the next snapshot on

    def start(self) -> None:
        """Begin redrawing the dashboard; the trading loop never waits for it."""
        self._live = Live(console=self.console, auto_refresh=False, screen=False, transient=False)
        self._live.start()
        if self._thread is None:
            self._start_thread()

    def _start_thread(self) -> None:
        self._thread = threading.Thread(target=self._loop, name="perpbot-monitor", daemon=True)
        self._thread.start()

    def _loop(self) -> None:
        interval = 1.0 / self.refresh_per_second
        self._drawn_at = time.monotonic()  # a replay already under way waits for quiet, or a while, too
        while not self._stop.wait(interval):
            started = time.thread_time()
            self.process()
            now = time.monotonic()
            # A redraw holds the interpreter for tens of milliseconds, long enough to delay a close: draw
            # what is new once the trading thread has been quiet a moment (live closes are minutes
            # apart), and while closes follow each other without a pause (a replay), every few seconds.
            quiet = now - self._handed_at >= QUIET_S or now - self._drawn_at >= REDRAW_AT_LEAST_S
            if self._changed and quiet:
                self._draw()
            self.busy_s += time.thread_time() - started

    def _draw(self) -> None:
        snap = self._latest
        self._changed = False
        self._drawn_at = time.monotonic()
        if snap is not None and self._live is not None:
            self._live.update(render(snap), refresh=True)

    def stop(self) -> None:
        """Stop the thread, build and alert on whatever is still handed over, and leave the final state on screen."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None
        self.process()
        if self._live is not None:
            self._draw()
            self._live.stop()
            self._live = None
