"""Analytics: performance metrics of a run, per-group trade tables, reports and comparisons."""

from perpbot.analytics.metrics import PerformanceReport, compute_metrics
from perpbot.analytics.trades import (
    BREAKDOWN_KEYS,
    GroupStats,
    TradeStats,
    breakdown,
    breakdowns,
    trade_pnl,
    trade_stats,
)

__all__ = [
    "BREAKDOWN_KEYS",
    "GroupStats",
    "PerformanceReport",
    "TradeStats",
    "breakdown",
    "breakdowns",
    "compute_metrics",
    "trade_pnl",
    "trade_stats",
]
