"""What a backtest produces, and its deterministic JSON form (same inputs, same bytes)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import numpy as np

from perpbot.engine.decisions import Decision
from perpbot.engine.prepare import SeriesInfo
from perpbot.execution.ledger import Ledger
from perpbot.model import Fill, FundingPayment, Order, Trade


@dataclass(slots=True)
class BacktestResult:
    """Everything a backtest did, with the exact configuration it ran with."""

    name: str
    fingerprint: str
    config: dict[str, Any]
    series: list[SeriesInfo]
    data_label: str  # "real" or a plain statement that the data is generated
    timeframe: str
    ts: np.ndarray  # candle close times of the execution grid (ms)
    equity: np.ndarray  # account equity at each close
    exposure: np.ndarray  # True where a position was open at the close
    trades: list[Trade]
    decisions: list[Decision]
    fills: list[Fill]
    funding: list[FundingPayment]
    ledger: Ledger
    metrics: dict[str, Any]
    breakdowns: dict[str, list[dict[str, Any]]]
    venue_stats: dict[str, int]
    open_positions: dict[str, str] = field(default_factory=dict)
    orders: list[Order] = field(default_factory=list)  # every order with its status history
    bars_visited: int = 0

    @property
    def starting_balance(self) -> Decimal:
        return self.ledger.deposits

    @property
    def final_balance(self) -> Decimal:
        return self.ledger.balance

    def per_symbol(self) -> dict[str, dict[str, Decimal]]:
        """Net PnL, fees and funding per symbol, exactly, from the ledger's running totals."""
        return {symbol: {**row, "net": row["realised_pnl"] + row["fee"] + row["funding"]}
                for symbol, row in self.ledger.by_symbol.items()}

    def summary(self) -> dict[str, Any]:
        """A JSON-able summary: totals, metrics, breakdowns and where the data came from."""
        return {
            "name": self.name,
            "fingerprint": self.fingerprint,
            "data": self.data_label,
            "timeframe": self.timeframe,
            "series": [s.__dict__ if hasattr(s, "__dict__") else _slots(s) for s in self.series],
            "starting_balance": str(self.starting_balance),
            "final_balance": str(self.final_balance),
            "realised_pnl": str(self.ledger.realised_pnl),
            "fees": str(self.ledger.fees_paid),
            "funding": str(self.ledger.funding),
            "trades": len(self.trades),
            "fills": len(self.fills),
            "decisions": len(self.decisions),
            "per_symbol": {s: {k: str(v) for k, v in row.items()} for s, row in self.per_symbol().items()},
            "metrics": self.metrics,
            "breakdowns": self.breakdowns,
            "venue": self.venue_stats,
            "open_positions": self.open_positions,
        }

    def to_json(self) -> str:
        """Summary, trades and configuration as canonical JSON: byte-identical for identical runs."""
        body = {
            "summary": self.summary(),
            "config": self.config,
            "trades": [_trade_dict(t) for t in self.trades],
            "equity_final": float(self.equity[-1]) if len(self.equity) else None,
        }
        return json.dumps(body, sort_keys=True, indent=1, default=_json_default, allow_nan=False)


def _slots(obj: object) -> dict[str, Any]:
    return {name: getattr(obj, name) for name in obj.__slots__}  # type: ignore[attr-defined]


def _trade_dict(t: Trade) -> dict[str, Any]:
    return {
        "symbol": t.symbol, "side": t.side.value, "qty": str(t.qty), "entry_price": str(t.entry_price),
        "exit_price": str(t.exit_price), "entry_ts": t.entry_ts, "exit_ts": t.exit_ts,
        "gross_pnl": str(t.gross_pnl), "fees": str(t.fees), "funding": str(t.funding), "net_pnl": str(t.net_pnl),
        "exit_reason": t.exit_reason.value, "strategies": list(t.strategies), "regime": t.regime,
    }


def _json_default(value: object) -> object:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.floating):
        return float(value)
    if isinstance(value, (set, frozenset, tuple)):
        return list(value)
    return str(value)
