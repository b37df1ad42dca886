"""`perpbot paper`: the bot on the wall clock with the simulated exchange (today: replays of recorded candles)."""

from __future__ import annotations

import signal
import time
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table

from perpbot.cli_output import console, err_console, fail
from perpbot.cli_sessions import DbUrl
from perpbot.errors import PerpbotError


def paper(
    config: Annotated[Path, typer.Option("--config", "-c", help="JSON configuration file")],
    replay: Annotated[bool, typer.Option("--replay", help="play recorded candles instead of the live feed")] = False,
    speed: Annotated[float | None, typer.Option(help="replay speed as a multiple of real time (900: a 15m candle "
                                                      "a second); default as fast as possible")] = None,
    start: Annotated[datetime | None,
                     typer.Option("--from", formats=["%Y-%m-%d"], help="replay from (UTC date)")] = None,
    end: Annotated[datetime | None,
                   typer.Option("--to", formats=["%Y-%m-%d"], help="replay until (exclusive)")] = None,
    no_monitor: Annotated[bool, typer.Option("--no-monitor", help="no live dashboard")] = False,
    fresh: Annotated[bool, typer.Option("--fresh", help="start a new session even if an unfinished one of this "
                                                        "configuration could be resumed")] = False,
    no_store: Annotated[bool, typer.Option("--no-store", help="do not record the run as a session")] = False,
    clear_halt: Annotated[bool, typer.Option("--clear-halt", help="clear the resumed session's latched risk halt "
                                                                  "(recorded in the session) and trade again")]
    = False,
    db_url: DbUrl = None,
) -> None:
    """Paper-trade CONFIG: real strategies, risk and orders against the simulated exchange, on Bybit's live
    public market data, or with --replay on recorded candles."""
    from perpbot.config import load_config
    from perpbot.monitor.alerts import AlertEngine, AppriseNotifier, alert_urls
    from perpbot.monitor.dashboard import ConsoleMonitor
    from perpbot.runtime.assemble import ReplayPlan, build_replay

    try:
        cfg = load_config(config)
        plan = ReplayPlan(start.date() if start else None, end.date() if end else None, speed)
        recorder = None
        if not no_store:
            from perpbot.runtime.recorder import SessionRecorder
            from perpbot.sessions.manager import SessionManager
            from perpbot.store.database import open_database
            from perpbot.store.repository import SessionRepository

            manager = SessionManager(SessionRepository(open_database(db_url or cfg.sessions.db_url)))
            recorder = SessionRecorder(manager, cfg, data_label="")
        if replay:
            runtime, label = build_replay(cfg, plan, sleep=time.sleep, recorder=recorder, resume=not fresh)
        else:
            runtime, label = _live(cfg, recorder, resume=not fresh), "real"
        urls = alert_urls()
        notifier = AppriseNotifier(urls, title_prefix=f"perpbot {cfg.name}") if urls else None
    except (PerpbotError, ValueError, PermissionError, OSError) as exc:
        fail(exc)
    if label != "real":
        err_console.print(f"[yellow]data: {label}[/yellow]")
    if recorder is not None:
        verb = f"resumed after {recorder.resumed_closes} closes" if recorder.resumed else "started"
        err_console.print(f"session {recorder.session_id} {verb}")
    if clear_halt:
        cleared = recorder.clear_halt(runtime.engine) if recorder is not None else None
        err_console.print(f"halt cleared ({cleared}): trading resumes" if cleared is not None else
                          "--clear-halt: no resumed session is halted; nothing to clear", markup=False)
    elif runtime.engine.risk.halted:
        err_console.print(f"trading is halted ({runtime.engine.risk.halt_reason}); stop and restart with "
                          f"--clear-halt to trade again", markup=False)
    alerts = AlertEngine(cfg.alerts, exec_step_ms=runtime.engine.signals.exec_ms,
                         send=_alert_delivery(notifier, recorder))
    monitor = ConsoleMonitor(cfg.name, console=console, alerts=alerts)
    monitor.attach(runtime)  # snapshots and alert rules run with or without the dashboard
    if notifier is not None:
        runtime.on_shutdown.append(notifier.close)
    if label != "real":
        monitor.alert(f"data: {label}")
    if not no_monitor:
        monitor.start()

    def _stop(signum: int, _frame: object) -> None:
        runtime.stop()

    previous = {sig: signal.signal(sig, _stop) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        health = runtime.run()
    except PerpbotError as exc:  # the shutdown steps have run: the session says how it ended
        fail(exc)
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    node = runtime.engine.node
    table = Table(title=f"paper run {escape(cfg.name)}: {'stopped' if runtime.stopping else 'replay finished'}")
    for col in ("closes", "trades", "realised", "fees", "funding", "balance", "equity", "gaps"):
        table.add_column(col, justify="right")
    closes = health.closes + (recorder.resumed_closes if recorder is not None else 0)
    table.add_row(str(closes), str(len(node.trades)), f"{node.ledger.realised_pnl:,.2f}",
                  f"{node.ledger.fees_paid:,.2f}", f"{node.ledger.funding:,.2f}", f"{node.ledger.balance:,.2f}",
                  f"{node.equity_float():,.2f}", str(health.gaps))
    console.print(table)
    if recorder is not None and recorder.session_id is not None:
        state = "interrupted: the next run resumes it" if runtime.stopping else "completed"
        if health.switches:
            first = recorder.repository.lineage(recorder.session_id)[0]
            console.print(f"{health.switches} strategy switch(es) this run: sessions {first} to "
                          f"{recorder.session_id}, each ended by the next set of strategies")
        console.print(f"session {recorder.session_id} {state}; summary in {escape(str(recorder.summary_path))}")
    for line in monitor.alerts:
        console.print(f"[yellow]alert[/yellow] {line}")


def _alert_delivery(notifier: Any, recorder: Any) -> Any:
    """Each fired alert goes to the notification services (off-thread) and into the session's alerts table."""

    def deliver(alert: Any) -> None:
        if notifier is not None:
            notifier(alert)
        if recorder is not None and recorder.session_id is not None:
            recorder.repository.add_alert(recorder.session_id, alert.ts, alert.key, alert.severity, alert.message)

    return deliver


def _live(cfg: Any, recorder: Any, *, resume: bool) -> Any:
    """The runtime on Bybit's public market data; PERPBOT_BYBIT_REST_URL / PERPBOT_BYBIT_WS_URL point it at a
    Bybit-compatible server instead (e.g. `python -m perpbot.venues.bybit.testserver`)."""
    import os

    from perpbot.data.feeds import FeedSettings
    from perpbot.engine.clock import WallClock
    from perpbot.runtime.assemble import build_live

    defaults = FeedSettings()
    settings = FeedSettings(rest_url=os.environ.get("PERPBOT_BYBIT_REST_URL", defaults.rest_url),
                            ws_url=os.environ.get("PERPBOT_BYBIT_WS_URL", defaults.ws_url))
    return build_live(cfg, clock=WallClock(), settings=settings, recorder=recorder, resume=resume)


def monitor(
    session_ids: Annotated[list[int] | None, typer.Argument(help="sessions to watch (default: every running one)")]
    = None,
    db_url: DbUrl = None,
    once: Annotated[bool, typer.Option("--once", help="print the current state and exit")] = False,
    interval: Annotated[float, typer.Option(help="seconds between refreshes")] = 1.0,
) -> None:
    """Watch running bots from another terminal, through the session store they write to."""
    from rich.live import Live

    from perpbot.monitor.attach import render_sessions
    from perpbot.store.database import open_database
    from perpbot.store.repository import SessionRepository

    try:
        repository = SessionRepository(open_database(db_url))
        view = render_sessions(repository, session_ids)
    except PerpbotError as exc:
        fail(exc)
    if once:
        console.print(view)
        return
    try:
        with Live(view, console=console, auto_refresh=False) as live:
            while True:
                time.sleep(interval)
                live.update(render_sessions(repository, session_ids), refresh=True)
    except KeyboardInterrupt:
        return
