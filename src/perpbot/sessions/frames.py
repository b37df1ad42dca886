"""A run as plain tables: the one shape that the store writes, exports emit and reports read.

Money and quantities are kept as exact decimal text (never floats) so that a table written to a
database, exported to CSV and read back gives the very same numbers. Timestamps are epoch
milliseconds (UTC). Nested details (signals, weights, risk checks, an order's state changes) are
canonical JSON text.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from json.encoder import encode_basestring_ascii as _quoted  # what json.dumps uses
from typing import TYPE_CHECKING, Any

import pandas as pd

from perpbot.engine.decisions import Decision
from perpbot.model import Fill, FundingPayment, Order, Signal, Trade
from perpbot.model.checks import CheckLog, RiskCheck

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
FRAME_COLUMNS: dict[str, tuple[str, ...]] = {
    "trades": TRADE_COLUMNS, "orders": ORDER_COLUMNS, "order_events": ORDER_EVENT_COLUMNS, "fills": FILL_COLUMNS,
    "funding": FUNDING_COLUMNS, "decisions": DECISION_COLUMNS, "equity": EQUITY_COLUMNS,
}
# An order as the store keeps it: its state changes folded into one JSON column (`history_json`), since
# one row per change made them half of a year-long backtest's rows.
STORED_ORDER_COLUMNS = (*ORDER_COLUMNS, "history")


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
    """The tables as the store keeps them, except equity: tuples in *_COLUMNS order, orders in
    STORED_ORDER_COLUMNS order (each with its state changes as JSON, so no `order_events` table).

    The store's bulk write takes these directly: a year of 1-minute bars makes 10^5 rows, and building
    DataFrames only to take them apart again would cost more than writing them.
    """
    return {
        "trades": [trade_row(i, t) for i, t in enumerate(result.trades, start=1)],
        "orders": [(*order_row(o), history_json(o.history)) for o in result.orders],
        "fills": [fill_row(f) for f in result.fills],
        "funding": [funding_row(p) for p in result.funding],
        "decisions": [decision_row(d) for d in result.decisions],
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


def _frame(rows: list[tuple[Any, ...]], columns: tuple[str, ...]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=list(columns))


# The row builders below run once per row (10^5 rows a year), so they read an enum's text as `_value_`
# (a plain attribute; `.value` is a slow descriptor) and write None-or-text inline.

def trade_row(trade_no: int, t: Trade) -> tuple[Any, ...]:
    """A trade in TRADE_COLUMNS order."""
    return (trade_no, t.symbol, t.side._value_, str(t.qty), str(t.entry_price), str(t.exit_price), t.entry_ts,
            t.exit_ts, str(t.gross_pnl), str(t.fees), str(t.funding), str(t.net_pnl), t.exit_reason._value_,
            ",".join(t.strategies), t.regime)


def order_row(o: Order) -> tuple[Any, ...]:
    """An order in ORDER_COLUMNS order (status and reason as they ended)."""
    r = o.request
    price, trigger, stop, target, avg = r.price, r.trigger_price, r.stop_loss, r.take_profit, o.avg_price
    return (r.client_id, r.symbol, r.side._value_, r.order_type._value_, str(r.qty),
            None if price is None else str(price), None if trigger is None else str(trigger), r.reduce_only,
            r.time_in_force._value_, r.tag, None if stop is None else str(stop),
            None if target is None else str(target), o.created_ts, o.status._value_, str(o.filled_qty),
            None if avg is None else str(avg), str(o.fees), o.reason)


def order_event_rows(o: Order) -> list[tuple[Any, ...]]:
    """An order's state changes in ORDER_EVENT_COLUMNS order, `seq` counting from 0."""
    cid = o.client_id
    return [(cid, i, ts, status._value_, reason) for i, (ts, status, reason) in enumerate(o.history)]


def history_json(history: Iterable[tuple[int, str, str]]) -> str:
    """An order's state changes as compact JSON, `[[ts,"status","reason"],...]`: what
    json.dumps(..., separators=(",", ":")) writes, built directly (a year holds 10^5 changes). A status
    may be an OrderStatus or its text."""
    return "[" + ",".join([f"[{int(ts)},{_quoted(status)},{_quoted(reason)}]" for ts, status, reason in history]) + "]"


def history_rows(client_id: str, text: str) -> list[tuple[Any, ...]]:
    """The ORDER_EVENT_COLUMNS rows of one order's stored `history_json`."""
    return [(client_id, i, ts, status, reason) for i, (ts, status, reason) in enumerate(json.loads(text))]


def fill_row(f: Fill) -> tuple[Any, ...]:
    """A fill in FILL_COLUMNS order."""
    return (f.exec_id, f.client_id, f.symbol, f.side._value_, str(f.qty), str(f.price), str(f.fee), f.role._value_,
            f.ts)


def funding_row(p: FundingPayment) -> tuple[Any, ...]:
    """A funding payment in FUNDING_COLUMNS order."""
    return (p.symbol, p.ts, str(p.rate), str(p.mark_price), str(p.position_qty), str(p.amount))


def decision_row(d: Decision) -> tuple[Any, ...]:
    """A decision in DECISION_COLUMNS order: the intent's columns, then the risk verdict's."""
    intent, risk = d.intent, d.risk
    if intent is None:
        wanted: tuple[Any, ...] = (None, None, None, "", None, None, "[]", "{}")
    else:
        wanted = (int(intent.direction), intent.strength, intent.score, intent.regime, intent.reference_price,
                  intent.stop_distance, signals_json(intent.signals), weights_json(intent.weights))
    if risk is None:
        verdict: tuple[Any, ...] = (None, None, None, None, None, "[]", "[]")
    else:
        stop, target = risk.stop_price, risk.take_profit_price
        verdict = (risk.approved, str(risk.qty), None if stop is None else str(stop),
                   None if target is None else str(target), str(risk.leverage),
                   canonical_json(list(risk.reasons)) if risk.reasons else "[]", checks_json(risk.checks))
    return (d.seq, d.ts, d.symbol, d.action._value_, *wanted, *verdict, ",".join(d.client_ids), d.note)


def canonical_json(value: object) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), default=str, allow_nan=False)


def checks_json(checks: Sequence[RiskCheck]) -> str:
    """`canonical_json` of the risk checks ([{"detail", "name", "passed"}, ...]), written directly: every
    decision carries about ten, and the general encoder made them the slowest part of storing a run."""
    entries = checks.entries() if isinstance(checks, CheckLog) else ((c.name, c.passed, c.detail) for c in checks)
    return "[" + ",".join([f'{{"detail":{_quoted(detail)},"name":{_quoted(name)},'
                           f'"passed":{"true" if passed else "false"}}}' for name, passed, detail in entries]) + "]"


def signals_json(signals: Sequence[Signal]) -> str:
    """`canonical_json` of the signals behind an intent, written directly (one list per decision)."""
    return "[" + ",".join([f'{{"stop_distance":{_number(s.stop_distance)},"strategy":{_quoted(s.strategy)},'
                           f'"timeframe":{_quoted(s.timeframe)},"value":{_number(s.value)}}}'
                           for s in signals]) + "]"


def weights_json(weights: Sequence[tuple[str, float]]) -> str:
    """`canonical_json` of the strategy weights as an object, written directly."""
    merged = dict(weights)
    return "{" + ",".join([f"{_quoted(k)}:{_number(merged[k])}" for k in sorted(merged)]) + "}"


def _number(value: float | None) -> str:
    """A number as json.dumps writes it (float repr; null for None); NaN and infinities are refused, as there."""
    if type(value) is float:  # the common case first
        if not math.isfinite(value):
            raise ValueError(f"Out of range float values are not JSON compliant: {value!r}")
        return float.__repr__(value)
    if value is None:
        return "null"
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return canonical_json(value)
    if not math.isfinite(value):
        raise ValueError(f"Out of range float values are not JSON compliant: {value!r}")
    return repr(value) if isinstance(value, float) else str(value)
