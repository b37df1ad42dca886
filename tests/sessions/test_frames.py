"""The store's fast row path gives exactly the tables `frames_from_result` gives."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from perpbot.engine.result import BacktestResult
from perpbot.engine.service import run_backtest
from perpbot.model.trading import RiskCheck
from perpbot.sessions.frames import (
    DECISION_COLUMNS,
    FILL_COLUMNS,
    FUNDING_COLUMNS,
    ORDER_COLUMNS,
    ORDER_EVENT_COLUMNS,
    TRADE_COLUMNS,
    canonical_json,
    checks_json,
    decision_row,
    fill_row,
    frames_from_result,
    funding_row,
    order_event_rows,
    order_row,
    rows_from_result,
    trade_row,
)
from perpbot.store.repository import _tuples
from perpbot.store.tables import CHILD_TABLES
from tests.engine.test_backtest_loop import _config, _source

_RESULT: list[BacktestResult] = []


def _result() -> BacktestResult:
    if not _RESULT:
        _RESULT.append(run_backtest(_config(backtest={"end": "2024-01-20"}), _source()))
    return _RESULT[0]


def test_row_builders_name_exactly_the_columns_in_order() -> None:
    r = _result()
    assert r.trades and r.orders and r.fills and r.funding and r.decisions
    assert tuple(trade_row(1, r.trades[0])) == TRADE_COLUMNS
    assert tuple(order_row(r.orders[0])) == ORDER_COLUMNS
    assert tuple(order_event_rows(r.orders[0])[0]) == ORDER_EVENT_COLUMNS
    assert tuple(fill_row(r.fills[0])) == FILL_COLUMNS
    assert tuple(funding_row(r.funding[0])) == FUNDING_COLUMNS
    assert tuple(decision_row(r.decisions[0])) == DECISION_COLUMNS


def test_rows_from_result_equal_the_frames_as_the_store_writes_them() -> None:
    r = _result()
    rows = rows_from_result(r)
    frames = frames_from_result(r).tables()
    assert set(rows) == set(frames) - {"equity"}
    for name, table_rows in rows.items():
        assert table_rows == _tuples(frames[name], CHILD_TABLES[name]), name
    assert any(row[DECISION_COLUMNS.index("checks")] != "[]" for row in rows["decisions"])


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
