"""Assemble and run a backtest from a configuration: the one place where the backtest mode is chosen."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from perpbot.analytics import breakdowns, compute_metrics, trade_pnl
from perpbot.config import PerpbotConfig
from perpbot.data.sources import MarketDataSource
from perpbot.engine.backtest import BacktestLoop, LoopTuning
from perpbot.engine.prepare import Preparation, prepare
from perpbot.engine.result import BacktestResult
from perpbot.heap import release_free_heap
from perpbot.risk.manager import RiskManager
from perpbot.strategies.registry import StrategyRegistry


@dataclass(frozen=True, slots=True)
class ProgressHooks:
    """Called as the run advances, e.g. to drive a progress bar."""

    on_stage: Callable[[str], None] | None = None
    on_bar: Callable[[int, int], None] | None = None


def build_loop(config: PerpbotConfig, preparation: Preparation, *, step_every_bar: bool = False,
               progress: Callable[[int, int], None] | None = None,
               tuning: LoopTuning | None = None) -> BacktestLoop:
    """The backtest loop for `config` over prepared signals, with a fresh risk manager, node and exchange."""
    return BacktestLoop(
        preparation.data, risk=RiskManager(config.risk), venue_config=config.venue,
        starting_balance=config.account.starting_balance, id_prefix=f"pb{config.fingerprint()[:8]}-",
        close_on_flat=config.aggregation.close_on_flat, close_at_end=config.backtest.close_at_end,
        step_every_bar=step_every_bar, progress=progress, execution=config.execution, tuning=tuning,
    )


def run_backtest(config: PerpbotConfig, source: MarketDataSource, *, registry: StrategyRegistry | None = None,
                 data_label: str = "real", hooks: ProgressHooks | None = None,
                 step_every_bar: bool = False, preparation: Preparation | None = None,
                 tuning: LoopTuning | None = None) -> BacktestResult:
    """Prepare signals, run the loop, measure the result. Deterministic for the same inputs."""
    hooks = hooks or ProgressHooks()
    if preparation is None:
        if hooks.on_stage:
            hooks.on_stage("computing signals")
        preparation = prepare(config, source, registry or StrategyRegistry(config.strategy_dirs))
    data = preparation.data
    release_free_heap()  # what preparation freed, before the loop's records grow
    if hooks.on_stage:
        hooks.on_stage("simulating")
    loop = build_loop(config, preparation, step_every_bar=step_every_bar, progress=hooks.on_bar, tuning=tuning)
    out = loop.run()
    node = out.node
    stats = out.venue.stats
    venue_stats = {"ambiguous_bars": stats.ambiguous_bars, "liquidations": stats.liquidations,
                   "rejected_orders": stats.rejected_orders}
    open_positions = {p.symbol: str(p.qty) for p in node.positions.open_positions()}
    trades, ledger, orders = node.trades, node.ledger, list(node.orders.orders())
    decisions, fills, funding = node.decisions, node.fills, node.funding
    equity, exposure, bars_visited = out.equity, out.exposure, out.bars_visited
    # The result keeps the records; the loop's own state (the exchange's and the order manager's books, the
    # indexes) goes before the metrics make their temporaries, where memory would otherwise peak.
    del loop, out, node
    close_ts = data.close_ts
    pnl = trade_pnl(trades)
    report = compute_metrics(
        equity, close_ts, trades, starting_balance=float(config.account.starting_balance),
        exposure_fraction=float(exposure.mean()) if len(exposure) else 0.0,
        fees_paid=float(ledger.fees_paid), funding_paid=float(-ledger.funding), trade_pnl=pnl,
    )
    return BacktestResult(
        name=config.name, fingerprint=config.fingerprint(), config=config.model_dump(mode="json"),
        series=preparation.series, data_label=data_label, timeframe=data.timeframe,
        ts=np.asarray(close_ts), equity=equity, exposure=exposure, trades=trades,
        decisions=decisions, fills=fills, funding=funding, ledger=ledger,
        metrics=report.to_dict(), breakdowns=breakdowns(trades, pnl), venue_stats=venue_stats,
        open_positions=open_positions, bars_visited=bars_visited, orders=orders,
    )
