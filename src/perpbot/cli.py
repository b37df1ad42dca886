"""The `perpbot` command."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn
from rich.table import Table
from rich.text import Text

from perpbot.cli_output import console, err_console, fail, say_error
from perpbot.errors import PerpbotError

app = typer.Typer(help="perpbot: Bybit USDT perpetuals - backtest, paper and live on one engine.",
                  no_args_is_help=True, pretty_exceptions_enable=False)
strategies_app = typer.Typer(help="Built-in, user-folder and installed strategies.", no_args_is_help=True)
data_app = typer.Typer(help="The local candle store (Parquet).", no_args_is_help=True)
app.add_typer(strategies_app, name="strategies")
app.add_typer(data_app, name="data")


StoreOption = Annotated[Path | None, typer.Option("--store", help="candle store folder (default: PERPBOT_HOME/store)")]
StrategyDirOption = Annotated[Path | None, typer.Option("--strategy-dir", help="a folder of user strategy files")]


@app.command()
def version() -> None:
    """Print perpbot's version and whether its trading core runs compiled or interpreted."""
    from perpbot import __version__
    from perpbot.compiled import core_build

    console.print(f"perpbot {__version__}, core {core_build().label}")


@app.command()
def backtest(
    config: Annotated[Path, typer.Option("--config", "-c", help="JSON configuration file")],
    json_out: Annotated[Path | None, typer.Option("--json", help="also write the result as JSON here")] = None,
    store: StoreOption = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="no progress bar")] = False,
    db_url: Annotated[str | None, typer.Option(
        "--db-url", help="session database URL (default: the config's sessions.db_url, else SQLite in PERPBOT_HOME)",
    )] = None,
    no_save: Annotated[bool, typer.Option("--no-save", help="do not store the run as a session")] = False,
    report_out: Annotated[Path | None, typer.Option("--report", help="also write an HTML report (+ PNGs) here")]
    = None,
) -> None:
    """Run a backtest of CONFIG, print its summary and store it as a session."""
    from perpbot.app import build_source
    from perpbot.config import load_config
    from perpbot.engine.service import ProgressHooks, run_backtest
    from perpbot.ui.summary import render_summary

    try:
        cfg = load_config(config)
        resolved = build_source(cfg, store_dir=store)
        with Progress(TextColumn("{task.description}"), BarColumn(), TextColumn("{task.percentage:>3.0f}%"),
                      TimeElapsedColumn(), TimeRemainingColumn(), console=err_console,
                      disable=quiet or not err_console.is_terminal, transient=True) as progress:
            task = progress.add_task("preparing", total=1)

            def on_bar(done: int, total: int) -> None:
                progress.update(task, completed=done, total=total)

            def on_stage(stage: str) -> None:
                progress.update(task, description=stage)

            result = run_backtest(cfg, resolved.source, data_label=resolved.label,
                                  hooks=ProgressHooks(on_stage=on_stage, on_bar=on_bar))
    except PerpbotError as exc:
        fail(exc)
    render_summary(result, console)
    if cfg.sessions.save and not no_save:
        _save_session(cfg, resolved.source, result, db_url)
    if report_out is not None:
        from perpbot.analytics.report import ReportInput, write_report

        try:
            files = write_report(ReportInput.from_result(result, resolved.source), report_out)
        except PerpbotError as exc:
            fail(exc)
        console.print(f"report written to {escape(str(files.html))} (+ {files.equity_png.name}, "
                      f"{files.drawdown_png.name})")
    if json_out is not None:
        try:
            json_out.parent.mkdir(parents=True, exist_ok=True)
            json_out.write_text(result.to_json(), encoding="utf-8")
        except OSError as exc:
            fail(PerpbotError(f"cannot write {json_out}: {exc.strerror}"))
        console.print(f"result written to {escape(str(json_out))}")


def _save_session(cfg: Any, source: Any, result: Any, db_url: str | None) -> None:
    from perpbot.sessions.context import market_context
    from perpbot.sessions.manager import SessionManager
    from perpbot.store.database import open_database
    from perpbot.store.repository import SessionRepository

    try:
        manager = SessionManager(SessionRepository(open_database(db_url or cfg.sessions.db_url)))
        start = int(result.ts[0]) - int(result.ts[1] - result.ts[0]) if len(result.ts) > 1 else 0
        session_id = manager.save_backtest(result, market_context=market_context(cfg, source, start))
        pruned = []
        if cfg.sessions.keep_last is not None or cfg.sessions.prune_older_than_days is not None:
            pruned = manager.prune(keep_last=cfg.sessions.keep_last,
                                   older_than_days=cfg.sessions.prune_older_than_days)
    except PerpbotError as exc:
        fail(exc)
    note = f" (retention removed {len(pruned)} older)" if pruned else ""
    console.print(f"stored as session {session_id} in {escape(manager.repository.db.shown_url)}{note}")


@strategies_app.command("list")
def strategies_list(strategy_dir: StrategyDirOption = None) -> None:
    """List every strategy perpbot can load, and where it comes from."""
    from perpbot.strategies.registry import StrategyRegistry

    try:
        registry = StrategyRegistry([strategy_dir] if strategy_dir else [])
    except PerpbotError as exc:
        fail(exc)
    table = Table(title="strategies")
    table.add_column("name")
    table.add_column("origin")
    table.add_column("description")
    for name in registry.names():
        info = registry.describe(name)
        table.add_row(Text(name), Text(str(info.get("origin", ""))),
                      Text(str(info.get("description", "")).split("\n")[0]))
    console.print(table)


@strategies_app.command("show")
def strategies_show(name: str, strategy_dir: StrategyDirOption = None,
                    as_json: Annotated[bool, typer.Option("--json", help="print the schema as JSON")] = False) -> None:
    """Show NAME's parameter schema: type, default, bounds, choices and help."""
    from perpbot.strategies.registry import StrategyRegistry

    try:
        info = StrategyRegistry([strategy_dir] if strategy_dir else []).describe(name)
    except PerpbotError as exc:
        fail(exc)
    if as_json:
        console.print_json(json.dumps(info, default=str))
        return
    console.print(f"[bold]{escape(name)}[/bold] ({escape(str(info.get('origin', '')))}), "
                  f"needs {info.get('warmup')} closed candles")
    console.print(Text(str(info.get("doc") or info.get("description", ""))))
    schema = dict(info.get("schema", {}))
    table = Table(title="parameters")
    for col in ("name", "type", "default", "min", "max", "choices", "help"):
        table.add_column(col)
    for pname, spec in dict(schema.get("properties", {})).items():
        table.add_row(Text(pname), *(Text("" if spec.get(k) is None else str(spec.get(k)))
                                     for k in ("type", "default", "minimum", "maximum", "enum", "description")))
    console.print(table)
    for constraint in schema.get("x-constraints", []):
        console.print(f"constraint: {constraint}")


@data_app.command("import")
def data_import(
    files: Annotated[list[Path], typer.Argument(help="CSV (.csv/.csv.gz) or Parquet files of candles or funding")],
    symbol: Annotated[str | None, typer.Option(help="symbol, if the file name does not say")] = None,
    timeframe: Annotated[str | None, typer.Option(help="timeframe, if the file name does not say")] = None,
    store: StoreOption = None,
) -> None:
    """Validate and import files into the local store; a bad file changes nothing."""
    from perpbot.data.paths import default_store_dir
    from perpbot.data.store import CandleStore

    target = CandleStore(store or default_store_dir())
    failed = False
    for path in files:
        try:
            result = target.import_file(path, symbol=symbol, timeframe=timeframe)
        except PerpbotError as exc:
            say_error(exc)
            failed = True
            continue
        console.print(f"[green]imported[/green] {escape(str(path))}: {escape(str(result))}")
    if failed:
        raise typer.Exit(2)


@data_app.command("list")
def data_list(store: StoreOption = None) -> None:
    """What the local store holds."""
    from perpbot.data.paths import default_store_dir
    from perpbot.data.store import CandleStore

    target = CandleStore(store or default_store_dir())
    try:
        entries = target.list()
    except PerpbotError as exc:
        fail(exc)
    table = Table(title=f"candle store: {escape(str(target.root))}")
    for col in ("kind", "symbol", "timeframe", "rows", "first", "last", "note"):
        table.add_column(col)
    for e in entries:
        table.add_row(str(e.kind), e.symbol, e.timeframe or "", f"{e.rows:,}", _iso(e.first_ts), _iso(e.last_ts),
                      "[yellow]GENERATED sample, not market data[/yellow]" if e.generated else "")
    if not entries:
        console.print(f"the store at {escape(str(target.root))} is empty; add data with `perpbot data import FILE`")
        return
    console.print(table)


from perpbot.cli_paper import monitor, paper  # noqa: E402 - registered after the core commands
from perpbot.cli_report import report  # noqa: E402
from perpbot.cli_sessions import sessions_app  # noqa: E402

app.command()(paper)
app.command()(monitor)
app.command()(report)
app.add_typer(sessions_app, name="sessions")


def _iso(ts: int) -> str:
    from datetime import UTC, datetime

    return datetime.fromtimestamp(ts / 1000, tz=UTC).strftime("%Y-%m-%d %H:%M")


def main() -> None:
    try:
        app()
    except KeyboardInterrupt:
        err_console.print("interrupted")
        sys.exit(130)


if __name__ == "__main__":
    main()
