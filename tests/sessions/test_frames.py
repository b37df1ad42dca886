"""The row builders put each value in its column, and the store's fast row path gives exactly the rows that
the frames give."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from perpbot.engine.decisions import Decision
from perpbot.engine.result import BacktestResult
from perpbot.model import Fill, FundingPayment, Order, Trade
from perpbot.model.checks import RiskCheck
from perpbot.model.enums import OrderStatus
from perpbot.sessions.frames import (
    DECISION_COLUMNS,
    FILL_COLUMNS,
    FUNDING_COLUMNS,
    ORDER_COLUMNS,
    ORDER_EVENT_COLUMNS,
    STORED_ORDER_COLUMNS,
    TRADE_COLUMNS,
    canonical_json,
    checks_json,
    decision_row,
    fill_row,
    frames_from_result,
    funding_row,
    history_json,
    history_rows,
    order_event_rows,
    order_row,
    rows_from_result,
    trade_row,
)
from perpbot.store.repository import _stored_rows
from tests.store.support import small_result


def _result() -> BacktestResult:
    return small_result()


def _text(value: Any) -> str | None:
    return None if value is None else str(value)


# What each column holds, spelled out value by value (the builders write the same tuples faster).
def _trade(no: int, t: Trade) -> dict[str, Any]:
    return {"trade_no": no, "symbol": t.symbol, "side": t.side.value, "qty": str(t.qty),
            "entry_price": str(t.entry_price), "exit_price": str(t.exit_price), "entry_ts": t.entry_ts,
            "exit_ts": t.exit_ts, "gross_pnl": str(t.gross_pnl), "fees": str(t.fees), "funding": str(t.funding),
            "net_pnl": str(t.net_pnl), "exit_reason": t.exit_reason.value, "strategies": ",".join(t.strategies),
            "regime": t.regime}


def _order(o: Order) -> dict[str, Any]:
    r = o.request
    return {"client_id": r.client_id, "symbol": r.symbol, "side": r.side.value, "order_type": r.order_type.value,
            "qty": str(r.qty), "price": _text(r.price), "trigger_price": _text(r.trigger_price),
            "reduce_only": r.reduce_only, "time_in_force": r.time_in_force.value, "tag": r.tag,
            "stop_loss": _text(r.stop_loss), "take_profit": _text(r.take_profit), "created_ts": o.created_ts,
            "status": o.status.value, "filled_qty": str(o.filled_qty), "avg_price": _text(o.avg_price),
            "fees": str(o.fees), "reason": o.reason}


def _fill(f: Fill) -> dict[str, Any]:
    return {"exec_id": f.exec_id, "client_id": f.client_id, "symbol": f.symbol, "side": f.side.value,
            "qty": str(f.qty), "price": str(f.price), "fee": str(f.fee), "role": f.role.value, "ts": f.ts}


def _funding(p: FundingPayment) -> dict[str, Any]:
    return {"symbol": p.symbol, "ts": p.ts, "rate": str(p.rate), "mark_price": str(p.mark_price),
            "position_qty": str(p.position_qty), "amount": str(p.amount)}


def _decision(d: Decision) -> dict[str, Any]:
    intent, risk = d.intent, d.risk
    return {
        "seq": d.seq, "ts": d.ts, "symbol": d.symbol, "action": d.action.value,
        "direction": int(intent.direction) if intent else None, "strength": intent.strength if intent else None,
        "score": intent.score if intent else None, "regime": intent.regime if intent else "",
        "reference_price": intent.reference_price if intent else None,
        "stop_distance": intent.stop_distance if intent else None,
        "signals": canonical_json([{"strategy": s.strategy, "timeframe": s.timeframe, "value": s.value,
                                    "stop_distance": s.stop_distance} for s in intent.signals]) if intent else "[]",
        "weights": canonical_json(dict(intent.weights)) if intent else "{}",
        "approved": risk.approved if risk else None, "qty": _text(risk.qty) if risk else None,
        "stop_price": _text(risk.stop_price) if risk else None,
        "take_profit_price": _text(risk.take_profit_price) if risk else None,
        "leverage": _text(risk.leverage) if risk else None,
        "reasons": canonical_json(list(risk.reasons)) if risk else "[]",
        "checks": canonical_json([{"name": c.name, "passed": c.passed, "detail": c.detail}
                                  for c in risk.checks]) if risk else "[]",
        "client_ids": ",".join(d.client_ids), "note": d.note,
    }


def test_each_builder_puts_every_value_in_its_column() -> None:
    r = _result()
    assert r.trades and r.orders and r.fills and r.funding and r.decisions
    assert any(d.risk is not None and d.risk.reasons for d in r.decisions)  # refusals give a reasons list
    assert any(o.request.price is None for o in r.orders) and any(o.avg_price is not None for o in r.orders)
    for i, t in enumerate(r.trades, start=1):
        assert dict(zip(TRADE_COLUMNS, trade_row(i, t), strict=True)) == _trade(i, t)
    for o in r.orders:
        assert dict(zip(ORDER_COLUMNS, order_row(o), strict=True)) == _order(o)
        assert [dict(zip(ORDER_EVENT_COLUMNS, row, strict=True)) for row in order_event_rows(o)] == [
            {"client_id": o.client_id, "seq": i, "ts": ts, "status": status.value, "reason": reason}
            for i, (ts, status, reason) in enumerate(o.history)]
    for f in r.fills:
        assert dict(zip(FILL_COLUMNS, fill_row(f), strict=True)) == _fill(f)
    for p in r.funding:
        assert dict(zip(FUNDING_COLUMNS, funding_row(p), strict=True)) == _funding(p)
    for d in r.decisions:
        assert dict(zip(DECISION_COLUMNS, decision_row(d), strict=True)) == _decision(d)


def test_rows_from_result_are_the_frames_as_the_store_keeps_them() -> None:
    r = _result()
    rows = rows_from_result(r)
    stored, _ = _stored_rows(frames_from_result(r))
    assert set(rows) == set(stored) == {"trades", "orders", "fills", "funding", "decisions"}
    for name, table_rows in rows.items():
        assert table_rows == stored[name], name
    for o, row in zip(r.orders, rows["orders"], strict=True):
        assert len(row) == len(STORED_ORDER_COLUMNS)
        assert history_rows(o.client_id, row[-1]) == order_event_rows(o)


def test_history_json_is_compact_json_on_a_real_run() -> None:
    for o in _result().orders:
        assert history_json(o.history) == json.dumps([[ts, s.value, reason] for ts, s, reason in o.history],
                                                     separators=(",", ":"))


@given(st.lists(st.tuples(st.integers(min_value=0, max_value=2**62), st.sampled_from(list(OrderStatus)) | st.text(),
                          st.text()), max_size=5))
def test_history_json_matches_the_encoder_and_reads_back(history: list[tuple[int, str, str]]) -> None:
    text = history_json(history)
    assert text == json.dumps([[ts, str(status), reason] for ts, status, reason in history], separators=(",", ":"))
    assert history_rows("c-1", text) == [("c-1", i, ts, str(status), reason)
                                         for i, (ts, status, reason) in enumerate(history)]


def test_checks_json_is_the_canonical_json_of_the_checks_on_a_real_run() -> None:
    for decision in _result().decisions:
        if decision.risk is not None:
            expected = canonical_json([{"name": c.name, "passed": c.passed, "detail": c.detail}
                                       for c in decision.risk.checks])
            assert checks_json(decision.risk.checks) == expected


@given(st.lists(st.builds(RiskCheck, name=st.text(), passed=st.booleans(), detail=st.text()), max_size=5))
def test_checks_json_is_the_canonical_json_of_any_checks(checks: list[RiskCheck]) -> None:
    expected = canonical_json([{"name": c.name, "passed": c.passed, "detail": c.detail} for c in checks])
    assert checks_json(checks) == expected


def test_signals_and_weights_json_are_canonical_json_on_a_real_run() -> None:
    from perpbot.sessions.frames import signals_json, weights_json

    seen = 0
    for decision in _result().decisions:
        if decision.intent is not None:
            intent = decision.intent
            assert signals_json(intent.signals) == canonical_json(
                [{"strategy": s.strategy, "timeframe": s.timeframe, "value": s.value,
                  "stop_distance": s.stop_distance} for s in intent.signals])
            assert weights_json(intent.weights) == canonical_json(dict(intent.weights))
            seen += 1
    assert seen > 10


@given(st.lists(st.tuples(st.text(), st.floats(allow_nan=False, allow_infinity=False)), max_size=6),
       st.lists(st.tuples(st.text(), st.floats(allow_nan=False, allow_infinity=False),
                          st.none() | st.floats(min_value=0, allow_nan=False, allow_infinity=False)), max_size=4))
def test_signals_and_weights_json_match_the_encoder(weights: list[tuple[str, float]],
                                                    signals: list[tuple[str, float, float | None]]) -> None:
    from perpbot.model import Signal
    from perpbot.sessions.frames import signals_json, weights_json

    assert weights_json(weights) == canonical_json(dict(weights))
    built = [Signal(name, "BTCUSDT", "15m", 0, value, stop) for name, value, stop in signals]
    assert signals_json(built) == canonical_json([{"strategy": s.strategy, "timeframe": s.timeframe,
                                                   "value": s.value, "stop_distance": s.stop_distance}
                                                  for s in built])
