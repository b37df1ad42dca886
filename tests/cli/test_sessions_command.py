"""`perpbot sessions` on SQLite and PostgreSQL: two backtests listed, compared, exported and pruned."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from perpbot.engine.result import BacktestResult
from perpbot.engine.service import run_backtest
from perpbot.sessions.frames import frames_from_result
from perpbot.sessions.manager import SessionManager
from perpbot.store.database import open_database
from perpbot.store.repository import SessionRepository
from tests.cli.support import run_cli, squash, table_rows
from tests.engine.test_backtest_loop import _config, _source

_RUNS: dict[int, BacktestResult] = {}


def _run(fast: int) -> BacktestResult:
    if fast not in _RUNS:
        config = _config(backtest={"end": "2024-01-25"}, strategies=[
            {"name": "ema_cross", "timeframe": "15m", "params": {"fast": fast, "slow": 21}},
            {"name": "rsi_reversion", "timeframe": "1h"}])
        _RUNS[fast] = run_backtest(config, _source())
    return _RUNS[fast]


@pytest.fixture()
def two_sessions(db_url: str) -> tuple[str, int, int]:
    manager = SessionManager(SessionRepository(open_database(db_url)))
    first = manager.save_backtest(_run(8))
    second = manager.save_backtest(_run(5))
    manager.repository.db.dispose()
    return db_url, first, second


def test_list_shows_both_newest_first(two_sessions: tuple[str, int, int], tmp_path: Path) -> None:
    url, first, second = two_sessions
    result = run_cli(["sessions", "list", "--db-url", url], home=tmp_path)
    assert result.exit_code == 0, result.output
    ids = [row[0] for row in table_rows(result.output)]
    assert ids == [str(second), str(first)]
    only = run_cli(["sessions", "list", "--last", "1", "--db-url", url], home=tmp_path)
    assert [row[0] for row in table_rows(only.output)] == [str(second)]


def test_compare_shows_metrics_and_the_parameter_that_differs(two_sessions: tuple[str, int, int],
                                                            tmp_path: Path) -> None:
    url, _first, _second = two_sessions
    result = run_cli(["sessions", "compare", "--last", "2", "--db-url", url], home=tmp_path)
    assert result.exit_code == 0, result.output
    text = squash(result.output)
    assert "strategies.0.params.fast" in text and "sharpe" in text
    rows = {row[0]: row[1:] for row in table_rows(result.output)}
    assert rows["strategies.0.params.fast"] == ["5", "8"]
    assert rows["final_balance"] == [str(_run(5).final_balance), str(_run(8).final_balance)]


def test_csv_export_equals_the_in_memory_result(two_sessions: tuple[str, int, int], tmp_path: Path) -> None:
    url, first, _ = two_sessions
    out = tmp_path / "export"
    result = run_cli(["sessions", "export", str(first), "--format", "csv", "--out", str(out), "--db-url", url],
                     home=tmp_path)
    assert result.exit_code == 0, result.output
    memory = frames_from_result(_run(8))
    for name in ("trades", "orders", "fills", "decisions", "funding", "order_events"):
        exported = pd.read_csv(out / f"{name}.csv", dtype=str, keep_default_na=False)
        expected = memory.tables()[name].astype(object).where(memory.tables()[name].notna(), "")
        assert exported.to_numpy().tolist() == expected.astype(str).to_numpy().tolist(), name
    equity = pd.read_csv(out / "equity.csv")
    assert equity["equity"].iloc[-1] == pytest.approx(float(_run(8).equity[-1]))
    meta = json.loads((out / "session.json").read_text())
    assert meta["id"] == first and meta["final_balance"] == str(_run(8).final_balance)


@pytest.mark.parametrize("fmt", ["json", "parquet"])
def test_json_and_parquet_exports(two_sessions: tuple[str, int, int], tmp_path: Path, fmt: str) -> None:
    url, first, _ = two_sessions
    out = tmp_path / ("s.json" if fmt == "json" else "s")
    assert run_cli(["sessions", "export", str(first), "-f", fmt, "-o", str(out), "--db-url", url],
                   home=tmp_path).exit_code == 0
    trades = len(_run(8).trades)
    if fmt == "json":
        body = json.loads(out.read_text())
        assert len(body["trades"]) == trades and body["session"]["id"] == first
    else:
        assert len(pd.read_parquet(out / "trades.parquet")) == trades


def test_bad_input_is_named_and_changes_nothing(two_sessions: tuple[str, int, int], tmp_path: Path) -> None:
    url, first, second = two_sessions
    unknown = run_cli(["sessions", "show", "999", "--db-url", url], home=tmp_path)
    assert unknown.exit_code == 2 and "no session with id 999" in squash(unknown.output)
    blocked = tmp_path / "file"
    blocked.write_text("x")
    unwritable = run_cli(["sessions", "export", str(first), "-o", str(blocked / "sub"), "--db-url", url],
                         home=tmp_path)
    assert unwritable.exit_code == 2 and "cannot write an export" in squash(unwritable.output)
    assert not (blocked.parent / "sub").exists()
    dead = run_cli(["sessions", "list", "--db-url", "postgresql+psycopg://nobody:pw@127.0.0.1:1/x"], home=tmp_path)
    assert dead.exit_code == 2 and "does not answer" in squash(dead.output) and ":pw@" not in dead.output
    listing = run_cli(["sessions", "list", "--db-url", url], home=tmp_path)
    assert [row[0] for row in table_rows(listing.output)] == [str(second), str(first)]


def test_prune_keeps_the_newest(two_sessions: tuple[str, int, int], tmp_path: Path) -> None:
    url, first, second = two_sessions
    result = run_cli(["sessions", "prune", "--keep-last", "1", "--db-url", url], home=tmp_path)
    assert result.exit_code == 0 and f"removed 1 session(s): {first}" in result.output
    listing = run_cli(["sessions", "list", "--db-url", url], home=tmp_path)
    assert [row[0] for row in table_rows(listing.output)] == [str(second)]


def test_learning_curve_and_configuration_impact(two_sessions: tuple[str, int, int], tmp_path: Path) -> None:
    url, first, second = two_sessions
    curve = run_cli(["sessions", "learning", "ema_cross,rsi_reversion", "--db-url", url], home=tmp_path)
    assert [row[0] for row in table_rows(curve.output)] == [str(first), str(second)]
    impact = run_cli(["sessions", "impact", "--metric", "total_return", "--db-url", url], home=tmp_path)
    assert "strategies.0.params.fast" in squash(impact.output)


def test_backtest_stores_its_session(tmp_path: Path, db_url: str) -> None:
    raw = json.loads(Path("examples/config.json").read_text())
    raw["data"] = {"use_shared_data": False, "allow_sample": True}
    raw["backtest"] = {"start": "2024-01-01", "end": "2024-01-20"}
    config = tmp_path / "c.json"
    config.write_text(json.dumps(raw))
    result = run_cli(["backtest", "-c", str(config), "-q", "--db-url", db_url], home=tmp_path / "home")
    assert result.exit_code == 0, result.output
    assert "stored as session 1" in squash(result.output)
    manager = SessionManager(SessionRepository(open_database(db_url)))
    info = manager.repository.get(1)
    assert info.data_label.startswith("generated sample") and info.market_context["symbols"]["BTCUSDT"]["price"] > 0
    manager.repository.db.dispose()


def test_report_of_a_stored_session(tmp_path: Path, db_url: str) -> None:
    raw = json.loads(Path("examples/config.json").read_text())
    raw["data"] = {"use_shared_data": False, "allow_sample": True}
    raw["backtest"] = {"start": "2024-01-01", "end": "2024-01-15"}
    config = tmp_path / "c.json"
    config.write_text(json.dumps(raw))
    home = tmp_path / "home"
    assert run_cli(["backtest", "-c", str(config), "-q", "--db-url", db_url], home=home).exit_code == 0
    out = tmp_path / "r" / "one.html"
    result = run_cli(["report", "--last", "-o", str(out), "--db-url", db_url], home=home)
    assert result.exit_code == 0, result.output
    page = out.read_text()
    assert "session 1" in page and "generated" in page.lower()
    assert (out.parent / "one-equity.png").read_bytes().startswith(b"\x89PNG")
    missing = run_cli(["report", "42", "--db-url", db_url], home=home)
    assert missing.exit_code == 2 and "no session with id 42" in squash(missing.output)
