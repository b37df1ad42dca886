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
