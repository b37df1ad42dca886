"""The session store on SQLite and PostgreSQL: exact round trips, lifecycle, migrations with rows in place."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pandas as pd
import pytest
import sqlalchemy as sa
from alembic import command
from hypothesis import given, settings
from hypothesis import strategies as st

from perpbot.errors import StoreError
from perpbot.sessions.frames import ORDER_EVENT_COLUMNS, SessionFrames, frames_from_result, rows_from_result
from perpbot.sessions.manager import SessionManager
from perpbot.store.database import Database, alembic_config, default_url, head_revision, masked, open_database
from perpbot.store.repository import SessionRepository, _tuples
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


def _old_session(db: Database, frames: SessionFrames) -> int:
    """A completed session written as revisions 0001 to 0004 keep one: every table of the frames as it is,
    an order's state changes one `order_events` row each."""
    with db.engine.begin() as conn:
        sessions = sa.Table("sessions", sa.MetaData(), autoload_with=conn)
        values = {"kind": "backtest", "name": "old", "strategy_name": "s", "symbol": "BTCUSDT", "timeframe": "15m",
                  "leverage": "5", "status": "running", "end_reason": "", "created_at": 1, "code_version": "t",
                  "fingerprint": "f", "configuration": "{}", "market_context": "{}", "data_label": "real",
                  "starting_balance": "10000", "metrics": "{}", "breakdowns": "{}", "summary": "{}"}
        session_id = int(conn.execute(sessions.insert().values(
            **{k: v for k, v in values.items() if k in sessions.c})).inserted_primary_key[0])
        for name, frame in frames.tables().items():
            table = sa.Table(name, sa.MetaData(), autoload_with=conn)
            rows = [dict(zip(("session_id", *frame.columns), (session_id, *row), strict=True))
                    for row in _tuples(frame, table)]
            if rows:
                conn.execute(table.insert(), rows)
        conn.execute(sa.text("UPDATE sessions SET status = 'completed' WHERE id = :i"), {"i": session_id})
    return session_id


def _assert_same_tables(stored: SessionFrames, memory: SessionFrames) -> None:
    for name, frame in memory.tables().items():
        if name != "equity":
            pd.testing.assert_frame_equal(stored.tables()[name].astype(object), frame.astype(object),
                                          check_dtype=False, obj=name)
    assert len(stored.equity) == len(memory.equity)


def _stored_histories(db: Database, session_id: int) -> list[tuple[str, str]]:
    with db.engine.connect() as conn:
        return [tuple(r) for r in conn.execute(sa.text(
            "SELECT client_id, history FROM orders WHERE session_id = :i ORDER BY id"), {"i": session_id})]


def test_upgrade_from_the_first_revision_keeps_every_row(db_url: str) -> None:
    db = open_database(db_url, upgrade_to="0001")
    assert db.revision() == "0001"
    assert "alerts" not in sa.inspect(db.engine).get_table_names()
    result = _result()
    frames = frames_from_result(result)
    session_id = _old_session(db, frames)
    db.dispose()
    upgraded = open_database(db_url)
    assert upgraded.revision() == head_revision() == "0005"
    assert "order_events" not in sa.inspect(upgraded.engine).get_table_names()
    repo2 = SessionRepository(upgraded)
    _assert_same_tables(repo2.load_frames(session_id), frames)
    # each order's state changes moved onto its row, as the text perpbot writes today
    assert _stored_histories(upgraded, session_id) == [(row[0], row[-1]) for row in rows_from_result(result)["orders"]]
    repo2.add_alert(session_id, 3, "halt", "critical", "halted")
    with upgraded.engine.connect() as conn:
        assert conn.execute(sa.text("SELECT count(*) FROM alerts")).scalar_one() == 1
    upgraded.dispose()


def test_downgrade_below_0005_gives_each_state_change_its_row_again(db_url: str) -> None:
    result = _result()
    manager = _manager(db_url)
    session_id = manager.save_backtest(result)
    db = manager.repository.db
    with db.engine.begin() as conn:
        cfg = alembic_config()
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "0004")
    assert db.revision() == "0004"
    with db.engine.connect() as conn:
        assert "history" not in {c["name"] for c in sa.inspect(conn).get_columns("orders")}
        events = pd.DataFrame([tuple(r) for r in conn.execute(sa.text(
            "SELECT client_id, seq, ts, status, reason FROM order_events WHERE session_id = :i ORDER BY id"),
            {"i": session_id})], columns=list(ORDER_EVENT_COLUMNS))
    memory = frames_from_result(result)
    pd.testing.assert_frame_equal(events, memory.order_events, check_dtype=False)
    db.dispose()
    again = open_database(db_url)  # and up again: the very same tables
    _assert_same_tables(SessionRepository(again).load_frames(session_id), memory)
    again.dispose()


def test_an_upgrade_that_cannot_place_a_state_change_refuses_and_changes_nothing(db_url: str) -> None:
    db = open_database(db_url, upgrade_to="0004")
    frames = frames_from_result(_result())
    frames.order_events = pd.concat([frames.order_events, pd.DataFrame(
        [("ghost-1", 0, 5, "New", "")], columns=list(ORDER_EVENT_COLUMNS))], ignore_index=True)
    session_id = _old_session(db, frames)
    db.dispose()
    with pytest.raises(StoreError, match=rf"cannot be upgraded: session {session_id} has order state changes of "
                                         r"orders it does not hold \(client ids ghost-1\)"):
        open_database(db_url)
    old = open_database(db_url, upgrade_to="0004")
    assert old.revision() == "0004"
    with old.engine.connect() as conn:
        assert "history" not in {c["name"] for c in sa.inspect(conn).get_columns("orders")}
        assert conn.execute(sa.text("SELECT count(*) FROM order_events")).scalar_one() == len(frames.order_events)
    old.dispose()


def test_a_repeated_client_id_keeps_each_orders_own_state_changes(db_url: str) -> None:
    frames = frames_from_result(_result())
    first, second = frames.orders["client_id"].iloc[0], frames.orders["client_id"].iloc[1]
    frames.orders.loc[1, "client_id"] = first
    frames.order_events.loc[frames.order_events["client_id"] == second, "client_id"] = first
    repo = _manager(db_url).repository
    session_id = repo.create(kind="paper", name="p", strategy_name="s", symbol="BTCUSDT", timeframe="15m",
                             leverage="5", configuration={}, market_context={}, code_version="t", fingerprint="f",
                             data_label="real", starting_balance=Decimal(1), created_at=1)
    repo.complete(session_id, frames, final_balance=Decimal(1), metrics={}, breakdowns={}, summary={}, ended_at=2)
    _assert_same_tables(repo.load_frames(session_id), frames)
    orphaned = frames_from_result(_result())
    orphaned.order_events.loc[0, "client_id"] = "ghost-2"
    with pytest.raises(ValueError, match="order_events name orders that the orders table does not hold: ghost-2"):
        repo.complete(session_id, orphaned, final_balance=Decimal(1), metrics={}, breakdowns={}, summary={},
                      ended_at=2)
    repo.db.dispose()


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


def test_rows_for_a_session_that_is_not_there_are_refused_whole(db_url: str) -> None:
    result = _result()
    repo = _manager(db_url).repository
    with pytest.raises(StoreError, match=r"writing session 404 failed on .*|session 404 is not in .*; its rows were "
                                         r"not written"):
        repo.complete_rows(404, rows_from_result(result), frames_from_result(result).equity,
                           final_balance=Decimal(1), metrics={}, breakdowns={}, summary={}, ended_at=2)
    with repo.db.engine.connect() as conn:
        for table in ("trades", "orders", "fills", "funding", "decisions", "equity"):
            assert conn.execute(sa.text(f"SELECT count(*) FROM {table}")).scalar_one() == 0, table
        if repo.db.is_sqlite:  # the bulk write's connection has its foreign keys back on
            assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar_one() == 1
            with pytest.raises(sa.exc.IntegrityError):
                conn.execute(sa.text("INSERT INTO alerts (session_id, ts, key, severity, message) "
                                     "VALUES (404, 1, 'k', 'info', 'm')"))
    repo.db.dispose()


def test_a_new_sqlite_file_gets_large_pages_and_an_old_one_keeps_its_own(tmp_path: Any) -> None:
    import sqlite3

    from perpbot.store.database import SQLITE_PAGE_SIZE

    new = open_database(f"sqlite:///{tmp_path / 'new.db'}")
    with new.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA page_size").scalar_one() == SQLITE_PAGE_SIZE
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar_one() == "wal"
    new.dispose()
    old_path = tmp_path / "old.db"  # made by an earlier perpbot: 4 KiB pages, already in WAL mode
    raw = sqlite3.connect(old_path)
    raw.execute("PRAGMA page_size=4096")
    raw.execute("PRAGMA journal_mode=WAL")
    raw.execute("CREATE TABLE kept (x INTEGER)")
    raw.execute("INSERT INTO kept VALUES (7)")
    raw.commit()
    raw.close()
    old = open_database(f"sqlite:///{old_path}")
    manager = SessionManager(SessionRepository(old), clock=SetClock())
    session_id = manager.save_backtest(_result())
    with old.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA page_size").scalar_one() == 4096
        assert conn.exec_driver_sql("SELECT x FROM kept").scalar_one() == 7
    assert manager.repository.get(session_id).status == "completed"
    old.dispose()
