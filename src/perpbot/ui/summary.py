"""The backtest summary as rich tables: overall, per symbol, per strategy, and the metrics."""

from __future__ import annotations

import math
from decimal import Decimal
from typing import Any

from rich.console import Console
from rich.table import Table

from perpbot.engine.result import BacktestResult

_PCT_KEYS = {"total_return", "cagr", "max_drawdown", "win_rate", "exposure"}


def _money(value: Decimal | float) -> str:
    number = float(value)
    style = "green" if number > 0 else "red" if number < 0 else ""
    text = f"{number:,.2f}"
    return f"[{style}]{text}[/{style}]" if style else text


def _metric(key: str, value: Any) -> str:
    if isinstance(value, float):
        if math.isnan(value):
            return "n/a"
        if math.isinf(value):
            return "inf"
        if key in _PCT_KEYS or key.endswith("_pct"):
            return f"{value * 100:,.2f} %"
        return f"{value:,.4f}" if abs(value) < 100 else f"{value:,.2f}"
    if value is None:
        return "n/a"
    return str(value)


def render_summary(result: BacktestResult, console: Console) -> None:
    """Print what a trader wants first: where the data came from, PnL, costs, risk-adjusted figures."""
    if result.data_label != "real":
        console.print(f"[bold yellow]DATA: {result.data_label}[/bold yellow]")
    for s in result.series:
        console.print(f"[dim]{s.symbol} {s.timeframe}: {s.rows:,} candles from {s.source}[/dim]")
    overall = Table(title=f"{result.name}: backtest summary ({result.timeframe} execution grid)")
    overall.add_column("")
    overall.add_column("USDT", justify="right")
    net = result.final_balance - result.starting_balance
    overall.add_row("starting balance", _money(result.starting_balance))
    overall.add_row("final balance", _money(result.final_balance))
    overall.add_row("net PnL", _money(net))
    overall.add_row("realised PnL (gross)", _money(result.ledger.realised_pnl))
    overall.add_row("fees paid", _money(-result.ledger.fees_paid))
    overall.add_row("funding (+received / -paid)", _money(result.ledger.funding))
    console.print(overall)

    per_symbol = Table(title="per symbol")
    for col in ("symbol", "trades", "gross PnL", "fees", "funding", "net PnL"):
        per_symbol.add_column(col, justify="right" if col != "symbol" else "left")
    counts: dict[str, int] = {}
    for t in result.trades:
        counts[t.symbol] = counts.get(t.symbol, 0) + 1
    for symbol, row in sorted(result.per_symbol().items()):
        per_symbol.add_row(symbol, str(counts.get(symbol, 0)), _money(row["realised_pnl"]), _money(row["fee"]),
                           _money(row["funding"]), _money(row["net"]))
    console.print(per_symbol)

    for key, title in (("strategy", "per strategy (a trade counts for each strategy that agreed with it)"),
                       ("regime", "per regime"), ("exit_reason", "per exit reason"), ("side", "per side")):
        rows = result.breakdowns.get(key, [])
        if not rows:
            continue
        table = Table(title=title)
        columns = [c for c in rows[0] if c != "key"]
        table.add_column(key)
        for c in columns:
            table.add_column(c.replace("_", " "), justify="right")
        for row in rows:
            table.add_row(str(row.get("key", "")), *(_metric(c, row[c]) for c in columns))
        console.print(table)

    metrics = Table(title="performance (Sharpe/Sortino: daily returns, x sqrt(365), risk-free 0)")
    metrics.add_column("metric")
    metrics.add_column("value", justify="right")
    for key, value in result.metrics.items():
        if isinstance(value, (dict, list)):
            continue
        metrics.add_row(key.replace("_", " "), _metric(key, value))
    stats = result.venue_stats
    metrics.add_row("bars where stop and target both in range (stop assumed)", str(stats["ambiguous_bars"]))
    metrics.add_row("liquidations", str(stats["liquidations"]))
    metrics.add_row("orders rejected by the exchange rules", str(stats["rejected_orders"]))
    console.print(metrics)
    if result.open_positions:
        console.print(f"[yellow]open at the end: {result.open_positions}[/yellow]")
