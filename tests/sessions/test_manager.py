"""The session manager's named operations and the views across sessions, on SQLite and PostgreSQL."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pandas as pd
import pytest

from perpbot.errors import StoreError
from perpbot.sessions.frames import EQUITY_COLUMNS, FRAME_COLUMNS, SessionFrames, frames_from_result
from perpbot.sessions.manager import SessionManager, flatten
from perpbot.store.database import open_database
from perpbot.store.repository import COLUMNS, SessionRepository
from tests.conftest import SetClock
from tests.store.support import small_result

_DAY_MS = 86_400_000
_result = small_result


def _empty_frames() -> SessionFrames:
    tables = {name: pd.DataFrame(columns=list(cols)) for name, cols in FRAME_COLUMNS.items()}
    tables["equity"] = pd.DataFrame({"ts": [0, 60_000], "equity": [100.0, 110.0], "exposed": [False, True]},
                                    columns=list(EQUITY_COLUMNS))
    return SessionFrames(**tables)


def _scored(manager: SessionManager, strategy: str, config: dict[str, Any], sharpe: float) -> int:
    """A completed session of `strategy` whose stored metrics say `sharpe`."""
    session_id = manager.create_session(strategy, "BTCUSDT", "15m", "5", {}, config, kind="backtest")
    manager.repository.complete(session_id, _empty_frames(), final_balance=Decimal("110"),
                                metrics={"sharpe": sharpe, "num_trades": 0}, breakdowns={}, summary={},
                                ended_at=manager.clock.now_ms())
    manager.clock.now += 1  # type: ignore[attr-defined]
    return session_id


@pytest.fixture()
def manager(db_url: str) -> Any:
    made = SessionManager(SessionRepository(open_database(db_url)), clock=SetClock())
    yield made
    made.repository.db.dispose()


def test_performance_of_a_session_without_stored_metrics_is_computed_from_its_rows(manager: SessionManager) -> None:
    # a paper session finished without metrics: they come from its stored trades, fills, funding and equity
    result = _result()
    session_id = manager.create_session("ema_cross,rsi_reversion", "BTCUSDT,ETHUSDT", "15m", "5", {}, result.config,
                                        starting_balance=result.starting_balance)
    manager.repository.complete(session_id, frames_from_result(result), final_balance=result.final_balance,
                                metrics={}, breakdowns={}, summary={}, ended_at=manager.clock.now_ms())
    computed = manager.get_session_performance(session_id)
    assert computed["num_trades"] == result.metrics["num_trades"] > 0
    for key, value in result.metrics.items():
        if isinstance(value, float):
            assert computed[key] == pytest.approx(value, rel=1e-12, abs=1e-12), key
        else:
            assert computed[key] == value, key


def test_stored_metrics_are_returned_as_they_were_saved(manager: SessionManager) -> None:
    session_id = manager.save_backtest(_result())
    assert manager.get_session_performance(session_id) == _result().metrics


def test_create_session_records_what_was_asked(manager: SessionManager) -> None:
    context = {"symbols": {"BTCUSDT": {"price": 61234.5, "volatility_annualised": 0.52, "regime": "trend_up"}}}
    session_id = manager.create_session("ema_cross", "BTCUSDT", "15m", Decimal("7.5"), context,
                                        {"name": "paper-1", "account": {"starting_balance": "2500.25"}})
    info = manager.get_current_session()
    assert info is not None and info.id == session_id
    assert (info.strategy_name, info.symbol, info.timeframe, info.leverage) == ("ema_cross", "BTCUSDT", "15m", "7.5")
    assert info.market_context == context and info.name == "paper-1"
    assert info.starting_balance == Decimal("2500.25") and info.status == "running" and info.kind == "paper"
    assert info.code_version.startswith("perpbot ")


def test_compare_names_the_metrics_side_by_side_and_only_the_differing_config(manager: SessionManager) -> None:
    a = _scored(manager, "ema", {"risk": {"pct": 1, "cap": 3}, "strategies": [{"fast": 8}]}, 0.5)
    b = _scored(manager, "ema", {"risk": {"pct": 2, "cap": 3}, "strategies": [{"fast": 8}, {"fast": 9}]}, 1.5)
    result = manager.compare_sessions([b, a])
    assert result.ids == (b, a)
    assert result.metrics["sharpe"] == (1.5, 0.5)
    assert result.metrics["final_balance"] == ("110", "110")
    assert result.config_differences == {"risk.pct": (2, 1), "strategies.1.fast": (9, None)}
    with pytest.raises(StoreError, match="at least two sessions, got 1"):
        manager.compare_sessions([a])
    with pytest.raises(StoreError, match="no session with id 404"):
        manager.compare_sessions([a, 404])


def test_learning_curve_follows_one_strategy_oldest_first_and_skips_unfinished(manager: SessionManager) -> None:
    first = _scored(manager, "ema", {}, 0.1)
    _scored(manager, "other", {}, 9.0)
    second = _scored(manager, "ema", {}, 0.4)
    manager.create_session("ema", "BTCUSDT", "15m", "5", {}, {})  # still running: no result yet
    curve = manager.learning_curve("ema")
    assert [(sid, value) for sid, _, value in curve] == [(first, 0.1), (second, 0.4)]
    assert [created for _, created, _ in curve] == sorted(created for _, created, _ in curve)


def test_configuration_impact_groups_by_value_and_ranks_numbers(manager: SessionManager) -> None:
    for fast, mode, sharpe in ((5, "a", 0.1), (8, "b", 0.5), (13, "a", 0.9), (21, "b", 1.3)):
        _scored(manager, "ema", {"fast": fast, "mode": mode, "slow": 50}, sharpe)
    impact = {row.path: row for row in manager.configuration_impact("sharpe", "ema")}
    assert set(impact) == {"fast", "mode"}  # `slow` never varies
    assert impact["fast"].rank_correlation == pytest.approx(1.0)
    assert impact["fast"].by_value == {"13": 0.9, "21": 1.3, "5": 0.1, "8": 0.5}
    assert impact["mode"].rank_correlation is None and impact["mode"].sessions == 4
    assert impact["mode"].by_value == {"a": pytest.approx(0.5), "b": pytest.approx(0.9)}


def test_prune_by_count_and_by_age_never_touches_a_running_session(manager: SessionManager) -> None:
    clock: SetClock = manager.clock  # type: ignore[assignment]
    old = _scored(manager, "ema", {}, 0.1)
    clock.now += 10 * _DAY_MS
    middle = _scored(manager, "ema", {}, 0.2)
    running = manager.create_session("ema", "BTCUSDT", "15m", "5", {}, {})
    clock.now += 1
    newest = _scored(manager, "ema", {}, 0.3)
    clock.now += _DAY_MS
    assert manager.prune(older_than_days=5) == [old]
    assert manager.prune(keep_last=1) == [middle]
    assert [s.id for s in manager.repository.list()] == [newest, running]
    with pytest.raises(StoreError, match="no session with id"):
        manager.repository.load_frames(old)
    with pytest.raises(StoreError, match="keep_last or older_than_days"):
        manager.prune()


def test_deleting_a_session_removes_its_rows(manager: SessionManager) -> None:
    keep = manager.save_backtest(_result())
    drop = manager.save_backtest(_result())
    manager.repository.add_alert(drop, 1, "halt", "critical", "halted")
    assert manager.repository.delete([drop]) == 1
    with manager.repository.db.engine.connect() as conn:
        import sqlalchemy as sa

        for table in (*COLUMNS, "alerts"):
            left = conn.execute(sa.text(f"SELECT count(*) FROM {table} WHERE session_id = :i"), {"i": drop})
            assert left.scalar_one() == 0, table
    assert len(manager.repository.load_frames(keep).trades) == len(_result().trades)


def test_flatten_gives_dotted_paths() -> None:
    assert flatten({"a": {"b": [1, {"c": None}]}, "d": "x"}) == {"a.b.0": 1, "a.b.1.c": None, "d": "x"}


def test_a_write_that_fails_leaves_no_rows_and_a_failed_session(manager: SessionManager) -> None:
    frames = frames_from_result(_result())
    broken = frames.trades.copy()
    broken.loc[len(broken) - 1, "symbol"] = None  # NOT NULL: the database refuses the last trade
    frames.trades = broken
    session_id = manager.create_session("ema", "BTCUSDT", "15m", "5", {}, {})
    with pytest.raises(StoreError, match=rf"writing session {session_id} failed on .*(?i:null)"):
        manager.repository.complete(session_id, frames, final_balance=Decimal(1), metrics={}, breakdowns={},
                                    summary={}, ended_at=5)
    info = manager.repository.get(session_id)
    assert info.status == "failed" and info.end_reason.startswith("its rows could not be written")
    assert info.ended_at == 5 and info.final_balance is None
    assert all(len(frame) == 0 for frame in manager.repository.load_frames(session_id).tables().values())
    assert manager.get_current_session() is None


def test_prune_keeps_every_session_a_resume_needs(manager: SessionManager) -> None:
    repo = manager.repository
    earlier = manager.create_session("ema", "BTCUSDT", "15m", "5", {}, {})
    repo.mark(earlier, "completed", "strategy switch", 1)
    latest = repo.create(kind="paper", name="run", strategy_name="rsi", symbol="BTCUSDT", timeframe="15m",
                         leverage="5", configuration={}, market_context={}, code_version="t", fingerprint="f",
                         data_label="real", starting_balance=Decimal(1), created_at=2, parent_id=earlier)
    repo.mark(latest, "interrupted", "stopped by the operator", 3)
    done = _scored(manager, "ema", {}, 0.1)
    assert manager.prune(keep_last=0) == [done]
    assert repo.lineage(latest) == [earlier, latest]  # the interrupted run can still be resumed
