"""A run as plain tables: the one shape that the store writes, exports emit and reports read.

Money and quantities are kept as exact decimal text (never floats) so that a table written to a
database, exported to CSV and read back gives the very same numbers. Timestamps are epoch
milliseconds (UTC). Nested details (signals, weights, risk checks) are canonical JSON text.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum
from json.encoder import encode_basestring_ascii as _quoted  # what json.dumps uses
from typing import TYPE_CHECKING, Any

import pandas as pd

from perpbot.engine.decisions import Decision
from perpbot.model import Fill, FundingPayment, Order, Signal, Trade
from perpbot.model.trading import RiskCheck

if TYPE_CHECKING:
    from perpbot.engine.result import BacktestResult

TRADE_COLUMNS = ("trade_no", "symbol", "side", "qty", "entry_price", "exit_price", "entry_ts", "exit_ts",
                 "gross_pnl", "fees", "funding", "net_pnl", "exit_reason", "strategies", "regime")
ORDER_COLUMNS = ("client_id", "symbol", "side", "order_type", "qty", "price", "trigger_price", "reduce_only",
                 "time_in_force", "tag", "stop_loss", "take_profit", "created_ts", "status", "filled_qty",
                 "avg_price", "fees", "reason")
ORDER_EVENT_COLUMNS = ("client_id", "seq", "ts", "status", "reason")
FILL_COLUMNS = ("exec_id", "client_id", "symbol", "side", "qty", "price", "fee", "role", "ts")
FUNDING_COLUMNS = ("symbol", "ts", "rate", "mark_price", "position_qty", "amount")
DECISION_COLUMNS = ("seq", "ts", "symbol", "action", "direction", "strength", "score", "regime",
                    "reference_price", "stop_distance", "signals", "weights", "approved", "qty", "stop_price",
                    "take_profit_price", "leverage", "reasons", "checks", "client_ids", "note")
EQUITY_COLUMNS = ("ts", "equity", "exposed")


@dataclass(slots=True)
class SessionFrames:
    """Every table of one run. Columns are fixed by the *_COLUMNS tuples above, in that order."""

    trades: pd.DataFrame
    orders: pd.DataFrame
    order_events: pd.DataFrame
    fills: pd.DataFrame
    funding: pd.DataFrame
    decisions: pd.DataFrame
    equity: pd.DataFrame  # full resolution from a result; possibly downsampled when read from a store

    def tables(self) -> dict[str, pd.DataFrame]:
        return {"trades": self.trades, "orders": self.orders, "order_events": self.order_events,
                "fills": self.fills, "funding": self.funding, "decisions": self.decisions,
                "equity": self.equity}


def frames_from_result(result: BacktestResult) -> SessionFrames:
    """The tables of an in-memory backtest result."""
    return _frames(result.trades, result.orders, result.fills, result.funding, result.decisions,
                   equity_frame(result))


def rows_from_result(result: BacktestResult) -> dict[str, list[tuple[Any, ...]]]:
    """The same tables as `frames_from_result` except equity, as tuples in their *_COLUMNS order.

    The store's bulk write takes these directly: a year of 1-minute bars makes 10^5 rows, and building
    DataFrames only to take them apart again would cost more than writing them. The row builders return
    dicts whose keys are exactly the column tuples, in order (the tests hold them to it).
    """
    orders = result.orders
    return {
        "trades": [tuple(trade_row(i, t).values()) for i, t in enumerate(result.trades, start=1)],
        "orders": [tuple(order_row(o).values()) for o in orders],
        "order_events": [(o.client_id, i, ts, _text(status), reason)
                         for o in orders for i, (ts, status, reason) in enumerate(o.history)],
        "fills": [tuple(fill_row(f).values()) for f in result.fills],
        "funding": [tuple(funding_row(p).values()) for p in result.funding],
        "decisions": [tuple(decision_row(d).values()) for d in result.decisions],
    }


def equity_frame(result: BacktestResult) -> pd.DataFrame:
    """The result's equity curve as the `equity` table, at full resolution."""
    return pd.DataFrame({"ts": pd.array(result.ts, dtype="int64"),
                         "equity": pd.array(result.equity, dtype="float64"),
                         "exposed": pd.array(result.exposure, dtype="bool")}, columns=list(EQUITY_COLUMNS))


def frames_from_parts(trades: Sequence[Trade], orders: Sequence[Order], fills: Sequence[Fill],
                      funding: Sequence[FundingPayment], decisions: Sequence[Decision],
                      equity_curve: Sequence[tuple[int, float]]) -> SessionFrames:
    """The tables of a run kept by a live runtime (its equity as (close ts, equity) pairs)."""
    equity = pd.DataFrame({"ts": pd.array([t for t, _ in equity_curve], dtype="int64"),
                           "equity": pd.array([e for _, e in equity_curve], dtype="float64")})
    equity["exposed"] = False  # not tracked per close by the runtime
    return _frames(trades, orders, fills, funding, decisions, equity[list(EQUITY_COLUMNS)])


def _frames(trades: Sequence[Trade], orders: Sequence[Order], fills: Sequence[Fill],
            funding: Sequence[FundingPayment], decisions: Sequence[Decision], equity: pd.DataFrame) -> SessionFrames:
    return SessionFrames(
        trades=_frame([trade_row(i, t) for i, t in enumerate(trades, start=1)], TRADE_COLUMNS),
        orders=_frame([order_row(o) for o in orders], ORDER_COLUMNS),
        order_events=_frame([row for o in orders for row in order_event_rows(o)], ORDER_EVENT_COLUMNS),
        fills=_frame([fill_row(f) for f in fills], FILL_COLUMNS),
        funding=_frame([funding_row(p) for p in funding], FUNDING_COLUMNS),
        decisions=_frame([decision_row(d) for d in decisions], DECISION_COLUMNS),
        equity=equity,
    )


def _frame(rows: list[dict[str, Any]], columns: tuple[str, ...]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=list(columns))


def _text(member: StrEnum) -> str:
    """A StrEnum's text without the slow `.value` descriptor (these run once per row, 10^5 rows a year)."""
    return str.__str__(member)


def money(value: Decimal | None) -> str | None:
    """Exact decimal text; None stays None."""
    return None if value is None else str(value)


def canonical_json(value: object) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), default=str, allow_nan=False)


def checks_json(checks: Sequence[RiskCheck]) -> str:
    """`canonical_json` of the risk checks ([{"detail", "name", "passed"}, ...]), written directly: every
    decision carries about ten, and the general encoder made them the slowest part of storing a run."""
    return "[" + ",".join(f'{{"detail":{_quoted(c.detail)},"name":{_quoted(c.name)},'
                          f'"passed":{"true" if c.passed else "false"}}}' for c in checks) + "]"


def signals_json(signals: Sequence[Signal]) -> str:
    """`canonical_json` of the signals behind an intent, written directly (one list per decision)."""
    return "[" + ",".join(f'{{"stop_distance":{_number(s.stop_distance)},"strategy":{_quoted(s.strategy)},'
                          f'"timeframe":{_quoted(s.timeframe)},"value":{_number(s.value)}}}' for s in signals) + "]"


def weights_json(weights: Sequence[tuple[str, float]]) -> str:
    """`canonical_json` of the strategy weights as an object, written directly."""
    merged = dict(weights)
    return "{" + ",".join(f"{_quoted(k)}:{_number(merged[k])}" for k in sorted(merged)) + "}"


def _number(value: float | None) -> str:
    """A number as json.dumps writes it (float repr; null for None); NaN and infinities are refused, as there."""
    if value is None:
        return "null"
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return canonical_json(value)
    if not math.isfinite(value):
        raise ValueError(f"Out of range float values are not JSON compliant: {value!r}")
    return repr(value) if isinstance(value, float) else str(value)


def trade_row(trade_no: int, t: Trade) -> dict[str, Any]:
    return {"trade_no": trade_no, "symbol": t.symbol, "side": _text(t.side), "qty": money(t.qty),
            "entry_price": money(t.entry_price), "exit_price": money(t.exit_price), "entry_ts": t.entry_ts,
            "exit_ts": t.exit_ts, "gross_pnl": money(t.gross_pnl), "fees": money(t.fees),
            "funding": money(t.funding), "net_pnl": money(t.net_pnl), "exit_reason": _text(t.exit_reason),
            "strategies": ",".join(t.strategies), "regime": t.regime}


def order_row(o: Order) -> dict[str, Any]:
    r = o.request
    return {"client_id": r.client_id, "symbol": r.symbol, "side": _text(r.side), "order_type": _text(r.order_type),
            "qty": money(r.qty), "price": money(r.price), "trigger_price": money(r.trigger_price),
            "reduce_only": r.reduce_only, "time_in_force": _text(r.time_in_force), "tag": r.tag,
            "stop_loss": money(r.stop_loss), "take_profit": money(r.take_profit), "created_ts": o.created_ts,
            "status": _text(o.status), "filled_qty": money(o.filled_qty), "avg_price": money(o.avg_price),
            "fees": money(o.fees), "reason": o.reason}


def order_event_rows(o: Order) -> list[dict[str, Any]]:
    return [{"client_id": o.client_id, "seq": i, "ts": ts, "status": _text(status), "reason": reason}
            for i, (ts, status, reason) in enumerate(o.history)]


def fill_row(f: Fill) -> dict[str, Any]:
    return {"exec_id": f.exec_id, "client_id": f.client_id, "symbol": f.symbol, "side": _text(f.side),
            "qty": money(f.qty), "price": money(f.price), "fee": money(f.fee), "role": _text(f.role), "ts": f.ts}


def funding_row(p: FundingPayment) -> dict[str, Any]:
    return {"symbol": p.symbol, "ts": p.ts, "rate": money(p.rate), "mark_price": money(p.mark_price),
            "position_qty": money(p.position_qty), "amount": money(p.amount)}


def decision_row(d: Decision) -> dict[str, Any]:
    intent, risk = d.intent, d.risk
    return {
        "seq": d.seq, "ts": d.ts, "symbol": d.symbol, "action": _text(d.action),
        "direction": int(intent.direction) if intent else None,
        "strength": intent.strength if intent else None,
        "score": intent.score if intent else None,
        "regime": intent.regime if intent else "",
        "reference_price": intent.reference_price if intent else None,
        "stop_distance": intent.stop_distance if intent else None,
        "signals": signals_json(intent.signals) if intent else "[]",
        "weights": weights_json(intent.weights) if intent else "{}",
        "approved": risk.approved if risk else None,
        "qty": money(risk.qty) if risk else None,
        "stop_price": money(risk.stop_price) if risk else None,
        "take_profit_price": money(risk.take_profit_price) if risk else None,
        "leverage": money(risk.leverage) if risk else None,
        "reasons": canonical_json(list(risk.reasons)) if risk and risk.reasons else "[]",
        "checks": checks_json(risk.checks) if risk else "[]",
        "client_ids": ",".join(d.client_ids), "note": d.note,
    }
