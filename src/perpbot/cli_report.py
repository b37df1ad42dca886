"""`perpbot report SESSION_ID`: the HTML report (and PNGs) of a stored session."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape

from perpbot.cli_output import console, fail
from perpbot.cli_sessions import DbUrl
from perpbot.errors import PerpbotError


def report(
    session_id: Annotated[int | None, typer.Argument(help="session id")] = None,
    out: Annotated[Path | None, typer.Option("--out", "-o", help="the HTML file (default: session-ID.html)")] = None,
    last: Annotated[bool, typer.Option("--last", help="the newest session")] = False,
    db_url: DbUrl = None,
) -> None:
    """Write a self-contained HTML report of a stored session, with PNG images of equity and drawdown."""
    try:
        files = write_session_report(session_id, out, last=last, db_url=db_url)
    except PerpbotError as exc:
        fail(exc)
    console.print(f"report written to {escape(str(files.html))} (+ {files.equity_png.name}, "
                  f"{files.drawdown_png.name})")


def write_session_report(session_id: int | None, out: Path | None, *, last: bool = False,
                         db_url: str | None = None) -> Any:
    from perpbot.analytics.report import ReportInput, ReportMeta, load_candles, write_report
    from perpbot.app import build_source
    from perpbot.config import parse_config
    from perpbot.sessions.manager import SessionManager
    from perpbot.store.database import open_database
    from perpbot.store.repository import SessionRepository

    manager = SessionManager(SessionRepository(open_database(db_url)))
    if session_id is None:
        if not last:
            raise PerpbotError("name a session id, or use --last for the newest")
        newest = manager.repository.list(last=1)
        if not newest:
            raise PerpbotError(f"no sessions in {manager.repository.db.shown_url}")
        session_id = newest[0].id
    info = manager.repository.get(session_id)
    frames = manager.repository.load_frames(session_id)
    if frames.equity.empty:
        raise PerpbotError(f"session {session_id} has no equity recorded ({info.status}); nothing to chart")
    config = dict(info.configuration)
    source = build_source(parse_config(config)).source
    meta = ReportMeta(
        fingerprint=info.fingerprint, data_label=info.data_label, timeframe=info.timeframe,
        start_ts=int(frames.equity["ts"].iloc[0]), end_ts=int(frames.equity["ts"].iloc[-1]),
        starting_balance=info.starting_balance, final_balance=info.final_balance or info.starting_balance,
        code_version=info.code_version,
    )
    start, end = meta.candle_window()
    symbols = [s for s in info.symbol.split(",") if s]
    candles = load_candles(source, [(s, start, end) for s in symbols], info.timeframe)
    report_input = ReportInput(name=f"session {session_id}: {info.name}", meta=meta,
                               metrics=manager.get_session_performance(session_id),
                               breakdowns=info.breakdowns, frames=frames, candles=candles, config=config,
                               venue_stats=dict(info.summary.get("venue", {})))
    return write_report(report_input, out or Path(f"session-{session_id}.html"))
