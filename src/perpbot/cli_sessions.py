"""`perpbot sessions`: find, compare, export and prune stored runs."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from perpbot.cli_output import console, fail
from perpbot.errors import PerpbotError

sessions_app = typer.Typer(help="Stored runs: list, show, compare, export, prune.", no_args_is_help=True)

DbUrl = Annotated[str | None, typer.Option("--db-url", help="database URL (default: $PERPBOT_DB_URL, else SQLite "
                                                             "in PERPBOT_HOME)")]
Last = Annotated[int | None, typer.Option("--last", min=1, help="the newest N sessions")]


def _manager(db_url: str | None) -> Any:
    from perpbot.sessions.manager import SessionManager
    from perpbot.store.database import open_database
    from perpbot.store.repository import SessionRepository

    return SessionManager(SessionRepository(open_database(db_url)))



def _when(ms: int | None) -> str:
    return "-" if ms is None else datetime.fromtimestamp(ms / 1000, tz=UTC).strftime("%Y-%m-%d %H:%M")


def _ids(manager: Any, ids: list[int] | None, last: int | None) -> list[int]:
    chosen = list(ids or [])
    if last is not None:
        chosen += [s.id for s in manager.repository.list(last=last)]
    if not chosen:
        raise PerpbotError("name session ids, or use --last N for the newest N")
    return list(dict.fromkeys(chosen))


def _fmt(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.4g}"
    return "-" if value is None else str(value)


@sessions_app.command("list")
def list_sessions(last: Last = None, db_url: DbUrl = None) -> None:
    """Stored sessions, newest first."""
    try:
        manager = _manager(db_url)
        sessions = manager.repository.list(last=last)
    except PerpbotError as exc:
        fail(exc)
    if not sessions:
        console.print("no sessions yet: `perpbot backtest` stores each run")
        return
    table = Table(title=f"sessions in {escape(manager.repository.db.shown_url)}")
    for col in ("id", "kind", "name", "status", "created", "strategies", "symbols", "trades", "final", "return",
                "sharpe", "max dd"):
        wide = col in ("name", "strategies", "symbols")
        table.add_column(col, no_wrap=not wide, max_width=24 if wide else None, overflow="ellipsis")
    for s in sessions:
        m = s.metrics
        final = f"{s.final_balance:,.2f}" if s.final_balance is not None else "-"
        table.add_row(str(s.id), s.kind, Text(s.name), s.status, _when(s.created_at), Text(s.strategy_name),
                      Text(s.symbol), _fmt(m.get("num_trades")), final, _fmt(m.get("total_return")),
                      _fmt(m.get("sharpe")), _fmt(m.get("max_drawdown")))
    console.print(table)


@sessions_app.command("show")
def show(session_id: int, db_url: DbUrl = None) -> None:
    """One session: what ran, on what data, and how it did."""
    try:
        manager = _manager(db_url)
        info = manager.repository.get(session_id)
        perf = manager.get_session_performance(session_id)
        successor = manager.repository.successor(session_id)
    except PerpbotError as exc:
        fail(exc)
    head = Table.grid(padding=(0, 2))
    if info.parent_id is not None or successor is not None:  # one session of a run split by strategy switches
        before = f"continues session {info.parent_id}" if info.parent_id is not None else "first of its run"
        after = f"continued by session {successor}" if successor is not None else "last of its run so far"
        head.add_row("run", Text(f"{before}; {after}"))
    for label, value in (("id", info.id), ("kind", info.kind), ("name", info.name), ("status", info.status),
                         ("ended", f"{_when(info.ended_at)} {info.end_reason}"), ("created", _when(info.created_at)),
                         ("strategies", info.strategy_name), ("symbols", info.symbol), ("timeframe", info.timeframe),
                         ("data", f"{info.data_label}: {_when(info.data_start)} .. {_when(info.data_end)}"),
                         ("code", info.code_version), ("config fingerprint", info.fingerprint),
                         ("starting balance", info.starting_balance), ("final balance", info.final_balance),
                         ("market at start", json.dumps(info.market_context.get("symbols", info.market_context)))):
        head.add_row(label, Text(_fmt(value)))
    console.print(head)
    metrics = Table("metric", "value", title="performance")
    for key, value in perf.items():
        if not isinstance(value, (dict, list)):
            metrics.add_row(key, _fmt(value))
    console.print(metrics)


@sessions_app.command("compare")
def compare(ids: Annotated[list[int] | None, typer.Argument(help="session ids")] = None, last: Last = None,
            db_url: DbUrl = None) -> None:
    """Metrics side by side, and every config value that differs."""
    try:
        manager = _manager(db_url)
        chosen = _ids(manager, ids, last)
        result = manager.compare_sessions(chosen)
    except PerpbotError as exc:
        fail(exc)
    table = Table("metric", *(f"#{i}" for i in result.ids), title="metrics")
    for key, values in result.metrics.items():
        table.add_row(key, *(_fmt(v) for v in values))
    console.print(table)
    diff = Table("config", *(f"#{i}" for i in result.ids), title="configuration differences")
    for key, values in result.config_differences.items():
        diff.add_row(Text(key), *(Text(_fmt(v)) for v in values))
    console.print(diff if result.config_differences else "the configurations are identical")


@sessions_app.command("export")
def export(session_id: Annotated[int | None, typer.Argument(help="session id")] = None,
           fmt: Annotated[str, typer.Option("--format", "-f", help="csv, json or parquet")] = "csv",
           out: Annotated[Path | None, typer.Option("--out", "-o", help="target (a folder; a file for json)")] = None,
           last: Last = None, db_url: DbUrl = None) -> None:
    """Write a session's trades, orders, fills, funding, decisions and equity to files."""
    try:
        manager = _manager(db_url)
        chosen = _ids(manager, [session_id] if session_id is not None else None, last)
        for sid in chosen:
            name = f"session-{sid}.json" if fmt == "json" else f"session-{sid}"
            target = Path(name) if out is None else out if len(chosen) == 1 else out / name
            written = manager.export_session_data(sid, fmt, target)
            console.print(f"session {sid} exported to {escape(str(written))}")
    except PerpbotError as exc:
        fail(exc)


@sessions_app.command("prune")
def prune(keep_last: Annotated[int | None, typer.Option("--keep-last", min=1, help="keep the newest N")] = None,
          older_than: Annotated[float | None, typer.Option("--older-than", help="days")] = None,
          db_url: DbUrl = None) -> None:
    """Delete old sessions (running ones are never pruned)."""
    try:
        removed = _manager(db_url).prune(keep_last=keep_last, older_than_days=older_than)
    except PerpbotError as exc:
        fail(exc)
    console.print(f"removed {len(removed)} session(s)" + (f": {', '.join(map(str, removed))}" if removed else ""))


@sessions_app.command("learning")
def learning(strategy: str, metric: str = "sharpe", db_url: DbUrl = None) -> None:
    """A metric over successive sessions of the same strategy set, oldest first."""
    try:
        curve = _manager(db_url).learning_curve(strategy, metric)
    except PerpbotError as exc:
        fail(exc)
    table = Table("session", "created", metric, title=f"learning curve: {escape(strategy)}")
    for sid, created, value in curve:
        table.add_row(str(sid), _when(created), _fmt(value))
    console.print(table)


@sessions_app.command("impact")
def impact(metric: str = "sharpe", strategy: str | None = None, db_url: DbUrl = None) -> None:
    """Which configuration values go with better results, across completed sessions."""
    try:
        rows = _manager(db_url).configuration_impact(metric, strategy)
    except PerpbotError as exc:
        fail(exc)
    table = Table("config", "sessions", "rank corr.", f"mean {metric} by value", title="configuration impact")
    for row in rows:
        by_value = ", ".join(f"{k}: {v:.3g}" for k, v in row.by_value.items())
        table.add_row(Text(row.path), str(row.sessions), _fmt(row.rank_correlation), Text(by_value))
    console.print(table if rows else "no configuration value varies across the completed sessions")
