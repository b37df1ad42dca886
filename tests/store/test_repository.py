"""The session store on SQLite and PostgreSQL: exact round trips, lifecycle, migrations with rows in place."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pandas as pd
import pytest
import sqlalchemy as sa
from hypothesis import given, settings
from hypothesis import strategies as st

from perpbot.errors import StoreError
from perpbot.sessions.frames import frames_from_result
from perpbot.sessions.manager import SessionManager
from perpbot.store.database import default_url, head_revision, masked, open_database
from perpbot.store.repository import SessionRepository
from tests.conftest import SetClock
from tests.store.support import small_result

_result = small_result


def _manager(url: str) -> SessionManager:
    return SessionManager(SessionRepository(open_database(url)), clock=SetClock())


def test_a_saved_backtest_reads_back_exactly(db_url: str) -> None:
    result = _result()
    manager = _manager(db_url)
    session_id = manager.save_backtest(result, market_context={"symbols": {"BTCUSDT": {"price": 1.5}}})
    info = manager.repository.get(session_id)
    assert info.status == "completed" and info.kind == "backtest"
    assert info.final_balance == result.final_balance
    assert info.configuration == result.config
    assert info.metrics == result.metrics
    assert info.market_context["symbols"]["BTCUSDT"]["price"] == 1.5
    stored = manager.repository.load_frames(session_id)
    memory = frames_from_result(result)
    for name in ("trades", "orders", "order_events", "fills", "funding", "decisions"):
        pd.testing.assert_frame_equal(stored.tables()[name].astype(object), memory.tables()[name].astype(object),
                                      check_dtype=False, obj=name)
    assert sum(Decimal(v) for v in stored.trades["net_pnl"]) == sum(t.net_pnl for t in result.trades)


def test_equity_is_downsampled_without_hiding_the_drawdown(db_url: str) -> None:
    result = _result()
    manager = _manager(db_url)
    session_id = manager.save_backtest(result)
    repo = manager.repository
    frames = frames_from_result(result)
    repo_small = SessionRepository(repo.db)
    small_id = repo_small.create(kind="backtest", name="x", strategy_name="s", symbol="BTCUSDT", timeframe="15m",
                                 leverage="5", configuration={}, market_context={}, code_version="t", fingerprint="f",
                                 data_label="real", starting_balance=Decimal(1), created_at=1)
    repo_small.complete(small_id, frames, final_balance=Decimal(1), metrics={}, breakdowns={}, summary={},
                        ended_at=2, max_equity_points=200)
    full = frames.equity["equity"].to_numpy()
    kept = repo.load_frames(small_id).equity["equity"].to_numpy()
    assert len(kept) <= 201 < len(full)

    def drawdown(x: Any) -> float:
        peak = pd.Series(x).cummax()
        return float(((peak - x) / peak).max())

    assert drawdown(kept) == pytest.approx(drawdown(full), rel=1e-12)
    assert len(repo.load_frames(session_id).equity) == len(full)  # under the default limit: every point


def test_a_crashed_run_says_running_until_ended(db_url: str) -> None:
    manager = _manager(db_url)
    session_id = manager.create_session("ema_cross", "BTCUSDT", "15m", "5", {"price": 1}, {"name": "live-ish"})
    assert manager.get_current_session() is not None
    assert manager.repository.get(session_id).status == "running"
    assert manager.end_active_sessions("restart found it running") == [session_id]
    info = manager.repository.get(session_id)
    assert info.status == "interrupted" and info.end_reason == "restart found it running"
    assert manager.get_current_session() is None


def test_unknown_session_id_names_the_known_ones(db_url: str) -> None:
    manager = _manager(db_url)
    first = manager.create_session("s", "BTCUSDT", "15m", "5", {}, {})
    with pytest.raises(StoreError, match=rf"no session with id 999 .*newest are: {first}"):
        manager.repository.get(999)


def test_a_database_that_does_not_answer_is_named_with_its_password_hidden() -> None:
    with pytest.raises(StoreError, match=r"postgres:\*\*\*@127\.0\.0\.1:1/x does not answer") as info:
        open_database("postgresql+psycopg://postgres:hunter2@127.0.0.1:1/x")
    assert "hunter2" not in str(info.value)
    assert masked("postgresql+psycopg://u:pw@h/d") == "postgresql+psycopg://u:***@h/d"


def test_not_a_url_is_refused() -> None:
    with pytest.raises(StoreError, match="is not a URL"):
        open_database("just some words")


def test_upgrade_from_the_first_revision_keeps_every_row(db_url: str) -> None:
    db = open_database(db_url, upgrade_to="0001")
    assert db.revision() == "0001"
    assert "alerts" not in sa.inspect(db.engine).get_table_names()
    repo = SessionRepository(db)
    result = _result()
    session_id = repo.create(kind="backtest", name="old", strategy_name="s", symbol="BTCUSDT", timeframe="15m",
                             leverage="5", configuration=result.config, market_context={}, code_version="t",
                             fingerprint="f", data_label="real", starting_balance=Decimal(10_000), created_at=1)
    # revision 0001 has no alerts table: write the rows it has, as an old perpbot would have
    frames = frames_from_result(result)
    counts = repo.complete(session_id, frames, final_balance=result.final_balance, metrics=result.metrics,
                           breakdowns={}, summary={}, ended_at=2)
    db.dispose()
    upgraded = open_database(db_url)
    assert upgraded.revision() == head_revision() == "0004"
    repo2 = SessionRepository(upgraded)
    again = repo2.load_frames(session_id)
    assert {name: len(frame) for name, frame in again.tables().items()} == counts
    repo2.add_alert(session_id, 3, "halt", "critical", "halted")
    with upgraded.engine.connect() as conn:
        assert conn.execute(sa.text("SELECT count(*) FROM alerts")).scalar_one() == 1


def test_money_round_trips_exactly(db_url: str) -> None:
    repo = SessionRepository(open_database(db_url))

    @settings(max_examples=40, deadline=None)
    @given(value=st.decimals(min_value=Decimal("-1e12"), max_value=Decimal("1e12"), places=12, allow_nan=False))
    def round_trip(value: Decimal) -> None:
        session_id = repo.create(kind="paper", name="m", strategy_name="s", symbol="BTCUSDT", timeframe="1m",
                                 leverage=str(value), configuration={}, market_context={}, code_version="t",
                                 fingerprint="f", data_label="real", starting_balance=value, created_at=1)
        info = repo.get(session_id)
        assert info.starting_balance == value and str(info.starting_balance) == str(value)

    round_trip()
    repo.db.dispose()


def test_the_default_database_is_the_environment_url_else_a_file_in_the_home(
        tmp_path: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PERPBOT_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("PERPBOT_DB_URL", raising=False)
    assert default_url() == f"sqlite:///{tmp_path / 'home' / 'perpbot.db'}"
    db = open_database()
    assert (tmp_path / "home" / "perpbot.db").exists() and db.revision() == head_revision()
    db.dispose()
    monkeypatch.setenv("PERPBOT_DB_URL", f"sqlite:///{tmp_path / 'elsewhere.db'}")
    open_database().dispose()
    assert (tmp_path / "elsewhere.db").exists()
